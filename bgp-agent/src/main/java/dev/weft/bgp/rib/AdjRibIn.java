package dev.weft.bgp.rib;

import dev.weft.bgp.wire.Family;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Per-peer inbound state. The accepted paths themselves live in the Loc-RIB entries (one copy per
 * path, shared with the decision process); this holds the session, the graceful-restart state that
 * outlives it, and counters for status. Routes rejected by import are not kept (no soft
 * reconfiguration inbound: a policy change would ask the peer for a ROUTE-REFRESH instead).
 */
public final class AdjRibIn {
    private PeerInfo peer;
    private SessionParams session; // null while down (routes may be stale)
    /** Accepted paths per family (by ordinal): an int each, not a boxed count per route. */
    private final int[] routes = new int[Family.values().length];
    /**
     * Prefixes (with path id) whose latest announcement import refused, per family: with the accepted
     * ones they make the peer's "received" count. Usually empty, so it costs nothing per route.
     */
    private final Map<Family, Set<dev.weft.bgp.wire.Nlri>> refusedNow = new EnumMap<>(Family.class);
    private final Map<ImportPolicy.Rejection, Long> rejected = new EnumMap<>(ImportPolicy.Rejection.class);
    /** Families with stale routes from an earlier session (RFC 4724 §4.2). */
    final Set<Family> staleFamilies = EnumSet.noneOf(Family.class);
    /** The RIB-wide number of this peer's latest graceful loss; a {@link StaleTimer} only acts on its own. */
    long generation;

    AdjRibIn(PeerInfo peer, SessionParams session) {
        this.peer = peer;
        this.session = session;
    }

    public PeerInfo peer() {
        return peer;
    }

    public boolean isUp() {
        return session != null;
    }

    SessionParams session() {
        return session;
    }

    void up(PeerInfo p, SessionParams s) {
        peer = p;
        session = s;
    }

    void down() {
        session = null;
        // a new session announces afresh; what it refuses is counted then
        refusedNow.clear();
    }

    /** Accepted paths from this peer in a family (stale ones included). */
    public int routeCount(Family f) {
        return routes[f.ordinal()];
    }

    public int routeCount() {
        int n = 0;
        for (int c : routes) {
            n += c;
        }
        return n;
    }

    /**
     * Prefixes the peer announces in a family, accepted or not: the accepted paths plus those whose
     * latest announcement import refused (AS path loop, own originator id, bad next hop …).
     */
    public int receivedCount(Family f) {
        Set<dev.weft.bgp.wire.Nlri> r = refusedNow.get(f);
        return routes[f.ordinal()] + (r == null ? 0 : r.size());
    }

    /** The peer's latest word on {@code n}: refused by import, or accepted or withdrawn. */
    void refused(Family f, dev.weft.bgp.wire.Nlri n, boolean refused) {
        if (refused) {
            refusedNow.computeIfAbsent(f, k -> new java.util.HashSet<>()).add(n);
        } else if (!refusedNow.isEmpty()) {
            Set<dev.weft.bgp.wire.Nlri> r = refusedNow.get(f);
            if (r != null) {
                r.remove(n);
            }
        }
    }

    /** Routes rejected by the import checks so far, per reason name. */
    public Map<String, Long> rejections() {
        Map<String, Long> m = new java.util.TreeMap<>();
        rejected.forEach((k, v) -> m.put(k.name(), v));
        return m;
    }

    public Set<Family> staleFamilies() {
        return Set.copyOf(staleFamilies);
    }

    void count(Family f, int delta) {
        routes[f.ordinal()] += delta;
    }

    void reject(ImportPolicy.Rejection r, int n) {
        rejected.merge(r, (long) n, Long::sum);
    }
}
