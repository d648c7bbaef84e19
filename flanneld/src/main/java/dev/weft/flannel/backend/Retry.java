package dev.weft.flannel.backend;

import dev.weft.libc.Errno;
import dev.weft.netlink.NetlinkException;

/**
 * A few attempts at one kernel change: 5 tries, 50 ms apart doubling (at most 750 ms in all).
 * Errors that another try cannot fix (EINVAL, EOPNOTSUPP, EAFNOSUPPORT, EPERM, EACCES) fail at once.
 */
public final class Retry {
    public static final int ATTEMPTS = 5;
    private static final long FIRST_DELAY_MS = 50;

    private Retry() {
    }

    /** Runs {@code op} until it succeeds; throws the last failure. */
    public static void run(Runnable op) {
        long delay = FIRST_DELAY_MS;
        for (int attempt = 1; ; attempt++) {
            try {
                op.run();
                return;
            } catch (NetlinkException e) {
                if (attempt >= ATTEMPTS || !worthRetrying(e)) {
                    throw e;
                }
            }
            try {
                Thread.sleep(delay);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new BackendException("interrupted while retrying a kernel change", ie);
            }
            delay *= 2;
        }
    }

    static boolean worthRetrying(NetlinkException e) {
        Errno n = e.errno();
        return n != Errno.EINVAL && n != Errno.EOPNOTSUPP && n != Errno.EAFNOSUPPORT && n != Errno.EPERM
                && n != Errno.EACCES;
    }

    /** Runs {@code op} once and ignores "not found"; other failures are returned (null when fine). */
    public static NetlinkException quietly(Runnable op) {
        try {
            op.run();
            return null;
        } catch (NetlinkException e) {
            return e.isNotFound() ? null : e;
        }
    }
}
