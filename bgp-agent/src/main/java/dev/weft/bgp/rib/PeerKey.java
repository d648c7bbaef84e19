package dev.weft.bgp.rib;

import dev.weft.net.IpAddress;
import java.util.Objects;

/**
 * Identifies a neighbour across its sessions: its address. Stale routes of a restarting peer are
 * matched to its next session through this key, so it must not include anything that changes on
 * reconnect (router id, ports).
 */
public record PeerKey(IpAddress address) implements Comparable<PeerKey> {
    /** The pseudo-peer that owns locally originated routes; no real session uses the unspecified address. */
    public static final PeerKey LOCAL = new PeerKey(IpAddress.V4_UNSPECIFIED);

    public PeerKey {
        Objects.requireNonNull(address, "address");
    }

    public static PeerKey of(String address) {
        return new PeerKey(IpAddress.parse(address));
    }

    /** By hand: the record's own go through method handles, slow under the client compiler (a lookup per route). */
    @Override
    public boolean equals(Object o) {
        return o instanceof PeerKey k && k.address.equals(address);
    }

    @Override
    public int hashCode() {
        return address.hashCode();
    }

    @Override
    public int compareTo(PeerKey o) {
        return address.compareTo(o.address);
    }

    @Override
    public String toString() {
        return address.toString();
    }
}
