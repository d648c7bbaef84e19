package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.Notification;

/** Readable names of NOTIFICATION codes (RFC 4271 §4.5, RFC 4486, RFC 6608, RFC 8538) for status and logs. */
final class NotificationText {
    private static final String[] CODES = {"", "message header error", "OPEN message error", "UPDATE message error",
            "hold timer expired", "FSM error", "cease", "ROUTE-REFRESH error"};
    private static final String[] OPEN = {"", "unsupported version", "bad peer AS", "bad BGP identifier",
            "unsupported optional parameter", "", "unacceptable hold time", "unsupported capability"};
    private static final String[] FSM = {"", "unexpected message in OpenSent", "unexpected message in OpenConfirm",
            "unexpected message in Established"};
    private static final String[] CEASE = {"", "maximum prefixes reached", "administrative shutdown",
            "peer de-configured", "administrative reset", "connection rejected", "other configuration change",
            "connection collision resolution", "out of resources", "hard reset"};

    private NotificationText() {
    }

    static String describe(Notification n) {
        String code = n.code() > 0 && n.code() < CODES.length ? CODES[n.code()] : "code " + n.code();
        String[] subs = switch (n.code()) {
            case Notification.OPEN_MESSAGE_ERROR -> OPEN;
            case Notification.FSM_ERROR -> FSM;
            case Notification.CEASE -> CEASE;
            default -> new String[0];
        };
        String sub = n.subcode() > 0 && n.subcode() < subs.length && !subs[n.subcode()].isEmpty()
                ? ": " + subs[n.subcode()] : "";
        return n.code() + "/" + n.subcode() + " " + code + sub;
    }
}
