package dev.weft.cni.spec;

import dev.weft.ipam.CniErrorCodes;

/**
 * A CNI error: printed on stdout as {@code {"cniVersion","code","msg","details"}} with a non-zero
 * exit. The codes ({@code CniError.INVALID_CONFIG} and the rest) are {@link CniErrorCodes}, shared
 * with IPAM's errors.
 */
public class CniError extends RuntimeException implements CniErrorCodes {
    private static final long serialVersionUID = 1L;

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
