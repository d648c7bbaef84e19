package dev.weft.bgp.rib;

import dev.weft.bgp.wire.AsPathSegment;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.net.Cidr;

/**
 * Upper bounds of UPDATE sizes from the wire layout (RFC 4271 §4.3, RFC 4760, RFC 7911), so the
 * RIB can pack messages without the codec. Bounds, not exact sizes: every attribute header is
 * counted with the 2-octet extended length (a codec may use 1 octet for short values), and ASNs as
 * 4 octets (every peer we meet negotiates AS4, bgp.md §1.3). Over-counting costs at most one
 * octet per attribute; under-counting would make an oversized message.
 */
final class WireSize {
    /** Marker, length, type. */
    static final int HEADER = 19;
    /** Header + withdrawn routes length + total path attribute length. */
    static final int EMPTY_UPDATE = HEADER + 2 + 2;
    /** Flags, type, 2-octet length. */
    static final int ATTR_HEADER = 4;
    /** MP_REACH value before its NLRI, without the next hop: AFI, SAFI, next hop length, reserved. */
    static final int MP_REACH_FIXED = 2 + 1 + 1 + 1;
    /** MP_UNREACH value before its withdrawn routes: AFI, SAFI. */
    static final int MP_UNREACH_FIXED = 2 + 1;

    private WireSize() {}

    /** One prefix in NLRI or withdrawn routes: [path id], length octet, the significant octets. */
    static int prefix(Cidr p, boolean addPath) {
        return (addPath ? 4 : 0) + 1 + (p.prefixLength() + 7) / 8;
    }

    /** The attributes of a set on the wire, headers included (NEXT_HOP and MP attributes excluded). */
    static int attributes(Attrs a) {
        int n = 0;
        for (PathAttribute x : a.attributes()) {
            n += ATTR_HEADER + value(x);
        }
        return n;
    }

    static int value(PathAttribute x) {
        if (x instanceof PathAttribute.Unknown u) {
            return u.value().length();
        }
        return switch (x.typeCode()) {
            case PathAttribute.ORIGIN -> 1;
            case PathAttribute.AS_PATH -> segments(((PathAttribute.AsPath) x).segments());
            case PathAttribute.AS4_PATH -> segments(((PathAttribute.As4Path) x).segments());
            case PathAttribute.NEXT_HOP -> ((PathAttribute.NextHop) x).address().byteLength();
            case PathAttribute.MULTI_EXIT_DISC, PathAttribute.LOCAL_PREF, PathAttribute.ORIGINATOR_ID -> 4;
            case PathAttribute.ATOMIC_AGGREGATE -> 0;
            case PathAttribute.AGGREGATOR, PathAttribute.AS4_AGGREGATOR -> 8;
            case PathAttribute.COMMUNITIES -> 4 * ((PathAttribute.Communities) x).values().size();
            case PathAttribute.CLUSTER_LIST -> 4 * ((PathAttribute.ClusterList) x).clusterIds().size();
            case PathAttribute.EXTENDED_COMMUNITIES -> 8 * ((PathAttribute.ExtendedCommunities) x).values().size();
            case PathAttribute.LARGE_COMMUNITIES -> 12 * ((PathAttribute.LargeCommunities) x).values().size();
            default -> throw new IllegalArgumentException("sized by the packer: " + x.typeCode());
        };
    }

    private static int segments(java.util.List<AsPathSegment> segs) {
        int n = 0;
        for (AsPathSegment s : segs) {
            n += 2 + 4 * s.asns().size();
        }
        return n;
    }
}
