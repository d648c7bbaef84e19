package dev.weft.netlink;

import static dev.weft.libc.Linux.AF_NETLINK;
import static dev.weft.libc.Linux.SOCK_CLOEXEC;
import static dev.weft.libc.Linux.SOCK_RAW;
import static dev.weft.libc.Linux.SOL_SOCKET;
import static dev.weft.libc.Linux.SO_RCVBUF;
import static dev.weft.libc.Linux.SO_RCVBUFFORCE;
import static dev.weft.libc.Linux.SO_SNDBUF;
import static dev.weft.libc.Linux.SO_SNDBUFFORCE;

import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;
import dev.weft.libc.LibC;
import dev.weft.libc.NativeMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A raw netlink socket: open, bind, send a buffer, receive into a buffer. Knows nothing about
 * message contents. The socket belongs to the network namespace of the thread that opened it, for
 * its whole life, whichever thread uses it later.
 */
final class NetlinkSocket implements AutoCloseable {
    static final int SOL_NETLINK = 270;
    static final int NETLINK_ADD_MEMBERSHIP = 1;
    static final int NETLINK_CAP_ACK = 10;
    static final int NETLINK_EXT_ACK = 11;
    static final int NETLINK_GET_STRICT_CHK = 12;

    private static final int SOCKADDR_NL_LEN = 12;
    private static final int SO_ATTACH_FILTER = 26;
    /** struct sock_fprog on LP64: u16 len, 6 bytes of padding, the instructions' address. */
    private static final int SOCK_FPROG_BYTES = 16;

    private final LibC libc = LibC.get();
    private final int fd;
    private final int portId;
    private final NativeMemory scratch;
    private volatile boolean closed;

    private NetlinkSocket(int fd, int portId) {
        this.fd = fd;
        this.portId = portId;
        this.scratch = NativeMemory.allocate(16);
    }

    /** Opens and binds a socket of the given netlink protocol, joined to the legacy group mask. */
    static NetlinkSocket open(int protocol, int groups) {
        LibC c = LibC.get();
        int fd = ErrnoException.check(c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol), "socket(AF_NETLINK)");
        try (NativeMemory sa = NativeMemory.allocate(SOCKADDR_NL_LEN); NativeMemory len = NativeMemory.allocate(4)) {
            sa.putShort(0, (short) AF_NETLINK);
            sa.putShort(2, (short) 0);
            sa.putInt(4, 0); // let the kernel assign the port id
            sa.putInt(8, groups);
            ErrnoException.check(c.bind(fd, sa.address(), SOCKADDR_NL_LEN), "bind(AF_NETLINK)");
            len.putInt(0, SOCKADDR_NL_LEN);
            ErrnoException.check(c.getsockname(fd, sa.address(), len.address()), "getsockname(AF_NETLINK)");
            NetlinkSocket s = new NetlinkSocket(fd, sa.getInt(4));
            // Small error ACKs (no echoed request) and the kernel's own error text where it has one.
            s.setIntOption(SOL_NETLINK, NETLINK_CAP_ACK, 1, true);
            s.setIntOption(SOL_NETLINK, NETLINK_EXT_ACK, 1, true);
            return s;
        } catch (RuntimeException e) {
            c.close(fd);
            throw e;
        }
    }

    int portId() {
        return portId;
    }

    int fd() {
        return fd;
    }

    /**
     * Sets an int socket option; when {@code optional}, a kernel that lacks it is not an error.
     * Returns whether the kernel took it.
     */
    boolean setIntOption(int level, int name, int value, boolean optional) {
        scratch.putInt(0, value);
        int r = libc.setsockopt(fd, level, name, scratch.address(), 4);
        if (r < 0 && !optional) {
            throw new ErrnoException("setsockopt(" + level + "," + name + ")", LibC.errno());
        }
        return r >= 0;
    }

    /**
     * Attaches a classic BPF program (struct sock_filter array, host order) that the kernel runs
     * on every message before queueing it here. False when the kernel refuses it; the caller then
     * filters what it reads instead.
     */
    boolean attachFilter(ByteBuffer program) {
        int len = program.remaining();
        if (len == 0 || len % 8 != 0) {
            throw new IllegalArgumentException("a BPF program is a whole number of 8-byte instructions, got " + len);
        }
        // the kernel copies the program during setsockopt, so both blocks can go right after
        try (NativeMemory insns = NativeMemory.allocate(len); NativeMemory fprog = NativeMemory.allocate(SOCK_FPROG_BYTES)) {
            byte[] bytes = new byte[len];
            program.duplicate().get(bytes);
            insns.put(0, bytes);
            fprog.putLong(0, 0L);
            fprog.putShort(0, (short) (len / 8));
            fprog.putLong(8, insns.address());
            return libc.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog.address(), SOCK_FPROG_BYTES) == 0;
        }
    }

    void joinGroup(int group) {
        setIntOption(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group, false);
    }

    /** Raises the buffers so a batch of ACKs or a burst of events does not overflow (ENOBUFS). */
    void setBufferSizes(int bytes) {
        scratch.putInt(0, bytes);
        if (libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, scratch.address(), 4) < 0) {
            libc.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, scratch.address(), 4);
        }
        scratch.putInt(0, bytes);
        if (libc.setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, scratch.address(), 4) < 0) {
            libc.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, scratch.address(), 4);
        }
    }

    /** Sends bytes [0, limit) of a direct buffer to the kernel (port 0) as one datagram. */
    void send(ByteBuffer direct, long address) {
        int len = direct.limit();
        while (true) {
            long r = libc.sendto(fd, address, len, 0, 0L, 0);
            if (r >= 0) {
                return;
            }
            int err = LibC.errno();
            if (Errno.of(err) != Errno.EINTR) {
                throw new ErrnoException("sendto(netlink)", err);
            }
        }
    }

    /**
     * Receives one datagram into the direct buffer; on return position is 0 and limit is its size.
     * Blocks unless {@code dontWait}; then returns false when nothing is queued.
     */
    boolean receive(ByteBuffer direct, long address, boolean dontWait) {
        int flags = dontWait ? dev.weft.libc.Linux.MSG_DONTWAIT : 0;
        while (true) {
            long r = libc.recvfrom(fd, address, direct.capacity(), flags, 0L, 0L);
            if (r >= 0) {
                direct.clear();
                direct.limit((int) r);
                return true;
            }
            int err = LibC.errno();
            Errno e = Errno.of(err);
            if (e == Errno.EINTR) {
                continue;
            }
            if (e == Errno.EAGAIN && dontWait) {
                return false;
            }
            throw new ErrnoException(closed ? "recvfrom(netlink) on a closed socket" : "recvfrom(netlink)", err);
        }
    }

    static ByteBuffer allocate(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }

    static long pointerTo(ByteBuffer direct) {
        return NativeMemory.addressOf(direct);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            libc.close(fd);
            scratch.close();
        }
    }
}
