package dev.weft.cni.bridge;

import dev.weft.cni.spec.Result;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import dev.weft.netns.NetNs;

/**
 * Configures the pod end from a result: the reference's sysctls (arp_notify, no DAD), addresses,
 * link up, routes. IPv6 addresses get IFA_F_NODAD as well, so ADD never waits for DAD.
 */
final class PodInterface {
    private PodInterface() {
    }

    static void configure(Namespace pod, int index, String ifname, Result result) {
        RtNetlink podNl = pod.netlink();
        boolean v6 = false;
        for (Result.IpConfig ip : result.ips()) {
            v6 |= ip.address().isV6();
        }
        // One trip into the namespace for every sysctl: each trip is a thread.
        pod.exec(new PodSysctls(ifname, v6));
        for (Result.IpConfig ip : result.ips()) {
            if (ip.interfaceIndex() != null && ip.interfaceIndex() == 2) {
                podNl.addAddress(Address.of(index, ip.address()).withFlags(ip.address().isV6() ? Rt.IFA_F_NODAD : 0));
            }
        }
        podNl.setUp(index);
        for (Result.RouteEntry rt : result.routes()) {
            IpAddress gw = rt.gw();
            if (gw == null) {
                gw = firstGateway(result, rt.dst().isV4());
            }
            Route route = Route.to(rt.dst()).dev(index);
            if (gw != null) {
                route = route.via(gw);
            }
            if (rt.priority() != null) {
                route = route.withPriority(rt.priority());
            }
            if (rt.table() != null) {
                route = route.inTable(rt.table());
            }
            if (rt.scope() != null) {
                route = route.withScope(rt.scope());
            }
            podNl.addRoute(route);
        }
    }

    private static IpAddress firstGateway(Result result, boolean v4) {
        for (Result.IpConfig ip : result.ips()) {
            if (ip.address().isV4() == v4 && ip.gateway() != null) {
                return ip.gateway();
            }
        }
        return null;
    }

    /** The sysctls, run inside the pod (a class, not a lambda: no bootstrap on the start-up path). */
    private record PodSysctls(String ifname, boolean v6) implements NetNs.VoidTask<RuntimeException> {
        @Override
        public void call() {
            Sysctls.setIfPresent("net/ipv6/conf/" + ifname + "/accept_dad", "0");
            Sysctls.setIfPresent("net/ipv4/conf/" + ifname + "/arp_notify", "1");
            if (v6) {
                Sysctls.setIfPresent("net/ipv6/conf/lo/disable_ipv6", "0");
                Sysctls.setIfPresent("net/ipv6/conf/" + ifname + "/disable_ipv6", "0");
                Sysctls.setIfPresent("net/ipv6/conf/" + ifname + "/keep_addr_on_down", "1");
            }
        }
    }

}
