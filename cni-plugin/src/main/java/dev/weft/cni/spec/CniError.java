package dev.weft.cni.spec;

/**
 * A CNI error: printed on stdout as {@code {"cniVersion","code","msg","details"}} with a non-zero
 * exit. Codes 1–99 are the spec's; 100 and up are Weft's own; 999 is what the reference plugins
 * use for a plain internal error, kept for parity.
 */
public class CniError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public static final int INCOMPATIBLE_VERSION = 1;
    public static final int UNSUPPORTED_FIELD = 2;
    public static final int UNKNOWN_CONTAINER = 3;
    public static final int INVALID_ENV = 4;
    public static final int IO_FAILURE = 5;
    public static final int DECODE_FAILURE = 6;
    public static final int INVALID_CONFIG = 7;
    public static final int TRY_AGAIN_LATER = 11;
    public static final int NOT_AVAILABLE = 50;
    public static final int NOT_AVAILABLE_LIMITED_CONNECTIVITY = 51;
    /** Weft: a kernel operation failed (the details carry the errno and the kernel's message). */
    public static final int KERNEL_FAILURE = 100;
    /** The reference plugins' code for any error without a spec code (e.g. host-local exhaustion). */
    public static final int INTERNAL = 999;

    private final int code;
    private final String details;

    public CniError(int code, String msg, String details) {
        super(msg);
        this.code = code;
        this.details = details == null ? "" : details;
    }

    public CniError(int code, String msg) {
        this(code, msg, "");
    }

    public CniError(int code, String msg, Throwable cause) {
        this(code, msg, cause.getMessage());
        initCause(cause);
    }

    public int code() {
        return code;
    }

    public String msg() {
        return getMessage();
    }

    public String details() {
        return details;
    }
}
