package dev.weft.flannel.backend;

import dev.weft.net.Cidr;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;

/**
 * How Weft recognises the routes its backends made: they carry rtnetlink protocol
 * {@value #PROTOCOL} ({@code ip route ... proto 87}; 'W'), which no routing daemon in iproute2's
 * {@code rt_protos} uses (calico uses 80, BIRD 12, FRR 186-192). flannel leaves the default
 * ("boot"), so it cannot tell its routes from anyone else's; Weft can, and reconciliation deletes a
 * route only when it carries this tag <em>and</em> lies inside the backend's flannel network, so
 * two weftd instances for different networks in one namespace never remove each other's routes.
 * A route without the tag is never replaced or deleted, whatever device or next hop it has.
 */
public final class RouteTag {
    /** rtm_protocol of every route a Weft flannel backend installs. */
    public static final int PROTOCOL = 87;

    private RouteTag() {
    }

    /** A main-table unicast route to a subnet of {@code network} that Weft installed. */
    public static boolean isOurs(Route r, Cidr network) {
        return r.protocol() == PROTOCOL && isMainUnicast(r) && network != null && network.contains(r.dst());
    }

    /**
     * A main-table unicast route to exactly {@code dst} that Weft did not make, or null. Weft never
     * replaces or deletes such a route (a replace would overwrite it in place), so a backend leaves
     * the destination alone while one is there.
     */
    public static Route foreignTo(Iterable<Route> routes, Cidr dst) {
        for (Route r : routes) {
            if (isMainUnicast(r) && r.protocol() != PROTOCOL && r.dst().equals(dst)) {
                return r;
            }
        }
        return null;
    }

    /**
     * Deletes Weft's route to {@code route}'s destination (and next hop, where it has one): the
     * request carries the tag, which the kernel then matches, so someone else's identical route is
     * never removed. Returns a failure other than "not found", or null.
     */
    public static NetlinkException deleteOurs(RtNetlink nl, Route route) {
        return Retry.quietly(() -> nl.deleteRoute(route.withProtocol(PROTOCOL)));
    }

    /**
     * flannel's own vxlan route, {@code S via S0 onlink} with protocol boot: flannel tags nothing,
     * but no operator writes this shape, so on flannel's device it marks a node switching from
     * flanneld to weftd, whose routes weftd takes over instead of refusing to start.
     */
    public static boolean isFlannelVxlanShape(Route r) {
        return isMainUnicast(r) && r.protocol() == Rt.RTPROT_BOOT && r.isOnlink() && r.gateway() != null
                && r.gateway().equals(r.dst().networkAddress());
    }

    public static boolean isMainUnicast(Route r) {
        return r.table() == Rt.RT_TABLE_MAIN && r.type() == Rt.RTN_UNICAST;
    }
}
