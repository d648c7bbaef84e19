package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.CodecContext;
import dev.weft.bgp.wire.Family;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the two OPENs of a session agreed on (RFC 4271 §4.2, RFC 5492): the input of the codec
 * ({@link #codecContext()}) and of the RIB (families, ADD-PATH, graceful restart, route refresh).
 *
 * @param holdTime         seconds, min of both offers; 0 = neither keepalives nor a hold timer
 * @param keepaliveTime    seconds between our KEEPALIVEs (0 with hold 0)
 * @param peerAs           the peer's real AS (from its 4-octet AS capability when present)
 * @param peerRouterId     the peer's BGP identifier, unsigned in an int
 * @param families         both offered (a peer without MP capabilities offers IPv4 unicast only)
 * @param addPathReceive   families where the peer sends several paths per prefix and we receive them
 * @param addPathSend      families where we may send several paths per prefix
 * @param gracefulRestart  present when both sides sent the GR capability (RFC 4724)
 */
public record Negotiated(int holdTime, int keepaliveTime, long peerAs, int peerRouterId, Set<Family> families,
                         boolean fourOctetAs, boolean routeRefresh, boolean enhancedRouteRefresh,
                         Set<Family> addPathReceive, Set<Family> addPathSend, boolean extendedMessage,
                         Optional<PeerRestart> gracefulRestart) {
    public Negotiated {
        families = Set.copyOf(families);
        addPathReceive = Set.copyOf(addPathReceive);
        addPathSend = Set.copyOf(addPathSend);
    }

    /**
     * The peer's graceful restart capability as it concerns us.
     *
     * @param restartTime         seconds the peer asks us to keep its routes after the session drops
     * @param restarting          the R bit: the peer has just restarted (so it will send End-of-RIB)
     * @param forwardingPreserved per negotiated family the peer listed, its F bit
     */
    public record PeerRestart(int restartTime, boolean restarting, Map<Family, Boolean> forwardingPreserved) {
        public PeerRestart {
            forwardingPreserved = Map.copyOf(forwardingPreserved);
        }
    }

    public CodecContext codecContext() {
        return new CodecContext(fourOctetAs, addPathReceive, addPathSend, extendedMessage);
    }
}
