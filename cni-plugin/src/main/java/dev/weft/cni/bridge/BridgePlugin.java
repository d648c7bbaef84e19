package dev.weft.cni.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.ipam.Ipam;
import dev.weft.cni.ipam.DelegatedIpam;
import dev.weft.cni.masq.Masquerade;
import dev.weft.cni.skel.CniPlugin;
import dev.weft.cni.skel.Request;
import dev.weft.cni.skel.Trace;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Result;
import dev.weft.exec.CommandRunner;
import dev.weft.ipam.hostlocal.Attachment;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.LinkSpec;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * weft-bridge: a veth per pod, its host end enslaved to a Linux bridge, addresses from IPAM.
 * ADD and DEL follow the reference bridge plugin step for step (spec notes §2.2, §2.3), so that a
 * node can switch between the two without a difference in kernel state.
 */
public final class BridgePlugin implements CniPlugin {
    @Override
    public String name() {
        return "weft-bridge";
    }

    @Override
    public Set<String> knownArgs() {
        return Set.of("MAC", "IP", "K8S_POD_NAMESPACE", "K8S_POD_NAME", "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID");
    }

    @Override
    public Result add(Request r) {
        BridgeConfig cfg = BridgeConfig.parse(r);
        Trace.mark("config parsed");
        try (Namespace host = Namespace.host(); Namespace pod = openPod(host, r)) {
            UndoStack undo = new UndoStack();
            try {
                return add(r, cfg, host.netlink(), pod, undo);
            } catch (RuntimeException e) {
                undo.unwind(e);
                throw e;
            }
        }
    }

    /** The pod's namespace, with both netlink clients opened up front so that the trace shows their cost. */
    private static Namespace openPod(Namespace host, Request r) {
        host.netlink();
        Trace.mark("host socket (libc bound)");
        Namespace pod = Namespace.open(r.netns());
        try {
            pod.netlink();
        } catch (RuntimeException e) {
            pod.close();
            throw e;
        }
        Trace.mark("pod netns socket");
        return pod;
    }

    /**
     * ADD step by step, as the reference's cmdAdd: each step that creates something pushes its
     * undo, so that a failure anywhere takes back exactly what was made, newest first.
     */
    private static Result add(Request r, BridgeConfig cfg, RtNetlink host, Namespace pod, UndoStack undo) {
        RtNetlink podNl = pod.netlink();
        if (podNl.link(r.ifname()).isPresent()) {
            throw new CniError(CniError.INTERNAL, "container veth name provided (" + r.ifname() + ") already exists");
        }
        Trace.mark("netns+sockets");
        Result ipamResult = reserveAddresses(r, cfg, undo);
        Link br = BridgeDevice.ensure(host, cfg);
        Trace.mark("bridge ensured");
        String hostVethName = VethPair.create(host, pod, cfg, r.ifname());
        undo.push(new UndoStack.DeleteHostVeth(host, hostVethName)); // the pod end goes with it
        Trace.mark("veth created");
        Link hostVeth = attachToBridge(host, cfg, br, hostVethName);
        Link cont = podNl.requireLink(r.ifname());
        if (cfg.macspoofchk()) {
            MacSpoofCheck check = new MacSpoofCheck(CommandRunner.local(), r.containerId(), r.ifname());
            check.setup(hostVethName, cont.mac());
            undo.push(new TearDownSpoofCheck(check)); // only now: a failed setup left nothing to undo
            Trace.mark("macspoofchk");
        }
        Result result = Result.empty().withInterfaces(List.of(
                Result.Iface.of(br.name(), String.valueOf(br.mac()), null),
                Result.Iface.of(hostVethName, String.valueOf(hostVeth.mac()), null),
                Result.Iface.of(r.ifname(), String.valueOf(cont.mac()), r.netns())));
        if (ipamResult != null) {
            result = configureAddresses(cfg, host, br, pod, cont, r.ifname(), ipamResult, result);
            if (cfg.ipMasq()) {
                masquerade(r, cfg, result, undo);
            }
        } else {
            podNl.setUp(cont.index());
        }
        Trace.mark("gateway+masq");
        BridgeDevice.waitForwarding(host, hostVeth.index());
        Trace.mark("port forwarding");
        return finalResult(host, cfg, br, hostVethName, result);
    }

