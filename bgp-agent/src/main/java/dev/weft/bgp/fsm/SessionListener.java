package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.RouteRefresh;
import dev.weft.bgp.wire.Update;
import dev.weft.net.IpAddress;

/**
 * The upper layer (the RIB) as the sessions see it. Called on the executor given to
 * {@link Sessions#start}, never on an I/O thread, in the order things happened per peer:
 * established, updates and refreshes, down. That executor must run tasks one at a time in
 * submission order (a single thread). A slow listener slows reading from its peers, never their
 * keepalives.
 */
public interface SessionListener {
    /** @param localAddress our end of the connection: the natural next hop towards this peer */
    void established(PeerId peer, Negotiated negotiated, IpAddress localAddress);

    /** An UPDATE as the RIB should apply it (RFC 7606 treat-as-withdraw already turned into withdrawals). */
    void update(PeerId peer, Update update);

    void routeRefresh(PeerId peer, RouteRefresh refresh);

    void down(PeerId peer, DownReason reason);

    /** After {@link Sessions#send} answered {@link Sessions.SendResult#FULL}: the peer may take more now. */
    default void writable(PeerId peer) {
    }
}
