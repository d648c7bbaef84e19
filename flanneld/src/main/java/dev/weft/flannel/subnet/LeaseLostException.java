package dev.weft.flannel.subnet;

/** Our lease is no longer ours: its key expired, was deleted, or now holds someone else's attrs. */
public class LeaseLostException extends SubnetException {
    private static final long serialVersionUID = 1L;

    public LeaseLostException(String message) {
        super(message);
    }
}
