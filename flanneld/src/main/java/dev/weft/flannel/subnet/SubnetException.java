package dev.weft.flannel.subnet;

/** Lease acquisition or renewal failed for a reason other than the store being unreachable. */
public class SubnetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SubnetException(String message) {
        super(message);
    }

    public SubnetException(String message, Throwable cause) {
        super(message, cause);
    }
}
