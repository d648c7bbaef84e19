package dev.weft.libc;

/**
 * A system call or kernel request failed with an errno. Carries the errno as an {@link Errno} so
 * that callers branch on {@code e.errno() == Errno.EEXIST} instead of parsing messages.
 */
public class ErrnoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int raw;
    private final Errno errno;

    public ErrnoException(String operation, int rawErrno) {
        this(operation, rawErrno, null);
    }

    public ErrnoException(String operation, int rawErrno, String detail) {
        super(format(operation, rawErrno, detail));
        this.raw = Math.abs(rawErrno);
        this.errno = Errno.of(rawErrno);
    }

    private static String format(String operation, int raw, String detail) {
        Errno e = Errno.of(raw);
        String name = e == Errno.UNKNOWN ? "errno " + Math.abs(raw) : e.name();
        return operation + ": " + name + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")");
    }

    public Errno errno() {
        return errno;
    }

    /** The errno number as the kernel gave it, positive. */
    public int rawErrno() {
        return raw;
    }

    /** Throws when a libc call returned -1, with errno read from this thread. */
    public static int check(int result, String operation) {
        if (result < 0) {
            throw new ErrnoException(operation, LibC.errno());
        }
        return result;
    }

    public static long check(long result, String operation) {
        if (result < 0) {
            throw new ErrnoException(operation, LibC.errno());
        }
        return result;
    }
}
