package dev.weft.bgp.wire;

/**
 * A message that cannot be accepted, carrying the NOTIFICATION the speaker must send for it
 * (RFC 4271 §6). The only exception the codec throws on bad input.
 */
public final class BgpWireException extends Exception {
    private final Notification notification;

    public BgpWireException(int code, int subcode, Octets data, String message) {
        super(message);
        this.notification = new Notification(code, subcode, data);
    }

    public BgpWireException(int code, int subcode, String message) {
        this(code, subcode, Octets.EMPTY, message);
    }

    public Notification notification() {
        return notification;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // thrown per bad message from the network: the stack says nothing the message does not
    }
}
