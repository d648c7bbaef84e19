package dev.weft.bgp.rib;

import dev.weft.bgp.wire.AsPathSegment;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Which best paths go to which peer, and how their attributes are rewritten (RFC 4271 §5 and §9.2,
 * RFC 4456 §6-§8, RFC 1997). Works on attribute sets, so the result is computed once per set and
 * peer, not per prefix.
 */
final class ExportPolicy {
    /** The most ASNs one AS_SEQUENCE segment holds (its count is one octet). */
    private static final int MAX_SEGMENT = 255;

    /**
     * Kinds of receiving peer, as bits of an audience: what {@link #export} decides depends on the
     * target peer mostly through its kind, so a change can be judged once for all peers of a kind.
     */
    static final int TO_EBGP = 1;
    static final int TO_IBGP = 2;
    static final int TO_CLIENT = 4;
    static final int TO_ANY = TO_EBGP | TO_IBGP | TO_CLIENT;

    private final RibConfig config;

    ExportPolicy(RibConfig config) {
        this.config = config;
    }

    /** The kind of peer {@code to} is, one of the {@code TO_} bits. */
    static int kindOf(PeerInfo to) {
        return !to.ibgp() ? TO_EBGP : to.rrClient() ? TO_CLIENT : TO_IBGP;
    }

    /**
     * The kinds of peer {@link #export} may send {@code best} to (a superset: a peer of a kind not
     * in it always gets null), 0 for none or no best path. In an iBGP mesh without reflection an
     * iBGP-learned route goes to nobody, so a full table from one peer is no work for the others.
     */
    int audience(Path best) {
        if (best == null || best.attrs().noAdvertise) {
            return 0;
        }
        int kinds = best.attrs().noExport ? 0 : TO_EBGP;
        if (best.isLocal() || !best.source().ibgp()) {
            return kinds | TO_IBGP | TO_CLIENT;
        }
        if (config.isReflector()) { // as reflect(): client routes to everyone, others to clients
            kinds |= TO_CLIENT | (best.source().rrClient() ? TO_IBGP : 0);
        }
        return kinds;
    }

    /** The attributes to send {@code best} to {@code to} with, or null when it must not go there. */
    Attrs export(Path best, PeerInfo to, SessionParams session) {
        PeerInfo from = best.source();
        Attrs a = best.attrs();
        if (from.key().equals(to.key()) || a.noAdvertise) {
            return null;
        }
        Family family = best.prefix().isV6() ? Family.IPV6_UNICAST : Family.IPV4_UNICAST;
        IpAddress self = session.nextHopSelf().get(family);
        if (!to.ibgp()) {
            return a.noExport || self == null ? null : toEbgp(a, best.isLocal(), to.localAs(), self);
        }
        if (best.isLocal()) {
            if (self == null) {
                return null;
            }
            Attrs.Editor e = a.edit().nextHop(self, null);
            if (a.localPref < 0) {
                e.put(new PathAttribute.LocalPref(config.localPref()));
            }
            return e.build();
        }
        if (!from.ibgp()) {
            // eBGP-learned to iBGP: everything kept, next hop included (RFC 4271 §5.1.3).
            return dropUnknownNonTransitive(a, a.edit().nextHop(a.nextHop(), null)).build();
        }
        return reflect(best, to, self);
    }

    /**
     * iBGP to iBGP: only a route reflector passes it on, client routes to everyone, non-client
     * routes to clients only (RFC 4456 §6); it adds ORIGINATOR_ID and its CLUSTER_ID (§8).
     */
    private Attrs reflect(Path best, PeerInfo to, IpAddress self) {
        if (!config.isReflector() || !(best.source().rrClient() || to.rrClient())) {
            return null;
        }
        Attrs a = best.attrs();
        Attrs.Editor e = a.edit();
        if (a.originatorId < 0) {
            e.put(new PathAttribute.OriginatorId(best.source().routerId()));
        }
        PathAttribute.ClusterList cl = a.get(PathAttribute.ClusterList.class);
        List<Integer> ids = new ArrayList<>();
        ids.add(config.clusterId().getAsInt());
        if (cl != null) {
            ids.addAll(cl.clusterIds());
        }
        e.put(new PathAttribute.ClusterList(ids));
        if (config.reflectNextHop() == RibConfig.NextHopMode.SELF) {
            if (self == null) {
                return null;
            }
            e.nextHop(self, null);
        } else {
            e.nextHop(a.nextHop(), null);
        }
        return dropUnknownNonTransitive(a, e).build();
    }

    /**
     * To an eBGP peer: our AS prepended, next hop self, no LOCAL_PREF, no received MED (our own
     * routes keep theirs), no RR attributes, no unknown non-transitive attributes.
     */
    private static Attrs toEbgp(Attrs a, boolean local, long localAs, IpAddress self) {
        Attrs.Editor e = a.edit()
                .put(prepend(a.asPath(), localAs))
                .remove(PathAttribute.LOCAL_PREF)
                .remove(PathAttribute.ORIGINATOR_ID)
                .remove(PathAttribute.CLUSTER_LIST)
                .nextHop(self, null);
        if (!local) {
            e.remove(PathAttribute.MULTI_EXIT_DISC);
        }
        return dropUnknownNonTransitive(a, e).build();
    }

    /** Unrecognised non-transitive attributes are not passed on (RFC 4271 §5); transitive ones are. */
    private static Attrs.Editor dropUnknownNonTransitive(Attrs a, Attrs.Editor e) {
        for (PathAttribute x : a.attributes()) {
            if (x instanceof PathAttribute.Unknown u && !u.isOptionalTransitive()) {
                e.remove(u.typeCode());
            }
        }
        return e;
    }

    static PathAttribute.AsPath prepend(PathAttribute.AsPath path, long as) {
        List<AsPathSegment> segs = new ArrayList<>(path.segments());
        if (!segs.isEmpty() && segs.get(0).segmentType() == AsPathSegment.AS_SEQUENCE
                && segs.get(0).asns().size() < MAX_SEGMENT) {
            List<Long> asns = new ArrayList<>(segs.get(0).asns().size() + 1);
            asns.add(as);
            asns.addAll(segs.get(0).asns());
            segs.set(0, AsPathSegment.sequence(asns));
        } else {
            segs.add(0, AsPathSegment.sequence(List.of(as)));
        }
        return new PathAttribute.AsPath(segs);
    }
}
