package dev.weft.cni.bridge;

import dev.weft.cni.skel.Request;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Result;
import dev.weft.libc.Linux;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import java.util.List;

/** CHECK: the bridge, both veth ends, the addresses and the routes of prevResult are in place. */
final class BridgeCheck {
    private BridgeCheck() {
    }

    static void verify(Request r, BridgeConfig cfg, Result prev) {
        try (Namespace hostNs = Namespace.host(); Namespace pod = Namespace.open(r.netns())) {
            RtNetlink host = hostNs.netlink();
            RtNetlink podNl = pod.netlink();
            Result.Iface brIf = prev.interfaces().stream()
                    .filter(i -> i.name().equals(cfg.bridge()) && i.sandbox() == null).findFirst()
                    .orElseThrow(() -> fail("prevResult has no bridge interface " + cfg.bridge()));
            Link br = host.link(cfg.bridge()).orElseThrow(() -> fail("bridge " + cfg.bridge() + " not found"));
            if (!"bridge".equals(br.kind())) {
                throw fail("\"" + cfg.bridge() + "\" is not a bridge");
            }
            if (brIf.mac() != null && !brIf.mac().equals(String.valueOf(br.mac()))) {
                throw fail("bridge " + cfg.bridge() + " has MAC " + br.mac() + ", prevResult says " + brIf.mac());
            }
            if (cfg.promiscMode() != br.isPromisc()) {
                throw fail("bridge " + cfg.bridge() + " promiscuous mode is " + br.isPromisc() + ", config says " + cfg.promiscMode());
            }
            Result.Iface contIf = prev.interfaces().stream()
                    .filter(i -> i.name().equals(r.ifname()) && r.netns().equals(i.sandbox())).findFirst()
                    .orElseThrow(() -> fail("prevResult has no interface " + r.ifname() + " in " + r.netns()));
            Link cont = podNl.link(r.ifname()).orElseThrow(() -> fail("interface " + r.ifname() + " not found in the pod"));
            if (!"veth".equals(cont.kind())) {
                throw fail(r.ifname() + " is not a veth");
            }
            if (contIf.mac() != null && !contIf.mac().equals(String.valueOf(cont.mac()))) {
                throw fail(r.ifname() + " has MAC " + cont.mac() + ", prevResult says " + contIf.mac());
            }
            boolean hostEnd = host.links().stream()
                    .anyMatch(l -> "veth".equals(l.kind()) && l.index() == cont.linkIndex() && l.masterIndex() == br.index());
            if (!hostEnd) {
                throw fail("the host end of " + r.ifname() + " is not a port of " + cfg.bridge());
            }
            List<Address> addrs = podNl.addresses(Linux.AF_UNSPEC, cont.index());
            for (Result.IpConfig ip : prev.ips()) {
                if (addrs.stream().noneMatch(a -> a.cidr().equals(ip.address()))) {
                    throw fail("address " + ip.address() + " missing on " + r.ifname());
                }
            }
            List<Route> routes = podNl.routes(Linux.AF_INET, Rt.RT_TABLE_UNSPEC);
            routes.addAll(podNl.routes(Linux.AF_INET6, Rt.RT_TABLE_UNSPEC));
            for (Result.RouteEntry rt : prev.routes()) {
                boolean found = routes.stream().anyMatch(k -> k.dst().equals(rt.dst().network())
                        && (rt.gw() == null || rt.gw().equals(k.gateway())));
                if (!found) {
                    throw fail("route " + rt.dst() + (rt.gw() == null ? "" : " via " + rt.gw()) + " missing in the pod");
                }
            }
        }
    }

    private static CniError fail(String what) {
        return new CniError(CniError.INTERNAL, what);
    }
}
