package dev.weft.bgp.wire;

import dev.weft.net.IpAddress;
import java.util.List;
import java.util.Objects;

/**
 * A path attribute of an UPDATE (RFC 4271 §5 and the RFCs named on each type). The codec writes the
 * standard flags for the known types and keeps an {@link Unknown} attribute's flags as received
 * (setting Partial when it passes on an optional transitive one, RFC 4271 §5).
 */
public sealed interface PathAttribute {
    int ORIGIN = 1;
    int AS_PATH = 2;
    int NEXT_HOP = 3;
    int MULTI_EXIT_DISC = 4;
    int LOCAL_PREF = 5;
    int ATOMIC_AGGREGATE = 6;
    int AGGREGATOR = 7;
    int COMMUNITIES = 8;
    int ORIGINATOR_ID = 9;
    int CLUSTER_LIST = 10;
    int MP_REACH_NLRI = 14;
    int MP_UNREACH_NLRI = 15;
    int EXTENDED_COMMUNITIES = 16;
    int AS4_PATH = 17;
    int AS4_AGGREGATOR = 18;
    int LARGE_COMMUNITIES = 32;

    int FLAG_OPTIONAL = 0x80;
    int FLAG_TRANSITIVE = 0x40;
    int FLAG_PARTIAL = 0x20;
    int FLAG_EXTENDED_LENGTH = 0x10;

    /** The attribute type code. */
    int typeCode();

    /** ORIGIN: 0 IGP, 1 EGP, 2 INCOMPLETE. */
    record Origin(int value) implements PathAttribute {
        public static final int IGP = 0;
        public static final int EGP = 1;
        public static final int INCOMPLETE = 2;

        public int typeCode() {
            return ORIGIN;
        }
    }

    /** AS_PATH; ASNs are 4 octets on the wire when the session negotiated AS4, 2 otherwise. */
    record AsPath(List<AsPathSegment> segments) implements PathAttribute {
        public static final AsPath EMPTY = new AsPath(List.of());

        public AsPath {
            segments = List.copyOf(segments);
        }

        public int pathLength() {
            int n = 0;
            for (AsPathSegment s : segments) {
                n += s.pathLength();
            }
            return n;
        }

        public boolean contains(long as) {
            for (AsPathSegment s : segments) {
                if (s.asns().contains(as)) {
                    return true;
                }
            }
            return false;
        }

        /** The neighbour AS for the MED comparison: the first AS of a leading AS_SEQUENCE, or 0 (local). */
        public long firstAs() {
            return !segments.isEmpty() && segments.get(0).segmentType() == AsPathSegment.AS_SEQUENCE
                    && !segments.get(0).asns().isEmpty() ? segments.get(0).asns().get(0) : 0L;
        }

        public int typeCode() {
            return AS_PATH;
        }
    }

    /** NEXT_HOP for IPv4 NLRI in the UPDATE's own NLRI field. */
    record NextHop(IpAddress address) implements PathAttribute {
        public NextHop {
            Objects.requireNonNull(address);
        }

        public int typeCode() {
            return NEXT_HOP;
        }
    }

    /** MULTI_EXIT_DISC, unsigned 32-bit. */
    record MultiExitDisc(long value) implements PathAttribute {
        public int typeCode() {
            return MULTI_EXIT_DISC;
        }
    }

    /** LOCAL_PREF, unsigned 32-bit; iBGP only. */
    record LocalPref(long value) implements PathAttribute {
        public int typeCode() {
            return LOCAL_PREF;
        }
    }

    record AtomicAggregate() implements PathAttribute {
        public int typeCode() {
            return ATOMIC_AGGREGATE;
        }
    }

    /** AGGREGATOR; the AS is 4 octets on an AS4 session. */
    record Aggregator(long as, IpAddress address) implements PathAttribute {
        public int typeCode() {
            return AGGREGATOR;
        }
    }

    /** COMMUNITIES (RFC 1997), each an unsigned 32-bit value in an int. */
    record Communities(List<Integer> values) implements PathAttribute {
        public static final int NO_EXPORT = 0xFFFFFF01;
        public static final int NO_ADVERTISE = 0xFFFFFF02;

        public Communities {
            values = List.copyOf(values);
        }

        public int typeCode() {
            return COMMUNITIES;
        }
    }

    /** ORIGINATOR_ID (RFC 4456): the router id of the route's originator in the AS. */
    record OriginatorId(int routerId) implements PathAttribute {
        public int typeCode() {
            return ORIGINATOR_ID;
        }
    }

    /** CLUSTER_LIST (RFC 4456), newest first. */
    record ClusterList(List<Integer> clusterIds) implements PathAttribute {
        public ClusterList {
            clusterIds = List.copyOf(clusterIds);
        }

        public int typeCode() {
            return CLUSTER_LIST;
        }
    }

    /**
     * MP_REACH_NLRI (RFC 4760). For IPv6 the next hops are the global address and, optionally, a
     * link-local one (a 32-octet next hop field).
     */
    record MpReach(Family family, List<IpAddress> nextHops, List<Nlri> nlri) implements PathAttribute {
        public MpReach {
            nextHops = List.copyOf(nextHops);
            nlri = List.copyOf(nlri);
        }

        public int typeCode() {
            return MP_REACH_NLRI;
        }
    }

    /** MP_UNREACH_NLRI (RFC 4760); with no prefixes it is the End-of-RIB marker for its family (RFC 4724). */
    record MpUnreach(Family family, List<Nlri> withdrawn) implements PathAttribute {
        public MpUnreach {
            withdrawn = List.copyOf(withdrawn);
        }

        public int typeCode() {
            return MP_UNREACH_NLRI;
        }
    }

    /** EXTENDED COMMUNITIES (RFC 4360), each 8 octets. */
    record ExtendedCommunities(List<Long> values) implements PathAttribute {
        public ExtendedCommunities {
            values = List.copyOf(values);
        }

        public int typeCode() {
            return EXTENDED_COMMUNITIES;
        }
    }

    /** AS4_PATH (RFC 6793), only from and to speakers without AS4. */
    record As4Path(List<AsPathSegment> segments) implements PathAttribute {
        public As4Path {
            segments = List.copyOf(segments);
        }

        public int typeCode() {
            return AS4_PATH;
        }
    }

    /** AS4_AGGREGATOR (RFC 6793). */
    record As4Aggregator(long as, IpAddress address) implements PathAttribute {
        public int typeCode() {
            return AS4_AGGREGATOR;
        }
    }

    /** LARGE_COMMUNITY (RFC 8092). */
    record LargeCommunities(List<LargeCommunity> values) implements PathAttribute {
        public record LargeCommunity(long globalAdmin, long localData1, long localData2) {}

        public LargeCommunities {
            values = List.copyOf(values);
        }

        public int typeCode() {
            return LARGE_COMMUNITIES;
        }
    }

    /** An attribute the speaker does not know, kept with its flags so an optional transitive one can be passed on. */
    record Unknown(int flags, int typeCode, Octets value) implements PathAttribute {
        public boolean isOptionalTransitive() {
            return (flags & (FLAG_OPTIONAL | FLAG_TRANSITIVE)) == (FLAG_OPTIONAL | FLAG_TRANSITIVE);
        }
    }
}
