package dev.weft.bgp.rib;

import dev.weft.bgp.wire.PathAttribute;

/**
 * The fixed import rules: loop checks and the LOCAL_PREF default. A rejected route is treated as a
 * withdrawal of that prefix from that peer (so an implicit replacement by a looped route removes
 * the old one too).
 */
final class ImportPolicy {
    /** Why a route was not accepted; counted per peer for status. */
    enum Rejection {
        /** eBGP AS_PATH holds our AS more often than allowOwnAs permits (RFC 4271 §9.1.2). */
        AS_LOOP,
        /** ORIGINATOR_ID is our router id: our own route reflected back (RFC 4456 §8). */
        ORIGINATOR_LOOP,
        /** CLUSTER_LIST holds our cluster id (RFC 4456 §8); also drops routes reflected by a second RR of our own cluster (calico#2735). */
        CLUSTER_LOOP,
        /** No next hop for the NLRI (RFC 7606 treat-as-withdraw). */
        NO_NEXT_HOP
    }

    private final RibConfig config;

    ImportPolicy(RibConfig config) {
        this.config = config;
    }

    /** Null when the attribute set is acceptable from {@code from}. */
    Rejection check(PeerInfo from, Attrs a) {
        if (a.nextHop() == null) {
            return Rejection.NO_NEXT_HOP;
        }
        if (!from.ibgp() && a.asPathCount(from.localAs()) > config.allowOwnAs()) {
            return Rejection.AS_LOOP;
        }
        if (a.originatorId == Integer.toUnsignedLong(config.routerId())) {
            return Rejection.ORIGINATOR_LOOP;
        }
        if (config.isReflector() && a.clusterListContains(config.clusterId().getAsInt())) {
            return Rejection.CLUSTER_LOOP;
        }
        return null;
    }

    /**
     * The set as stored: iBGP routes without LOCAL_PREF get 100 (RFC 4271 §5.1.5 leaves it to the
     * implementation; 100 is what BIRD, FRR and GoBGP use); eBGP routes get 100 too, replacing any
     * LOCAL_PREF the neighbour sent (it has no meaning across ASes).
     */
    Attrs normalize(PeerInfo from, Attrs a) {
        if (from.ibgp() ? a.localPref >= 0 : a.localPref == RibConfig.DEFAULT_LOCAL_PREF) {
            return a;
        }
        return a.edit().put(new PathAttribute.LocalPref(RibConfig.DEFAULT_LOCAL_PREF)).build();
    }
}
