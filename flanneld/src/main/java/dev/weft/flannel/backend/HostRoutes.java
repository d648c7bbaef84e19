package dev.weft.flannel.backend;

import dev.weft.bgp.fib.KernelFib;
import dev.weft.flannel.config.NetworkConfig;
import dev.weft.net.Cidr;
import dev.weft.net.MacAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * The start-up check that the flannel Network is free on this host: it must not overlap a subnet
 * of the external interface, and no route Weft did not make may lead into it. Otherwise Weft's
 * routes would shadow (or be shadowed by) someone else's, and since Weft never replaces or deletes
 * a route without its {@link RouteTag}, the node would stay half-programmed. Refusing at start
 * names both sides, so the operator can choose another Network or remove the route.
 */
public final class HostRoutes {
    /** The host side of a routed pod's veth (weft-routed's, Calico's). */
    private static final MacAddress POD_VETH_MAC = MacAddress.parse("ee:ee:ee:ee:ee:ee");

    private HostRoutes() {
    }

    /** @throws BackendException naming the Network and what it collides with */
    public static void requireNoConflict(BackendContext ctx) {
        NetworkConfig cfg = ctx.network();
        try (RtNetlink nl = ctx.openNetlink()) {
            for (LeaseFamily f : LeaseFamily.values()) {
                Cidr network = f.network(cfg);
                if (network == null) {
                    continue;
                }
                int subnetLen = f == LeaseFamily.V4 ? cfg.subnetLen() : cfg.ipv6SubnetLen();
                for (Address a : nl.addresses(f.af(), ctx.extIface().index())) {
                    if (a.scope() == Rt.RT_SCOPE_UNIVERSE && a.cidr().network().overlaps(network)) {
                        throw new BackendException("Network " + network + " overlaps " + a.cidr().network()
                                + " of the external interface " + ctx.extIface().name() + " (address " + a.cidr() + ")");
                    }
                }
                // a node with many routed pods has a host route per pod: one link request per device, not per route
                Map<Integer, Optional<Link>> links = new HashMap<>();
                IntFunction<Optional<Link>> link = oif -> links.computeIfAbsent(oif, nl::link);
                Route r = firstForeign(nl.routes(f.af(), Rt.RT_TABLE_MAIN), network, subnetLen,
                        oif -> link.apply(oif).map(l -> isFlannelDevice(l.name())).orElse(false),
                        oif -> link.apply(oif).map(l -> POD_VETH_MAC.equals(l.mac())).orElse(false));
                if (r != null) {
                    throw new BackendException("Network " + network + " overlaps the route " + describe(nl, r)
                            + " that Weft did not make (protocol " + r.protocol() + ", not " + RouteTag.PROTOCOL
                            + "); remove it or choose another Network");
                }
            }
        }
    }

    /**
     * The first main-table route into {@code network} that is not Weft's. Connected routes of a
     * lease-sized (or smaller) block are let through: they are the pod bridge's gateway (cni0) or a
     * backend device's own address, also those of an earlier lease of this node. So are flannel's
     * own vxlan routes on a flannel vxlan device: the vxlan backend takes them over. Routes of
     * Weft's BGP agent (protocol 88) are Weft's too: the bgp backend's FIB adopts them on a restart.
     * So are routed pods' host routes (a /32 or /128 onto the device, on a host veth with weft-routed's
     * and Calico's MAC ee:ee:ee:ee:ee:ee): with block IPAM the node's own pods have addresses from the
     * Network, and weftd restarting on a node with pods must not refuse them.
     */
    static Route firstForeign(List<Route> routes, Cidr network, int subnetLen, IntPredicate flannelDevice,
                              IntPredicate podVeth) {
        for (Route r : routes) {
            if (!RouteTag.isMainUnicast(r) || r.protocol() == RouteTag.PROTOCOL || r.protocol() == KernelFib.BGP_PROTOCOL
                    || !network.contains(r.dst())) {
                continue;
            }
            if (RouteTag.isFlannelVxlanShape(r) && flannelDevice.test(r.oif())) {
                continue;
            }
            if (r.protocol() == Rt.RTPROT_KERNEL && r.dst().prefixLength() >= subnetLen) {
                continue;
            }
            if (isDeviceRoute(r) && r.dst().prefixLength() == r.dst().address().bitLength() && podVeth.test(r.oif())) {
                continue;
            }
            return r;
        }
        return null;
    }

    /**
     * A route straight onto its device: scope link for IPv4; IPv6 routes have no scope (the kernel
     * reports every one as universe), so there it is one without a gateway.
     */
    private static boolean isDeviceRoute(Route r) {
        return r.dst().isV6() ? r.gateway() == null : r.scope() == Rt.RT_SCOPE_LINK;
    }

    /** flannel's vxlan device names, {@code flannel.<VNI>} and {@code flannel-v6.<VNI>}. */
    static boolean isFlannelDevice(String name) {
        return name.startsWith("flannel.") || name.startsWith("flannel-v6.");
    }

    private static String describe(RtNetlink nl, Route r) {
        StringBuilder s = new StringBuilder(r.dst().toString());
        if (r.gateway() != null) {
            s.append(" via ").append(r.gateway());
        }
        if (r.oif() > 0) {
            s.append(" dev ").append(nl.link(r.oif()).map(l -> l.name()).orElse("#" + r.oif()));
        }
        return s.toString();
    }
}
