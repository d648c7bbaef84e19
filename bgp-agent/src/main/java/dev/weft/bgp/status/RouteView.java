package dev.weft.bgp.status;

import java.util.List;

/** One prefix of the Loc-RIB with every accepted path, the selected ones first (best, then ECMP). */
public record RouteView(String prefix, List<PathView> paths) {
    public RouteView {
        paths = List.copyOf(paths);
    }

    /**
     * One path to the prefix.
     *
     * @param best         the decision process's winner
     * @param multipath    selected too (ECMP), not the winner
     * @param nextHop      the next hop as received (or as set by import policy)
     * @param asPath       as BIRD and GoBGP print it: "65001 65002 {65003 65004}", empty when local
     * @param localPref    null when the path carried none (eBGP)
     * @param med          null when absent
     * @param origin       "i", "e" or "?"
     * @param communities  "65000:100" style, well-known ones by name
     * @param fromPeer     the peer's address, "local" for an originated route
     * @param learnedAtMillis wall clock of the last change, 0 when unknown
     */
    public record PathView(boolean best, boolean multipath, String nextHop, String asPath, Long localPref, Long med,
                           String origin, List<String> communities, String fromPeer, boolean stale,
                           long learnedAtMillis) {
        public PathView {
            communities = List.copyOf(communities);
        }
    }
}
