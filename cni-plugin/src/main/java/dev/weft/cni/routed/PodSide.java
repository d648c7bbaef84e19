package dev.weft.cni.routed;

import dev.weft.cni.bridge.Sysctls;
import dev.weft.cni.spec.Result;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import dev.weft.netns.NetNs;
import java.util.ArrayList;
import java.util.List;

/**
 * The pod's end, as Calico's data plane makes it: each address narrowed to /32 (/128) so that no
 * destination is on-link, and every route through the host: IPv4 via 169.254.1.1, which exists
 * nowhere and is answered by the host end's proxy ARP; IPv6 via the host end's link-local address.
 */
final class PodSide {
    /** The pod's IPv4 gateway: link-local, the same in every pod, never on any interface. */
    static final IpAddress GATEWAY_V4 = IpAddress.parse("169.254.1.1");
    static final Cidr GATEWAY_V4_ROUTE = Cidr.ofHost(GATEWAY_V4);
    static final Cidr DEFAULT_V4 = Cidr.parse("0.0.0.0/0");
    static final Cidr DEFAULT_V6 = Cidr.parse("::/0");

    private PodSide() {
    }

    /** The pod's addresses: IPAM's, narrowed to a single address each. */
    static List<Cidr> narrow(Result ipam) {
        List<Cidr> l = new ArrayList<>();
        for (Result.IpConfig ip : ipam.ips()) {
            l.add(Cidr.ofHost(ip.address().address()));
        }
        return l;
    }

    /** Sysctls (no DAD: ADD never waits for it), the addresses, the link up. */
    static void addressAndUp(Namespace pod, int index, String ifname, List<Cidr> addresses, boolean v6) {
        pod.exec(new PodSysctls(ifname, v6)); // one trip into the namespace for all of them
        RtNetlink nl = pod.netlink();
        for (Cidr a : addresses) {
            nl.addAddress(Address.of(index, a).withFlags(a.isV6() ? Rt.IFA_F_NODAD : 0));
        }
        nl.setUp(index);
    }

    /**
     * The pod's routes, each through the host: IPAM's destinations of a family (the default route
     * when IPAM names none) via that family's gateway; IPv4 first gets its gateway as an on-link
     * host route. Returns them as the result lists them.
     */
    static List<Result.RouteEntry> route(Namespace pod, int index, List<Result.RouteEntry> ipamRoutes, boolean v4,
                                         IpAddress gatewayV6) {
        RtNetlink nl = pod.netlink();
        List<Result.RouteEntry> installed = new ArrayList<>();
        if (v4) {
            nl.addRoute(Route.to(GATEWAY_V4_ROUTE).dev(index).withScope(Rt.RT_SCOPE_LINK));
            installed.addAll(viaGateway(nl, index, ipamRoutes, DEFAULT_V4, GATEWAY_V4));
        }
        if (gatewayV6 != null) {
            installed.addAll(viaGateway(nl, index, ipamRoutes, DEFAULT_V6, gatewayV6));
        }
        return installed;
    }

    private static List<Result.RouteEntry> viaGateway(RtNetlink nl, int index, List<Result.RouteEntry> ipamRoutes, Cidr dflt,
                                                      IpAddress gw) {
        List<Cidr> dsts = new ArrayList<>();
        for (Result.RouteEntry rt : ipamRoutes) {
            if (rt.dst().isV4() == dflt.isV4() && !dsts.contains(rt.dst().network())) {
                dsts.add(rt.dst().network());
            }
        }
        if (dsts.isEmpty()) {
            dsts.add(dflt);
        }
        List<Result.RouteEntry> out = new ArrayList<>();
        for (Cidr dst : dsts) {
            nl.addRoute(Route.to(dst).dev(index).via(gw));
            out.add(Result.RouteEntry.of(dst, gw));
        }
        return out;
    }

    /** The sysctls, run inside the pod (a class, not a lambda: no bootstrap on the start-up path). */
    private record PodSysctls(String ifname, boolean v6) implements NetNs.VoidTask<RuntimeException> {
        @Override
        public void call() {
            Sysctls.setIfPresent("net/ipv6/conf/" + ifname + "/accept_dad", "0");
            if (v6) {
                Sysctls.setIfPresent("net/ipv6/conf/lo/disable_ipv6", "0");
                Sysctls.setIfPresent("net/ipv6/conf/" + ifname + "/disable_ipv6", "0");
            }
        }
    }
}
