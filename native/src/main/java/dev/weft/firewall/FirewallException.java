package dev.weft.firewall;

/** A firewall tool failed or printed what cannot be trusted; the message names the command and why. */
public final class FirewallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FirewallException(String message) {
        super(message);
    }
}
