package dev.weft.flannel.subnet;

/** Every subnet between SubnetMin and SubnetMax is taken. */
public class OutOfSubnetsException extends SubnetException {
    private static final long serialVersionUID = 1L;

    public OutOfSubnetsException(String message) {
        super(message);
    }
}