    /**
     * IPAM first (the reference does it after the links): a bad IPAM config or an exhausted range
     * then leaves no veth behind at all (plugins#29). Null without an IPAM plugin.
     */
    private static Result reserveAddresses(Request r, BridgeConfig cfg, UndoStack undo) {
        if (cfg.ipamType() == null) {
            return null;
        }
        Ipam ipam = new DelegatedIpam(cfg.ipamType());
        Result ipamResult = ipam.add(r);
        undo.push(new UndoStack.ReleaseAddresses(ipam, r));
        Trace.mark("ipam add");
        if (ipamResult.ips().isEmpty()) {
            throw new CniError(CniError.INTERNAL, "IPAM plugin returned missing IP config");
        }
        return ipamResult;
    }

    /** Makes the host end a port of the bridge (hairpin, VLANs as configured) and sets it up. */
    private static Link attachToBridge(RtNetlink host, BridgeConfig cfg, Link br, String hostVethName) {
        Link hostVeth = host.requireLink(hostVethName);
        host.setMaster(hostVeth.index(), br.index());
        if (cfg.hairpinMode()) {
            host.setHairpin(hostVeth.index(), true);
        }
        PortVlans.configure(host, hostVeth.index(), hostVethName, cfg.vlan(), cfg.vlanTrunk(), cfg.preserveDefaultVlan());
        host.setUp(hostVeth.index());
        Sysctls.setIfPresent("net/ipv6/conf/" + hostVethName + "/accept_ra", "0");
        return hostVeth;
    }

    /** The pod end's addresses and routes, then the gateways on the bridge and forwarding. */
    private static Result configureAddresses(BridgeConfig cfg, RtNetlink host, Link br, Namespace pod, Link cont,
                                             String ifname, Result ipamResult, Result skeleton) {
        Result result = withGateways(skeleton, ipamResult, cfg);
        Trace.mark("host end set up");
        PodInterface.configure(pod, cont.index(), ifname, result);
        Trace.mark("pod end configured");
        if (cfg.isGateway()) {
            result = ensureGateways(host, br, cfg, result);
            enableForwarding(result);
        }
        return result;
    }

    private static void masquerade(Request r, BridgeConfig cfg, Result result, UndoStack undo) {
        List<Cidr> sources = result.ips().stream().map(Result.IpConfig::address).toList();
        // Pushed first: a setup that fails half-way has rules to take back too.
        undo.push(new TearDownMasquerade(r, cfg, sources));
        Masquerade.forBackend(cfg.ipMasqBackend()).setup(r.networkName(), r.containerId(), r.ifname(), sources);
    }

    /** The result with the bridge's and host end's MACs as they are now (enslaving can change them) and the DNS. */
    private static Result finalResult(RtNetlink host, BridgeConfig cfg, Link br, String hostVethName, Result result) {
        Link brNow = host.requireLink(br.name());
        Link vethNow = host.requireLink(hostVethName);
        List<Result.Iface> ifs = new ArrayList<>(result.interfaces());
        ifs.set(0, Result.Iface.of(brNow.name(), String.valueOf(brNow.mac()), null));
        ifs.set(1, Result.Iface.of(vethNow.name(), String.valueOf(vethNow.mac()), null));
        result = result.withInterfaces(ifs);
        if (!cfg.dns().isEmpty()) {
            result = result.withDns(cfg.dns());
        }
        return result;
    }



    private record TearDownSpoofCheck(MacSpoofCheck check) implements UndoStack.Undo {
        @Override
        public void run() {
            String error = check.teardown();
            if (error != null) {
                throw new IllegalStateException(error);
            }
        }
    }

