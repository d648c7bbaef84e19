package dev.weft.ipam;

/**
 * The CNI error codes, defined once for both layers that report them: IPAM ({@link IpamException},
 * here) and the plugins ({@code dev.weft.cni.spec.CniError}, in cni-plugin, which depends on this
 * module). Both exception types implement this interface, so {@code CniError.INVALID_CONFIG} and
 * {@code IpamException.INVALID_CONFIG} are the same constant. Codes 1–99 are the spec's; 100 and
 * up are Weft's own; 999 is what the reference plugins use for a plain internal error.
 */
public interface CniErrorCodes {
    /** The config's cniVersion cannot express the request. */
    int INCOMPATIBLE_VERSION = 1;
    int UNSUPPORTED_FIELD = 2;
    int UNKNOWN_CONTAINER = 3;
    int INVALID_ENV = 4;
    /** The store (or another file) could not be read or written. */
    int IO_FAILURE = 5;
    int DECODE_FAILURE = 6;
    /** The network config (or CNI_ARGS) is invalid. */
    int INVALID_CONFIG = 7;
    /** Transient: retrying later may succeed (a requested IP still held by someone else). */
    int TRY_AGAIN_LATER = 11;
    /** STATUS: the plugin cannot service ADD right now. */
    int NOT_AVAILABLE = 50;
    int NOT_AVAILABLE_LIMITED_CONNECTIVITY = 51;
    /** Weft: a kernel operation failed (the details carry the errno and the kernel's message). */
    int KERNEL_FAILURE = 100;
    /** The reference's catch-all ({@code types.ErrInternal}); used for exhaustion like the reference. */
    int INTERNAL = 999;
}
