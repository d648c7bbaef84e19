package dev.weft.flannel.backend;

/** A backend cannot be created or set up: bad options, an unusable node, or a kernel refusal during set-up. */
public class BackendException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