    private record TearDownMasquerade(Request r, BridgeConfig cfg, List<Cidr> sources) implements UndoStack.Undo {
        @Override
        public void run() {
            Masquerade.forBackend(cfg.ipMasqBackend()).teardown(r.networkName(), r.containerId(), r.ifname(), sources);
        }
    }

    /**
     * Puts each gateway address on the bridge, or with a {@code vlan} on the VLAN's gateway
     * interface, which then joins the result as a fourth interface (as in the reference).
     */
    private static Result ensureGateways(RtNetlink host, Link br, BridgeConfig cfg, Result result) {
        Link target = br;
        if (cfg.vlan() != 0 && result.ips().stream().anyMatch(ip -> ip.gateway() != null)) {
            try {
                target = VlanGateway.ensure(host, br, cfg);
            } catch (NetlinkException e) {
                throw new CniError(CniError.KERNEL_FAILURE, "failed to create vlan interface: " + e.getMessage(), e.errno().name());
            }
        }
        for (Result.IpConfig ip : result.ips()) {
            if (ip.gateway() != null) {
                BridgeDevice.ensureGatewayAddress(host, target, Cidr.of(ip.gateway(), ip.address().prefixLength()), cfg.forceAddress());
            }
        }
        if (target == br) {
            return result;
        }
        Link now = host.requireLink(target.name());
        List<Result.Iface> ifs = new ArrayList<>(result.interfaces());
        ifs.add(Result.Iface.of(now.name(), String.valueOf(now.mac()), null));
        return result.withInterfaces(ifs);
    }

    /** Sets each IP's interface to the container (index 2) and fills gateways as the reference does. */
    static Result withGateways(Result skeleton, Result ipamResult, BridgeConfig cfg) {
        List<Result.IpConfig> ips = new ArrayList<>();
        List<Result.RouteEntry> routes = new ArrayList<>(ipamResult.routes());
        boolean v4Default = false;
        boolean v6Default = false;
        for (Result.RouteEntry rt : routes) {
            if (rt.dst().prefixLength() == 0 && rt.gw() != null) {
                if (rt.dst().isV4()) {
                    v4Default = true;
                } else {
                    v6Default = true;
                }
            }
        }
        for (Result.IpConfig ip : ipamResult.ips()) {
            IpAddress gw = ip.gateway();
            if (gw == null && cfg.isGateway()) {
                gw = ip.address().network().networkAddress().next();
            }
            ips.add(new Result.IpConfig(ip.address(), gw, 2));
            if (cfg.isDefaultGateway() && gw != null) {
                if (ip.address().isV4() && !v4Default) {
                    routes.add(Result.RouteEntry.of(Cidr.parse("0.0.0.0/0"), gw));
                    v4Default = true;
                } else if (ip.address().isV6() && !v6Default) {
                    routes.add(Result.RouteEntry.of(Cidr.parse("::/0"), gw));
                    v6Default = true;
                }
            }
        }
        return skeleton.withIps(ips).withRoutes(routes).withDns(ipamResult.dns());
    }

    private static void enableForwarding(Result result) {
        boolean v4 = false;
        boolean v6 = false;
        for (Result.IpConfig ip : result.ips()) {
            v4 |= ip.address().isV4();
            v6 |= ip.address().isV6();
        }
        if (v4) {
            Sysctls.ensure("net/ipv4/ip_forward", "1");
        }
        if (v6) {
            Sysctls.ensure("net/ipv6/conf/all/forwarding", "1");
        }
    }

