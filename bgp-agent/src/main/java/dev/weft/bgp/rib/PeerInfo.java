package dev.weft.bgp.rib;

import java.util.Objects;

/**
 * What the RIB needs to know about a neighbour of one session: its identity and the AS data the
 * OPENs settled. The session layer builds it once the session is Established.
 *
 * @param peerAs   the neighbour's AS (from the 4-octet AS capability when present)
 * @param localAs  our AS on this session; equal to {@code peerAs} makes the session iBGP
 * @param routerId the neighbour's BGP identifier, unsigned 32-bit in an int (a decision tie-breaker)
 * @param rrClient whether we treat this iBGP neighbour as a route-reflector client (RFC 4456)
 */
public record PeerInfo(PeerKey key, long peerAs, long localAs, int routerId, boolean rrClient) {
    public PeerInfo {
        Objects.requireNonNull(key, "key");
    }

    public boolean ibgp() {
        return peerAs == localAs;
    }

    /** The owner of locally originated routes. */
    static PeerInfo local(RibConfig config) {
        return new PeerInfo(PeerKey.LOCAL, config.localAs(), config.localAs(), config.routerId(), false);
    }

    boolean isLocal() {
        return key.equals(PeerKey.LOCAL);
    }
}
