package dev.weft.cni.routed;

import dev.weft.cni.bridge.UndoStack;
import dev.weft.cni.ipam.DelegatedIpam;
import dev.weft.cni.ipam.Ipam;
import dev.weft.cni.skel.CniPlugin;
import dev.weft.cni.skel.Request;
import dev.weft.cni.skel.Trace;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Json;
import dev.weft.cni.spec.Result;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Link;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * weft-routed: Calico's data plane for one pod. A veth pair and no bridge; the pod's addresses are
 * /32 (/128) and everything it sends goes to the host, which routes back to it over a host route
 * per address (spec notes §4.1 for what it shares with the reference ptp, §4.2 for Calico's).
 * IPAM is delegated by type like weft-bridge's; weftd's block IPAM plugs in the same way.
 */
public final class RoutedPlugin implements CniPlugin {
    @Override
    public String name() {
        return "weft-routed";
    }

    @Override
    public Set<String> knownArgs() {
        return Set.of("K8S_POD_NAMESPACE", "K8S_POD_NAME", "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID");
    }

    @Override
    public Result add(Request r) {
        RoutedConfig cfg = RoutedConfig.parse(r);
        RoutedConfig.checkForAdd(r.config());
        int mtu = RoutedConfig.mtu(r.config());
        String hostName = HostVethName.of(r, cfg.vethPrefix());
        Trace.mark("config parsed");
        try (Namespace host = Namespace.host(); Namespace pod = Namespace.open(r.netns())) {
            UndoStack undo = new UndoStack();
            try {
                return add(r, cfg, mtu, hostName, host.netlink(), pod, undo);
            } catch (RuntimeException e) {
                undo.unwind(e);
                throw e;
            }
        }
    }

    /** ADD step by step; each step that makes something pushes its undo, so a failure takes back exactly that. */
    private static Result add(Request r, RoutedConfig cfg, int mtu, String hostName, RtNetlink host, Namespace pod, UndoStack undo) {
        RtNetlink podNl = pod.netlink();
        if (podNl.link(r.ifname()).isPresent()) {
            throw new CniError(CniError.INTERNAL, "container veth name provided (" + r.ifname() + ") already exists");
        }
        Trace.mark("netns+sockets");
        Ipam ipam = new DelegatedIpam(cfg.ipamType());
        Result ipamResult = ipam.add(r);
        undo.push(new UndoStack.ReleaseAddresses(ipam, r));
        Trace.mark("ipam add");
        if (ipamResult.ips().isEmpty()) {
            throw new CniError(CniError.INTERNAL, "IPAM plugin returned missing IP config");
        }
        List<Cidr> addresses = PodSide.narrow(ipamResult);
        boolean v4 = false;
        boolean v6 = false;
        for (Cidr a : addresses) {
            v4 |= a.isV4();
            v6 |= a.isV6();
        }
        // Before anything is made: a duplicate IP must leave the node as it was.
        HostSide.refuseRoutedElsewhere(host, addresses, hostName);
        HostSide.removeStale(host, hostName);
        HostSide.createVeth(host, pod, hostName, r.ifname(), mtu);
        undo.push(new UndoStack.DeleteHostVeth(host, hostName)); // the pod end, its addresses and routes go with it
        Trace.mark("veth created");
        Link hostVeth = host.requireLink(hostName);
        HostSide.configure(host, hostVeth.index(), hostName, v4, v6);
        Link cont = podNl.requireLink(r.ifname());
        PodSide.addressAndUp(pod, cont.index(), r.ifname(), addresses, v6);
        IpAddress gatewayV6 = v6 ? HostSide.awaitLinkLocal(host, hostVeth.index(), hostName) : null;
        List<Result.RouteEntry> routes = PodSide.route(pod, cont.index(), ipamResult.routes(), v4, gatewayV6);
        Trace.mark("pod end configured");
        HostSide.addRoutes(host, hostVeth.index(), hostName, addresses);
        Trace.mark("host routes");

        List<Result.IpConfig> ips = new ArrayList<>();
        for (Cidr a : addresses) {
            ips.add(new Result.IpConfig(a, a.isV4() ? PodSide.GATEWAY_V4 : gatewayV6, 1));
        }
        Result result = Result.empty()
                .withInterfaces(List.of(Result.Iface.of(hostName, String.valueOf(HostSide.MAC), null),
                        Result.Iface.of(r.ifname(), String.valueOf(cont.mac()), r.netns())))
                .withIps(ips).withRoutes(routes).withDns(ipamResult.dns());
        return cfg.dns().isEmpty() ? result : result.withDns(cfg.dns());
    }

    /**
     * DEL: the pod's interface (its host end and host routes go with it), then IPAM, in Calico's
     * order: an address is released only once nothing routes to it. Only the pod's own namespace
     * is touched: the deterministic host name may by now belong to a newer sandbox of the pod.
     */
    @Override
    public void del(Request r) {
        RoutedConfig cfg = RoutedConfig.parse(r);
        Optional<Namespace> existing = Namespace.openIfExists(r.netns());
        if (existing.isPresent()) { // a gone namespace took the veth with it
            try (Namespace pod = existing.get()) {
                RtNetlink podNl = pod.netlink();
                Optional<Link> link = podNl.link(r.ifname());
                if (link.isPresent()) {
                    try {
                        podNl.delete(link.get().index());
                    } catch (NetlinkException e) {
                        if (!e.isNotFound()) {
                            throw e;
                        }
                    }
                }
            }
        }
        new DelegatedIpam(cfg.ipamType()).del(r);
    }

    @Override
    public void check(Request r) {
        RoutedConfig cfg = RoutedConfig.parse(r);
        new DelegatedIpam(cfg.ipamType()).check(r);
        Result prev = r.prevResult();
        if (prev == null) {
            throw new CniError(CniError.INVALID_CONFIG, "Required prevResult missing");
        }
        // Only a config's own mtu is checked: FLANNEL_MTU may have changed since ADD, as the pod kept its MTU.
        RoutedCheck.verify(r, HostVethName.of(r, cfg.vethPrefix()), Json.integer(r.config(), "mtu", 0), prev);
    }

    @Override
    public void gc(Request r) {
        new DelegatedIpam(RoutedConfig.parse(r).ipamType()).gc(r);
    }

    @Override
    public void status(Request r) {
        new DelegatedIpam(RoutedConfig.parse(r).ipamType()).status(r);
    }
}