    @Override
    public void del(Request r) {
        BridgeConfig cfg = BridgeConfig.parse(r);
        List<Cidr> addresses = new ArrayList<>();
        Optional<Namespace> existing = Namespace.openIfExists(r.netns());
        if (existing.isPresent()) { // a gone namespace took the veth with it: DEL goes on with the rest
            try (Namespace pod = existing.get()) {
                RtNetlink podNl = pod.netlink();
                Optional<Link> link = podNl.link(r.ifname());
                if (link.isPresent()) {
                    int index = link.get().index();
                    for (Address a : podNl.addresses(Linux.AF_UNSPEC, index)) {
                        if (a.scope() == Rt.RT_SCOPE_UNIVERSE) {
                            addresses.add(a.cidr());
                        }
                    }
                    try {
                        podNl.delete(index); // its host end goes with it
                    } catch (NetlinkException e) {
                        if (!e.isNotFound()) {
                            throw e;
                        }
                    }
                }
            }
        }
        if (addresses.isEmpty() && r.hasPrevResult()) {
            // The namespace is gone: the masquerade rules are still keyed by the pod's IPs.
            for (Result.IpConfig ip : r.prevResult().ips()) {
                addresses.add(ip.address());
            }
        }
        if (cfg.ipamType() != null) {
            new DelegatedIpam(cfg.ipamType()).del(r);
        }
        if (cfg.macspoofchk()) {
            // Also when the netns is gone (the reference then leaves the chains behind). Failures
            // are only logged, as the reference does: the pod is gone either way.
            String error = new MacSpoofCheck(CommandRunner.local(), r.containerId(), r.ifname()).teardown();
            if (error != null) {
                System.err.println("weft-bridge: " + error);
            }
        }
        if (cfg.ipMasq()) {
            Masquerade.forBackend(cfg.ipMasqBackend()).teardown(r.networkName(), r.containerId(), r.ifname(), addresses);
        }
    }

    @Override
    public void check(Request r) {
        BridgeConfig cfg = BridgeConfig.parse(r);
        if (cfg.ipamType() != null) {
            new DelegatedIpam(cfg.ipamType()).check(r);
        }
        Result prev = r.prevResult();
        if (prev == null) {
            throw new CniError(CniError.INVALID_CONFIG, "Required prevResult missing");
        }
        BridgeCheck.verify(r, cfg, prev);
    }

    @Override
    public void gc(Request r) {
        BridgeConfig cfg = BridgeConfig.parse(r);
        List<String> errors = new ArrayList<>();
        if (cfg.ipamType() != null) {
            try {
                new DelegatedIpam(cfg.ipamType()).gc(r);
            } catch (CniError e) {
                errors.add("ipam: " + e.msg());
            }
        }
        List<Attachment> valid = validAttachments(r.config());
        // macspoofchk chains are not collected: their names (cni-br-iface-<cid>-<ifname>) do not
        // say which network made them, so this network's GC could delete another network's.
        try {
            var res = Masquerade.forBackend(cfg.ipMasqBackend()).gc(r.networkName(), valid);
            if (!res.ok()) {
                errors.add("masquerade: " + String.join("; ", res.errors()));
            }
        } catch (RuntimeException e) {
            errors.add("masquerade: " + e.getMessage());
        }
        if (!errors.isEmpty()) {
            throw new CniError(CniError.INTERNAL, "garbage collection failed", String.join("; ", errors));
        }
    }

    /** The attachments named in cni.dev/valid-attachments (or the legacy cni.dev/attachments). */
    static List<Attachment> validAttachments(JsonNode config) {
        JsonNode list = config.get("cni.dev/valid-attachments");
        if (list == null || list.isNull()) {
            list = config.get("cni.dev/attachments");
        }
        List<Attachment> valid = new ArrayList<>();
        if (list == null || list.isNull()) {
            System.err.println("weft-bridge: GC got no cni.dev/valid-attachments: every attachment of this network counts as stale");
            return valid;
        }
        list.forEach(a -> valid.add(Attachment.of(a.path("containerID").asText(), a.path("ifname").asText())));
        return valid;
    }

    @Override
    public void status(Request r) {
        BridgeConfig cfg = BridgeConfig.parse(r);
        if (cfg.ipamType() != null) {
            new DelegatedIpam(cfg.ipamType()).status(r);
        }
    }
}
