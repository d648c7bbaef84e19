package dev.weft.flannel.rules;

/** A firewall tool refused what Weft asked; the message carries its command, exit code and stderr. */
public final class RulesException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RulesException(String message) {
        super(message);
    }

    public RulesException(String message, Throwable cause) {
        super(message, cause);
    }
}
