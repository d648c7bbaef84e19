package dev.weft.bgp.wire;

import java.util.Objects;

/** NOTIFICATION (RFC 4271 §4.5): error code, subcode and data. The sender closes the connection after it. */
public record Notification(int code, int subcode, Octets data) implements BgpMessage {
    public static final int MESSAGE_HEADER_ERROR = 1;
    public static final int OPEN_MESSAGE_ERROR = 2;
    public static final int UPDATE_MESSAGE_ERROR = 3;
    public static final int HOLD_TIMER_EXPIRED = 4;
    public static final int FSM_ERROR = 5;
    public static final int CEASE = 6;
    public static final int ROUTE_REFRESH_ERROR = 7;

    public Notification {
        Objects.requireNonNull(data, "data");
    }

    public static Notification of(int code, int subcode) {
        return new Notification(code, subcode, Octets.EMPTY);
    }

    @Override
    public int type() {
        return TYPE_NOTIFICATION;
    }
}
