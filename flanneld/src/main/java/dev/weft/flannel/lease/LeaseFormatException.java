package dev.weft.flannel.lease;

/** A lease value or key that cannot be decoded. */
public class LeaseFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public LeaseFormatException(String message) {
        super(message);
    }

    public LeaseFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
