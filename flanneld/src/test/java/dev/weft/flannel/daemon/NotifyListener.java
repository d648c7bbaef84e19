package dev.weft.flannel.daemon;

import dev.weft.libc.ErrnoException;
import dev.weft.libc.LibC;
import dev.weft.libc.Linux;
import dev.weft.libc.NativeMemory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * What systemd does with $NOTIFY_SOCKET: a bound AF_UNIX datagram socket that receives one
 * notification per datagram. Bound in the calling thread's network namespace (abstract names are
 * per namespace); a name starting with '@' is abstract.
 */
final class NotifyListener implements AutoCloseable {
    private static final int POLLIN = 1;
    private final LibC c = LibC.get();
    private final int fd;

    NotifyListener(String name) {
        fd = (int) ErrnoException.check(c.socket(SystemdNotify.AF_UNIX, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, 0), "socket");
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        boolean abstractName = b[0] == '@';
        if (abstractName) {
            b[0] = 0;
        }
        try (NativeMemory addr = NativeMemory.allocate(2 + SystemdNotify.SUN_PATH)) {
            addr.putShort(0, (short) SystemdNotify.AF_UNIX);
            addr.put(2, b);
            ErrnoException.check(c.bind(fd, addr.address(), 2 + b.length + (abstractName ? 0 : 1)), "bind " + name);
        } catch (RuntimeException e) {
            c.close(fd);
            throw e;
        }
    }

    /** The next datagram's text, or null when none came within {@code timeout}. */
    String receive(Duration timeout) {
        try (NativeMemory pfd = NativeMemory.allocate(8); NativeMemory buf = NativeMemory.allocate(4096)) {
            pfd.putInt(0, fd);
            pfd.putShort(4, (short) POLLIN);
            int n = c.poll(pfd.address(), 1, (int) timeout.toMillis());
            if (n <= 0) {
                return null;
            }
            long len = ErrnoException.check(c.recvfrom(fd, buf.address(), 4096, 0, 0, 0), "recvfrom");
            byte[] msg = new byte[(int) len];
            buf.get(0, msg);
            return new String(msg, StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        c.close(fd);
    }
}
