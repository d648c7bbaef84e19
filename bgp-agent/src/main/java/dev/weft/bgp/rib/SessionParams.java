package dev.weft.bgp.rib;

import dev.weft.bgp.wire.CodecContext;
import dev.weft.bgp.wire.Family;
import dev.weft.net.IpAddress;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * What an Established session negotiated that the RIB needs.
 *
 * @param families        families both sides announced (MP capability); others are ignored both ways
 * @param addPathSend     families we may send path ids for (RFC 7911); changes only the size estimate,
 *                        since we advertise one path (the best) per prefix with path id 0
 * @param maxMessage      4096, or 65535 with extended messages (RFC 8654)
 * @param grPreserved     families the peer's new GR capability lists with the F bit: its stale routes
 *                        in these families wait for End-of-RIB; in the others they go at once (RFC 4724 §4.2)
 * @param nextHopSelf     our address per family for "next hop self" (the session's local address for
 *                        its own family; the node's v6 address for IPv6 over an IPv4 session). A family
 *                        without one is not exported where next hop self would be needed.
 */
public record SessionParams(Set<Family> families, Set<Family> addPathSend, int maxMessage, Set<Family> grPreserved,
                            Map<Family, IpAddress> nextHopSelf) {
    public SessionParams {
        families = copy(families);
        addPathSend = copy(addPathSend);
        grPreserved = copy(grPreserved);
        nextHopSelf = Map.copyOf(nextHopSelf);
        if (maxMessage < CodecContext.MAX_MESSAGE || maxMessage > CodecContext.MAX_EXTENDED_MESSAGE) {
            throw new IllegalArgumentException("maxMessage out of range: " + maxMessage);
        }
    }

    /** One family, no ADD-PATH, 4096-octet messages, all families preserved over a restart. */
    public static SessionParams of(Family family, IpAddress localAddress) {
        return new SessionParams(Set.of(family), Set.of(), CodecContext.MAX_MESSAGE, Set.of(family),
                Map.of(family, localAddress));
    }

    public SessionParams withMaxMessage(int max) {
        return new SessionParams(families, addPathSend, max, grPreserved, nextHopSelf);
    }

    public SessionParams withAddPathSend(Set<Family> f) {
        return new SessionParams(families, f, maxMessage, grPreserved, nextHopSelf);
    }

    public SessionParams withGrPreserved(Set<Family> f) {
        return new SessionParams(families, addPathSend, maxMessage, f, nextHopSelf);
    }

    private static Set<Family> copy(Set<Family> s) {
        return s.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(s));
    }
}
