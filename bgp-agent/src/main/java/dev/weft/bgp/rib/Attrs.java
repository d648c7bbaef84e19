package dev.weft.bgp.rib;

import dev.weft.bgp.wire.AsPathSegment;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * An immutable path attribute set with its next hop: what many prefixes of one UPDATE share.
 * Interned by {@link AttrsInterner}, so a stored path costs a reference to it, not a copy.
 *
 * <p>The attributes are kept sorted by type code (the order RFC 4271 asks senders to use), without
 * NEXT_HOP and the MP attributes: the next hop is its own field (it comes from NEXT_HOP or
 * MP_REACH), and the NLRI are the paths. What the decision process reads is computed once here.
 */
public final class Attrs {
    private static final Comparator<PathAttribute> BY_TYPE = Comparator.comparingInt(PathAttribute::typeCode);

    private final List<PathAttribute> attributes;
    private final IpAddress nextHop;
    private final IpAddress linkLocalNextHop;
    private final int hash;

    // Decision inputs, derived from the attributes.
    final long localPref;       // -1 when absent
    final int asPathLength;
    final int origin;
    final long med;             // -1 when absent
    final long neighbourAs;     // 0 for an empty path
    final long originatorId;    // -1 when absent, else the unsigned id
    final int clusterListLength;
    final boolean noExport;
    final boolean noAdvertise;

    int refCount; // owned by AttrsInterner; the RIB is single-threaded

    private Attrs(List<PathAttribute> sorted, IpAddress nextHop, IpAddress linkLocalNextHop) {
        this.attributes = sorted;
        this.nextHop = nextHop;
        this.linkLocalNextHop = linkLocalNextHop;
        this.hash = 31 * (31 * sorted.hashCode() + Objects.hashCode(nextHop)) + Objects.hashCode(linkLocalNextHop);
        long lp = -1, m = -1, orig = -1, nAs = 0;
        int len = 0, o = PathAttribute.Origin.INCOMPLETE, cl = 0;
        boolean ne = false, na = false;
        for (PathAttribute a : sorted) {
            if (a instanceof PathAttribute.Origin x) {
                o = x.value();
            } else if (a instanceof PathAttribute.AsPath x) {
                len = x.pathLength();
                nAs = x.firstAs();
            } else if (a instanceof PathAttribute.MultiExitDisc x) {
                m = x.value();
            } else if (a instanceof PathAttribute.LocalPref x) {
                lp = x.value();
            } else if (a instanceof PathAttribute.OriginatorId x) {
                orig = Integer.toUnsignedLong(x.routerId());
            } else if (a instanceof PathAttribute.ClusterList x) {
                cl = x.clusterIds().size();
            } else if (a instanceof PathAttribute.Communities x) {
                ne = x.values().contains(PathAttribute.Communities.NO_EXPORT);
                na = x.values().contains(PathAttribute.Communities.NO_ADVERTISE);
            }
        }
        localPref = lp;
        med = m;
        originatorId = orig;
        neighbourAs = nAs;
        asPathLength = len;
        origin = o;
        clusterListLength = cl;
        noExport = ne;
        noAdvertise = na;
    }

    /**
     * An attribute set from an UPDATE's attributes; NEXT_HOP and MP_REACH/MP_UNREACH are dropped
     * (pass the next hop that applies to the NLRI at hand).
     *
     * @param nextHop          null for locally originated routes ("self" on export)
     * @param linkLocalNextHop the IPv6 link-local second next hop of MP_REACH, or null
     */
    public static Attrs of(List<PathAttribute> attributes, IpAddress nextHop, IpAddress linkLocalNextHop) {
        List<PathAttribute> kept = new ArrayList<>(attributes.size());
        for (PathAttribute a : attributes) {
            if (!(a instanceof PathAttribute.NextHop || a instanceof PathAttribute.MpReach
                    || a instanceof PathAttribute.MpUnreach)) {
                kept.add(a);
            }
        }
        kept.sort(BY_TYPE); // stable: keeps a repeated unknown type in arrival order
        return new Attrs(List.copyOf(kept), nextHop, linkLocalNextHop);
    }

    public static Attrs of(List<PathAttribute> attributes, IpAddress nextHop) {
        return of(attributes, nextHop, null);
    }

    public List<PathAttribute> attributes() {
        return attributes;
    }

    /** The next hop, or null for a locally originated route. */
    public IpAddress nextHop() {
        return nextHop;
    }

    public IpAddress linkLocalNextHop() {
        return linkLocalNextHop;
    }

    public <A extends PathAttribute> A get(Class<A> kind) {
        for (PathAttribute a : attributes) {
            if (kind.isInstance(a)) {
                return kind.cast(a);
            }
        }
        return null;
    }

    public PathAttribute.AsPath asPath() {
        PathAttribute.AsPath p = get(PathAttribute.AsPath.class);
        return p == null ? PathAttribute.AsPath.EMPTY : p;
    }

    /** How often {@code as} occurs in AS_PATH (sets and confederation segments included). */
    int asPathCount(long as) {
        int n = 0;
        for (AsPathSegment s : asPath().segments()) {
            for (Long a : s.asns()) {
                if (a == as) {
                    n++;
                }
            }
        }
        return n;
    }

    boolean clusterListContains(int clusterId) {
        PathAttribute.ClusterList cl = get(PathAttribute.ClusterList.class);
        return cl != null && cl.clusterIds().contains(clusterId);
    }

    /** A copy to rewrite (import defaults, export rules); the result is a new, un-interned set. */
    Editor edit() {
        return new Editor(this);
    }

    /** Mutable scratch copy of an attribute set; used once per attribute set, not per prefix. */
    static final class Editor {
        private final List<PathAttribute> list;
        private IpAddress nextHop;
        private IpAddress linkLocal;

        private Editor(Attrs from) {
            list = new ArrayList<>(from.attributes);
            nextHop = from.nextHop;
            linkLocal = from.linkLocalNextHop;
        }

        Editor remove(int typeCode) {
            list.removeIf(a -> a.typeCode() == typeCode);
            return this;
        }

        /** Replaces every attribute of that type with {@code a}. */
        Editor put(PathAttribute a) {
            remove(a.typeCode());
            list.add(a);
            return this;
        }

        Editor nextHop(IpAddress nh, IpAddress ll) {
            nextHop = nh;
            linkLocal = ll;
            return this;
        }

        Attrs build() {
            return Attrs.of(list, nextHop, linkLocal);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof Attrs a && hash == a.hash && attributes.equals(a.attributes)
                && Objects.equals(nextHop, a.nextHop) && Objects.equals(linkLocalNextHop, a.linkLocalNextHop);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "Attrs" + attributes + " nh=" + nextHop + (linkLocalNextHop == null ? "" : "," + linkLocalNextHop);
    }
}
