package dev.weft.ipam;

/**
 * An IPAM failure as the CNI protocol reports it: an error code, a short message and optional
 * details. A plugin prints it as {@code {"code":N,"msg":..,"details":..}} on stdout.
 *
 * <p>The reference host-local turns every Go error into code 999. Weft keeps 999 where a
 * reference user would look for it (exhaustion, duplicate allocation) and uses the spec's more
 * precise codes elsewhere, so a runtime can tell a bad config from a full pool.
 */
public final class IpamException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The config's cniVersion cannot express the request. */
    public static final int INCOMPATIBLE_VERSION = 1;
    /** The store could not be read or written. */
    public static final int IO_FAILURE = 5;
    /** The network config (or CNI_ARGS) is invalid. */
    public static final int INVALID_CONFIG = 7;
    /** Transient: retrying later may succeed (a requested IP still held by someone else). */
    public static final int TRY_AGAIN_LATER = 11;
    /** STATUS: the plugin cannot service ADD right now. */
    public static final int NOT_AVAILABLE = 50;
    /** The reference's catch-all ({@code types.ErrInternal}); used for exhaustion like the reference. */
    public static final int INTERNAL = 999;

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
