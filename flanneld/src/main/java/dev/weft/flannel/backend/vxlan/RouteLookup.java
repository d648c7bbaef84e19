package dev.weft.flannel.backend.vxlan;

import dev.weft.flannel.backend.LeaseFamily;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import java.util.List;

/**
 * flannel's DirectRouting test ("RouteGet(P) returns one route without a gateway": P is on a
 * directly attached segment), answered from one dump of the main table by longest-prefix match,
 * so a Snapshot of a thousand peers costs one dump instead of a thousand lookups. Policy rules
 * and other tables are not consulted; on the nodes flannel runs on the main table decides.
 */
final class RouteLookup {
    private final List<Route> main;

    private RouteLookup(List<Route> main) {
        this.main = main;
    }

    static RouteLookup of(RtNetlink nl, LeaseFamily family) {
        return new RouteLookup(nl.routes(family.af(), Rt.RT_TABLE_MAIN));
    }

    static RouteLookup of(List<Route> mainTable) {
        return new RouteLookup(mainTable);
    }

    /** True when the best route to {@code ip} is a connected unicast route (no gateway). */
    boolean isDirect(IpAddress ip) {
        Route best = null;
        for (Route r : main) {
            if (r.table() != Rt.RT_TABLE_MAIN || r.dst().address().isV4() != ip.isV4() || !r.dst().contains(ip)) {
                continue;
            }
            if (best == null || r.dst().prefixLength() > best.dst().prefixLength()
                    || (r.dst().prefixLength() == best.dst().prefixLength() && r.priority() < best.priority())) {
                best = r;
            }
        }
        return best != null && best.type() == Rt.RTN_UNICAST && best.gateway() == null && best.oif() != 0;
    }
}
