package dev.weft.bgp.fsm;

import java.util.Optional;

/**
 * One peer as {@link Sessions#status()} shows it.
 *
 * @param uptimeMillis how long the session has been Established (0 otherwise)
 * @param lastError    the last reason a connection ended, with the NOTIFICATION decoded; empty if none
 * @param readPauses   how often reading from this peer stopped because the listener (the RIB) fell behind
 * @param keepalives   how late our KEEPALIVEs went out
 */
public record PeerStatus(PeerId peer, SessionState state, long uptimeMillis, String lastError, long messagesIn,
                         long messagesOut, long readPauses, Optional<Negotiated> negotiated, KeepaliveCounts keepalives) {
}
