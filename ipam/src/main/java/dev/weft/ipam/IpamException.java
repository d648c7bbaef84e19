package dev.weft.ipam;

/**
 * An IPAM failure as the CNI protocol reports it: an error code, a short message and optional
 * details. A plugin prints it as {@code {"code":N,"msg":..,"details":..}} on stdout.
 *
 * <p>The reference host-local turns every Go error into code 999. Weft keeps 999 where a
 * reference user would look for it (exhaustion, duplicate allocation) and uses the spec's more
 * precise codes elsewhere, so a runtime can tell a bad config from a full pool.
 */
public final class IpamException extends Exception implements CniErrorCodes {
    private static final long serialVersionUID = 1L;

    private final int code;
    private final String details;

    public IpamException(int code, String msg) {
        this(code, msg, null, null);
    }

    public IpamException(int code, String msg, String details) {
        this(code, msg, details, null);
    }

    public IpamException(int code, String msg, String details, Throwable cause) {
        super(msg, cause);
        this.code = code;
        this.details = details;
    }

    /** The CNI error code. */
    public int code() {
        return code;
    }

    /** The short message (the CNI {@code msg} field). */
    public String msg() {
        return getMessage();
    }

    /** Longer explanation (the CNI {@code details} field), or null. */
    public String details() {
        return details;
    }

    /** The same error with a prefix on its message, as Go's {@code fmt.Errorf("...: %v", err)}. */
    public IpamException prefixed(String prefix) {
        return new IpamException(code, prefix + getMessage(), details, this);
    }
}
