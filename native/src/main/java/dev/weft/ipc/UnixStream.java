package dev.weft.ipc;

import dev.weft.libc.Errno;
import dev.weft.libc.LibC;
import dev.weft.libc.Linux;
import dev.weft.libc.NativeMemory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A blocking client of a Unix stream socket, straight through libc. The JDK's
 * {@code SocketChannel.open(StandardProtocolFamily.UNIX)} costs a CNI plugin 30-55 ms on its
 * first use (the NIO selector provider, the net and nio native libraries and their properties),
 * a third of a weft-ipam ADD; the plugin already has libc bound for netlink, so a socket, a
 * connect and read/write calls cost it next to nothing. Every read and write is bounded by a
 * timeout (SO_RCVTIMEO / SO_SNDTIMEO), so a server that stops answering cannot hang the caller.
 */
public final class UnixStream implements AutoCloseable {
    /** sun_path's size in struct sockaddr_un, the terminating NUL included. */
    private static final int SUN_PATH = 108;
    private static final int CHUNK = 8192;

    private final LibC libc;
    private final int fd;
    private final NativeMemory buf;
    private final Duration timeout;
    private boolean closed;

    private UnixStream(LibC libc, int fd, Duration timeout) {
        this.libc = libc;
        this.fd = fd;
        this.timeout = timeout;
        this.buf = NativeMemory.allocate(CHUNK);
    }

    /**
     * Connects to the socket at {@code path}. Nothing there is a {@link NoSuchFileException},
     * nobody listening a {@link ConnectException}, as with the JDK's channels.
     */
    public static UnixStream connect(Path path, Duration timeout) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= SUN_PATH || name.length == 0) {
            throw new IOException("the socket path " + path + " is " + name.length + " bytes; a Unix socket path has 1 to "
                    + (SUN_PATH - 1));
        }
        for (byte b : name) {
            if (b == 0) {
                throw new IOException("the socket path " + path + " contains a NUL byte");
            }
        }
        LibC libc = LibC.get();
        int fd = libc.socket(Linux.AF_UNIX, Linux.SOCK_STREAM | Linux.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("socket(AF_UNIX): " + Errno.of(LibC.errno()));
        }
        UnixStream s = new UnixStream(libc, fd, timeout);
        try {
            s.setTimeout(Linux.SO_RCVTIMEO);
            s.setTimeout(Linux.SO_SNDTIMEO);
            try (NativeMemory addr = NativeMemory.allocate(2 + SUN_PATH)) {
                addr.putShort(0, (short) Linux.AF_UNIX);
                addr.put(2, name);
                int rc;
                do {
                    rc = libc.connect(fd, addr.address(), 2 + name.length + 1);
                } while (rc < 0 && LibC.errno() == Errno.EINTR.number());
                if (rc < 0) {
                    Errno e = Errno.of(LibC.errno());
                    switch (e) {
                        case ENOENT -> throw new NoSuchFileException(path.toString());
                        case ECONNREFUSED -> throw new ConnectException("nothing listens on " + path);
                        default -> throw new IOException("connect to " + path + ": " + e);
                    }
                }
            }
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private void setTimeout(int option) throws IOException {
        try (NativeMemory tv = NativeMemory.allocate(16)) {
            tv.putLong(0, timeout.toSeconds());
            tv.putLong(8, timeout.toMillisPart() * 1000L);
            if (libc.setsockopt(fd, Linux.SOL_SOCKET, option, tv.address(), 16) < 0) {
                throw new IOException("setsockopt(" + option + "): " + Errno.of(LibC.errno()));
            }
        }
    }

    /** Reads at most {@code len} bytes; -1 at the end of the stream. */
    private int read(byte[] b, int off, int len) throws IOException {
        long n;
        do {
            n = libc.read(fd, buf.address(), Math.min(len, CHUNK));
        } while (n < 0 && LibC.errno() == Errno.EINTR.number());
        if (n < 0) {
            Errno e = Errno.of(LibC.errno());
            if (e == Errno.EAGAIN) {
                throw new SocketTimeoutException("no answer within " + timeout.toSeconds() + " s");
            }
            throw new IOException("read: " + e);
        }
        if (n == 0) {
            return -1;
        }
        buf.get(0, b, off, (int) n);
        return (int) n;
    }

    private void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int chunk = Math.min(len, CHUNK);
            buf.put(0, b, off, chunk);
            int done = 0;
            while (done < chunk) {
                long n = libc.write(fd, buf.address() + done, chunk - done);
                if (n < 0) {
                    Errno e = Errno.of(LibC.errno());
                    if (e == Errno.EINTR) {
                        continue;
                    }
                    throw e == Errno.EAGAIN ? new SocketTimeoutException("the peer took nothing for " + timeout.toSeconds() + " s")
                            : new IOException("write: " + e);
                }
                done += (int) n;
            }
            off += chunk;
            len -= chunk;
        }
    }

    public InputStream in() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return UnixStream.this.read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                java.util.Objects.checkFromIndexSize(off, len, b.length);
                return len == 0 ? 0 : UnixStream.this.read(b, off, len);
            }
        };
    }

    public OutputStream out() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                UnixStream.this.write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                java.util.Objects.checkFromIndexSize(off, len, b.length);
                UnixStream.this.write(b, off, len);
            }
        };
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            libc.close(fd);
            buf.close();
        }
    }
}
