package dev.weft.flannel.daemon;

import dev.weft.libc.ErrnoException;
import dev.weft.libc.LibC;
import dev.weft.libc.Linux;
import dev.weft.libc.NativeMemory;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * sd_notify(3) for a {@code Type=notify} unit: one datagram per state change ({@code READY=1},
 * {@code STOPPING=1}, {@code STATUS=…}) to the AF_UNIX socket named by {@code $NOTIFY_SOCKET}, a
 * path or an abstract name written with a leading '@'. The JDK's datagram channels speak no AF_UNIX
 * and no abstract names, hence libc. Failures are logged and never stop the daemon, as flanneld
 * does: outside systemd there is no socket, and a socket that went away must not take weftd down.
 */
final class SystemdNotify {
    private static final Logger LOG = LoggerFactory.getLogger(SystemdNotify.class);
    static final int AF_UNIX = 1;
    /** struct sockaddr_un: sa_family_t then 108 bytes of path. */
    static final int SUN_PATH = 108;
    private static final int SOCKADDR_UN = 2 + SUN_PATH;

    private final String socket;
    private final byte[] name;

    private SystemdNotify(String socket) {
        this.socket = socket;
        byte[] b = socket.getBytes(StandardCharsets.UTF_8);
        if (b[0] == '@') {
            b[0] = 0; // abstract: the length, not a NUL, ends the name
        }
        this.name = b;
    }

    /** The notifier for {@code $NOTIFY_SOCKET}, or empty when weftd does not run under systemd (or the value is unusable). */
    static Optional<SystemdNotify> fromEnvironment() {
        return of(System.getenv("NOTIFY_SOCKET"));
    }

    static Optional<SystemdNotify> of(String value) {
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        if (value.charAt(0) != '/' && value.charAt(0) != '@') {
            LOG.warn("NOTIFY_SOCKET={} is neither a path nor an abstract @name; not notifying systemd", value);
            return Optional.empty();
        }
        // a path needs its terminating NUL inside sun_path; an abstract name may use all 108 bytes
        int limit = value.charAt(0) == '@' ? SUN_PATH : SUN_PATH - 1;
        if (value.getBytes(StandardCharsets.UTF_8).length > limit || value.length() < 2) {
            LOG.warn("NOTIFY_SOCKET={} does not fit a Unix socket address; not notifying systemd", value);
            return Optional.empty();
        }
        return Optional.of(new SystemdNotify(value));
    }

    /** Sends one notification ("READY=1", "STOPPING=1", newline-separated assignments); true when sent. */
    boolean send(String state) {
        LibC c = LibC.get();
        byte[] msg = state.getBytes(StandardCharsets.UTF_8);
        int fd = c.socket(AF_UNIX, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            LOG.warn("cannot tell systemd {}: {}", state, new ErrnoException("socket(AF_UNIX)", LibC.errno()).getMessage());
            return false;
        }
        try (NativeMemory addr = NativeMemory.allocate(SOCKADDR_UN); NativeMemory buf = NativeMemory.allocate(Math.max(1, msg.length))) {
            addr.putShort(0, (short) AF_UNIX);
            addr.put(2, name);
            int len = 2 + name.length + (name[0] == 0 ? 0 : 1);
            buf.put(0, msg);
            if (c.sendto(fd, buf.address(), msg.length, 0, addr.address(), len) < 0) {
                LOG.warn("cannot tell systemd {}: {}", state, new ErrnoException("sendto " + socket, LibC.errno()).getMessage());
                return false;
            }
            LOG.debug("told systemd {}", state);
            return true;
        } finally {
            c.close(fd);
        }
    }
}
