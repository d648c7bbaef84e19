package dev.weft.bgp.rib;

/**
 * The best path selection of RFC 4271 §9.1.2.2, one named step each, in order. Paths compare
 * pairwise; because the MED step only applies to paths from the same neighbour AS the order is
 * not transitive across neighbour ASes (as in RFC 4271 and BIRD without deterministic MED), so the
 * RIB selects by a linear scan, never by sorting.
 *
 * <p>Not implemented: the IGP cost to the next hop (RFC 4271 §9.1.2.2 e). Weft resolves next hops
 * on a connected network or not at all, so every cost would be equal.
 */
public final class Decision {
    /** The steps; a negative result of {@link #compare(Step, Path, Path)} means {@code a} is better. */
    public enum Step {
        /** Our own routes (the node's blocks) beat anything learned. */
        LOCAL_ORIGIN,
        /** Higher LOCAL_PREF. */
        LOCAL_PREF,
        /** Shorter AS_PATH: an AS_SET counts 1, confederation segments 0. */
        AS_PATH_LENGTH,
        /** Lower ORIGIN: IGP, EGP, INCOMPLETE. */
        ORIGIN,
        /** Lower MED, only between paths from the same neighbour AS; a missing MED is 0 (RFC 4271 §9.1.2.2 c). */
        MED,
        /** A path learned over eBGP beats one learned over iBGP. */
        EBGP_OVER_IBGP,
        /** Shorter CLUSTER_LIST (RFC 4456 §9). */
        CLUSTER_LIST,
        /** Lower ORIGINATOR_ID, or the peer's router id when there is none (RFC 4456 §9). */
        ROUTER_ID,
        /** Lower peer address. */
        PEER_ADDRESS,
        /** Lower ADD-PATH id: two paths from one peer still need a fixed order. */
        PATH_ID
    }

    private static final Step[] STEPS = Step.values();
    /** The steps that must tie for two paths to share an ECMP set (BIRD's bgp_rte_mergable). */
    private static final Step LAST_MULTIPATH_STEP = Step.EBGP_OVER_IBGP;

    private Decision() {}

    /** Negative when {@code a} is better, positive when {@code b} is, 0 only for the same slot. */
    public static int compare(Path a, Path b) {
        for (Step s : STEPS) {
            int c = compare(s, a, b);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    /** The step that decides between two paths, or null when they tie throughout. */
    public static Step decidingStep(Path a, Path b) {
        for (Step s : STEPS) {
            if (compare(s, a, b) != 0) {
                return s;
            }
        }
        return null;
    }

    /**
     * Whether {@code p} may join {@code best}'s ECMP set: all steps up to eBGP-over-iBGP tie (same
     * LOCAL_PREF, AS_PATH length, ORIGIN, MED when the neighbour AS is the same, and both eBGP or
     * both iBGP), as BIRD's {@code merge paths} does. Locally originated routes never merge.
     */
    public static boolean multipathEqual(Path best, Path p) {
        if (best.isLocal() || p.isLocal()) {
            return false;
        }
        for (Step s : STEPS) {
            if (compare(s, best, p) != 0) {
                return false;
            }
            if (s == LAST_MULTIPATH_STEP) {
                return true;
            }
        }
        return true;
    }

    public static int compare(Step step, Path a, Path b) {
        Attrs x = a.attrs();
        Attrs y = b.attrs();
        return switch (step) {
            case LOCAL_ORIGIN -> Boolean.compare(b.isLocal(), a.isLocal());
            case LOCAL_PREF -> Long.compare(localPref(y), localPref(x));
            case AS_PATH_LENGTH -> Integer.compare(x.asPathLength, y.asPathLength);
            case ORIGIN -> Integer.compare(x.origin, y.origin);
            case MED -> x.neighbourAs == y.neighbourAs ? Long.compare(med(x), med(y)) : 0;
            case EBGP_OVER_IBGP -> Boolean.compare(ibgp(a), ibgp(b));
            case CLUSTER_LIST -> Integer.compare(x.clusterListLength, y.clusterListLength);
            case ROUTER_ID -> Long.compare(routerId(a), routerId(b));
            case PEER_ADDRESS -> a.source().key().compareTo(b.source().key());
            case PATH_ID -> Integer.compareUnsigned(a.pathId(), b.pathId());
        };
    }

    // Import gives every learned path a LOCAL_PREF; the fallback only covers hand-built paths.
    private static long localPref(Attrs a) {
        return a.localPref < 0 ? RibConfig.DEFAULT_LOCAL_PREF : a.localPref;
    }

    private static long med(Attrs a) {
        return a.med < 0 ? 0 : a.med;
    }

    private static boolean ibgp(Path p) {
        return !p.isLocal() && p.source().ibgp();
    }

    private static long routerId(Path p) {
        return p.attrs().originatorId >= 0 ? p.attrs().originatorId : Integer.toUnsignedLong(p.source().routerId());
    }
}
