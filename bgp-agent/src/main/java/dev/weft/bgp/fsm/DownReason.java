package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.Notification;

import java.util.Optional;

/**
 * Why an Established session ended.
 *
 * @param graceful the peer negotiated graceful restart and the session ended the way a restart looks
 *                 (the TCP connection dropped without a NOTIFICATION, or the peer reopened while
 *                 Established, RFC 4724 §4.2): the RIB keeps its routes as stale for the restart time
 *                 instead of withdrawing them
 */
public record DownReason(boolean graceful, Optional<Notification> sent, Optional<Notification> received,
                         String message) {
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(message);
        sent.ifPresent(n -> b.append("; sent ").append(NotificationText.describe(n)));
        received.ifPresent(n -> b.append("; received ").append(NotificationText.describe(n)));
        if (graceful) {
            b.append(" (graceful: routes kept stale)");
        }
        return b.toString();
    }
}
