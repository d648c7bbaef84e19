package dev.weft.flannel.subnet.kv;

/** The store could not be reached or refused a request (timeouts, connection loss, I/O errors). */
public class KvException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KvException(String message) {
        super(message);
    }

    public KvException(String message, Throwable cause) {
        super(message, cause);
    }
}
