package dev.weft.bgp.fsm;

import dev.weft.bgp.status.KeepaliveStats;

import java.util.Optional;

/**
 * One peer as {@link Sessions#status()} shows it.
 *
 * @param uptimeMillis how long the session has been Established (0 otherwise)
 * @param lastError    the last reason a connection ended, with the NOTIFICATION decoded; empty if none
 * @param received     messages read from the peer by type, over every connection since start
 * @param sent         messages written to the peer by type (a NOTIFICATION counts when it is handed to the socket)
 * @param readPauses   how often reading from this peer stopped because the listener (the RIB) fell behind
 * @param keepalives   the KEEPALIVEs our keepalive timer sent and how late (the ones answering an OPEN are not timed)
 */
public record PeerStatus(PeerId peer, SessionState state, long uptimeMillis, String lastError, Messages received,
                         Messages sent, long readPauses, Optional<Negotiated> negotiated, KeepaliveStats keepalives) {

    /** Message counts by type. */
    public record Messages(long open, long update, long notification, long keepalive, long routeRefresh) {
        public long total() {
            return open + update + notification + keepalive + routeRefresh;
        }
    }

    public long messagesIn() {
        return received.total();
    }

    public long messagesOut() {
        return sent.total();
    }
}
