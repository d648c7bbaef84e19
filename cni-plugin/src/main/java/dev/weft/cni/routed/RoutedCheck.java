package dev.weft.cni.routed;

import dev.weft.cni.skel.Request;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Result;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import dev.weft.sysctl.Sysctl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CHECK, for real (Calico's prints "OK" and looks at nothing): both veth ends and their pairing,
 * the pod's /32 (/128) addresses and routes through the host, the host route per address and the
 * host end's MAC, (absence of) addresses and sysctls.
 */
final class RoutedCheck {
    private RoutedCheck() {
    }

    /** {@code mtu} 0: not checked. */
    static void verify(Request r, String computedHostName, int mtu, Result prev) {
        try (Namespace hostNs = Namespace.host(); Namespace pod = Namespace.open(r.netns())) {
            RtNetlink host = hostNs.netlink();
            RtNetlink podNl = pod.netlink();
            Result.Iface contIf = null;
            String hostName = computedHostName;
            for (Result.Iface i : prev.interfaces()) {
                if (i.name().equals(r.ifname()) && r.netns().equals(i.sandbox())) {
                    contIf = i;
                } else if (i.sandbox() == null || i.sandbox().isEmpty()) {
                    hostName = i.name();
                }
            }
            if (contIf == null) {
                throw fail("prevResult has no interface " + r.ifname() + " in " + r.netns());
            }
            if (!hostName.equals(computedHostName)) {
                throw fail("prevResult's host interface is " + hostName + ", this pod's is " + computedHostName);
            }
            Link cont = podNl.link(r.ifname()).orElseThrow(() -> fail("interface " + r.ifname() + " not found in the pod"));
            Link hostVeth = host.link(computedHostName).orElseThrow(() -> fail("host veth " + computedHostName + " not found"));
            if (!"veth".equals(cont.kind()) || !"veth".equals(hostVeth.kind())) {
                throw fail(r.ifname() + " and " + hostName + " must both be veths");
            }
            if (cont.linkIndex() != hostVeth.index()) {
                throw fail(r.ifname() + " is not paired with " + hostName);
            }
            if (contIf.mac() != null && !contIf.mac().equals(String.valueOf(cont.mac()))) {
                throw fail(r.ifname() + " has MAC " + cont.mac() + ", prevResult says " + contIf.mac());
            }
            if (!HostSide.MAC.equals(hostVeth.mac())) {
                throw fail(hostName + " has MAC " + hostVeth.mac() + ", not " + HostSide.MAC);
            }
            if (mtu != 0 && (cont.mtu() != mtu || hostVeth.mtu() != mtu)) {
                throw fail("MTU of " + r.ifname() + " is " + cont.mtu() + " and of " + hostName + " " + hostVeth.mtu() + ", config says " + mtu);
            }
            if (!cont.isUp() || !hostVeth.isUp()) {
                throw fail(r.ifname() + " or " + hostName + " is down");
            }
            for (Address a : host.addresses(Linux.AF_UNSPEC, hostVeth.index())) {
                if (a.scope() == Rt.RT_SCOPE_UNIVERSE) {
                    throw fail(hostName + " has the address " + a.cidr() + "; a routed pod's host end has none");
                }
            }
            List<Address> addrs = podNl.addresses(Linux.AF_UNSPEC, cont.index());
            boolean v4 = false;
            boolean v6 = false;
            for (Result.IpConfig ip : prev.ips()) {
                Cidr want = ip.address();
                if (want.prefixLength() != want.address().bitLength()) {
                    throw fail("prevResult address " + want + " is not a single address");
                }
                if (addrs.stream().noneMatch(a -> a.cidr().equals(want))) {
                    throw fail("address " + want + " missing on " + r.ifname());
                }
                Route hr = HostSide.hostRoute(host, want);
                // IPv6 routes have no scope in the kernel (a dump says universe), so only IPv4's is checked.
                if (hr == null || hr.oif() != hostVeth.index() || hr.gateway() != null || want.isV4() && hr.scope() != Rt.RT_SCOPE_LINK) {
                    throw fail("host route " + want + " dev " + hostName + " scope link missing" + (hr == null ? "" : " (found " + hr + ")"));
                }
                v4 |= want.isV4();
                v6 |= want.isV6();
            }
            checkPodRoutes(r, podNl, cont, prev, v4);
            checkSysctls(hostName, v4, v6);
            if (v6) {
                String dad = pod.run(() -> Sysctl.read("net/ipv6/conf/" + r.ifname() + "/accept_dad"));
                if (!dad.equals("0")) {
                    throw fail("net.ipv6.conf." + r.ifname() + ".accept_dad is " + dad + " in the pod, want 0");
                }
            }
        }
    }

    private static void checkPodRoutes(Request r, RtNetlink podNl, Link cont, Result prev, boolean v4) {
        List<Route> routes = podNl.routes(Linux.AF_INET, Rt.RT_TABLE_MAIN);
        routes.addAll(podNl.routes(Linux.AF_INET6, Rt.RT_TABLE_MAIN));
        if (v4 && routes.stream().noneMatch(k -> k.dst().equals(PodSide.GATEWAY_V4_ROUTE) && k.oif() == cont.index()
                && k.scope() == Rt.RT_SCOPE_LINK)) {
            throw fail("route " + PodSide.GATEWAY_V4 + " dev " + r.ifname() + " scope link missing in the pod");
        }
        for (Result.RouteEntry rt : prev.routes()) {
            boolean found = routes.stream().anyMatch(k -> k.dst().equals(rt.dst().network()) && k.oif() == cont.index()
                    && (rt.gw() == null || rt.gw().equals(k.gateway())));
            if (!found) {
                throw fail("route " + rt.dst() + (rt.gw() == null ? "" : " via " + rt.gw()) + " dev " + r.ifname() + " missing in the pod");
            }
        }
    }

    private static void checkSysctls(String name, boolean v4, boolean v6) {
        if (v4) {
            expect("net/ipv4/conf/" + name + "/proxy_arp", "1");
            expect("net/ipv4/neigh/" + name + "/proxy_delay", "0");
            expect("net/ipv4/conf/" + name + "/forwarding", "1");
        }
        if (v6) {
            expect("net/ipv6/conf/all/forwarding", "1");
            expect("net/ipv6/conf/" + name + "/forwarding", "1");
        }
        if (Files.exists(Path.of("/proc/sys/net/ipv6/conf", name, "accept_ra"))) {
            expect("net/ipv6/conf/" + name + "/accept_ra", "0");
        }
    }

    private static void expect(String key, String want) {
        String got = Sysctl.read(key);
        if (!got.equals(want)) {
            throw fail(key.replace('/', '.') + " is " + got + ", want " + want);
        }
    }

    private static CniError fail(String what) {
        return new CniError(CniError.INTERNAL, what);
    }
}
