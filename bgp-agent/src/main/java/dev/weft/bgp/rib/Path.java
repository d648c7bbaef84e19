package dev.weft.bgp.rib;

import dev.weft.net.Cidr;
import java.util.Objects;

/**
 * One route to a prefix as learned from one peer (or originated here): about 40 bytes plus the
 * shared attribute set. Immutable; marking it stale makes a new one, so a listener holding a path
 * never sees it change.
 *
 * @param pathId the ADD-PATH path identifier (RFC 7911) the peer sent, 0 without ADD-PATH: two paths
 *               from one peer to one prefix are told apart by it
 * @param learnedAtMillis wall clock when this announcement arrived (kept when it goes stale)
 */
public record Path(Cidr prefix, int pathId, PeerInfo source, Attrs attrs, boolean stale, long learnedAtMillis) {
    public Path {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(attrs, "attrs");
    }

    /** A path learned now (the wall clock shown by {@code weftctl bgp routes} as its age). */
    public Path(Cidr prefix, int pathId, PeerInfo source, Attrs attrs, boolean stale) {
        this(prefix, pathId, source, attrs, stale, System.currentTimeMillis());
    }

    public boolean isLocal() {
        return source.isLocal();
    }

    /** Same prefix, origin, path id and attributes: a replacement that changes nothing for the FIB. */
    boolean sameRoute(Path o) {
        return prefix.equals(o.prefix) && pathId == o.pathId && source.key().equals(o.source.key())
                && attrs.equals(o.attrs);
    }

    boolean sameSlot(PeerKey peer, int id) {
        return pathId == id && source.key().equals(peer);
    }

    Path asStale() {
        return stale ? this : new Path(prefix, pathId, source, attrs, true, learnedAtMillis);
    }

    // Record equality would compare the attribute sets element by element; identity is the useful
    // meaning for paths held in the RIB.
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return prefix + (pathId == 0 ? "" : "#" + Integer.toUnsignedString(pathId)) + " from " + source.key()
                + (stale ? " (stale) " : " ") + attrs;
    }
}
