package dev.weft.bgp.rib;

import java.util.OptionalInt;

/**
 * The RIB's node-wide settings.
 *
 * @param localAs          our AS
 * @param routerId         our BGP identifier (unsigned 32-bit in an int); routes carrying it as
 *                         ORIGINATOR_ID are our own, reflected back, and dropped
 * @param clusterId        present when this node is a route reflector (RFC 4456); its CLUSTER_LIST
 *                         loop check and the reflection rules apply only then
 * @param allowOwnAs       how many times our AS may appear in a received AS_PATH (BIRD's
 *                         {@code allow local as}, Calico's numAllowedLocalASNumbers); 0 rejects any
 * @param multipath        whether equally good paths form an ECMP set (BIRD's {@code merge paths})
 * @param localPref        LOCAL_PREF sent with our own routes to iBGP peers (Calico sends
 *                         2147482623, bgp.md §2.4); received routes without one get 100 regardless
 * @param reflectNextHop   next hop of reflected routes: {@link NextHopMode#KEEP} (RFC 4456, BIRD's
 *                         default for RR clients) or {@link NextHopMode#SELF}
 */
public record RibConfig(long localAs, int routerId, OptionalInt clusterId, int allowOwnAs, boolean multipath,
                        long localPref, NextHopMode reflectNextHop) {
    public static final long DEFAULT_LOCAL_PREF = 100;

    public enum NextHopMode { KEEP, SELF }

    public RibConfig {
        if (allowOwnAs < 0) {
            throw new IllegalArgumentException("allowOwnAs must be >= 0: " + allowOwnAs);
        }
    }

    /** A plain (non-reflector) speaker: no own-AS tolerance, no multipath, LOCAL_PREF 100. */
    public static RibConfig of(long localAs, int routerId) {
        return new RibConfig(localAs, routerId, OptionalInt.empty(), 0, false, DEFAULT_LOCAL_PREF, NextHopMode.KEEP);
    }

    public RibConfig withClusterId(int id) {
        return new RibConfig(localAs, routerId, OptionalInt.of(id), allowOwnAs, multipath, localPref, reflectNextHop);
    }

    public RibConfig withMultipath(boolean on) {
        return new RibConfig(localAs, routerId, clusterId, allowOwnAs, on, localPref, reflectNextHop);
    }

    public RibConfig withAllowOwnAs(int n) {
        return new RibConfig(localAs, routerId, clusterId, n, multipath, localPref, reflectNextHop);
    }

    public RibConfig withLocalPref(long lp) {
        return new RibConfig(localAs, routerId, clusterId, allowOwnAs, multipath, lp, reflectNextHop);
    }

    public RibConfig withReflectNextHop(NextHopMode mode) {
        return new RibConfig(localAs, routerId, clusterId, allowOwnAs, multipath, localPref, mode);
    }

    boolean isReflector() {
        return clusterId.isPresent();
    }
}
