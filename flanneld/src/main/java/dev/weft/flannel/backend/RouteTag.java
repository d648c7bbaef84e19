package dev.weft.flannel.backend;

import dev.weft.net.Cidr;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;

/**
 * How Weft recognises the routes its backends made: they carry rtnetlink protocol
 * {@value #PROTOCOL} ({@code ip route ... proto 87}; 'W'), which no routing daemon in iproute2's
 * {@code rt_protos} uses (calico uses 80, BIRD 12, FRR 186-192). flannel leaves the default
 * ("boot"), so it cannot tell its routes from anyone else's; Weft can, and reconciliation deletes a
 * route only when it carries this tag <em>and</em> lies inside the backend's flannel network, so
 * two weftd instances for different networks in one namespace never remove each other's routes.
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

    public static boolean isMainUnicast(Route r) {
        return r.table() == Rt.RT_TABLE_MAIN && r.type() == Rt.RTN_UNICAST;
    }
}
