package dev.weft.flannel.backend.bgp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.bgp.agent.BgpAgent;
import dev.weft.bgp.config.AgentConfig;
import dev.weft.bgp.fib.KernelFib;
import dev.weft.flannel.backend.AbstractBackend;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.BlockAnnouncer;
import dev.weft.ipam.blocks.Announcement;
import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.flannel.backend.RouteTag;
import dev.weft.flannel.backend.ipip.BpfIpip;
import dev.weft.flannel.backend.ipip.IpipPath;
import dev.weft.flannel.backend.vxlan.VxlanDataPlane;
import dev.weft.flannel.backend.vxlan.VxlanOptions;
import dev.weft.flannel.config.BackendTypes;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.TunnelAddr;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * weftd's {@code bgp} backend (Calico's BGP, IPIP, VXLAN and CrossSubnet modes on flannel leases).
 * The lease is {@code BackendType:"bgp"} with {@link BgpLeaseData}; the embedded {@link BgpAgent}
 * announces the own subnet (and keeps a local blackhole for it), peers with every other bgp lease
 * (lower address passive) or, with route reflectors, as {@link BgpPeers} says, and with the
 * configured external peers, and installs what it learns in
 * the shapes {@link CalicoRouteShapes} gives, under protocol 88. Encap VXLAN drives the vxlan
 * backend's device from the leases instead (on block IPAM, from the other nodes' blocks:
 * {@link #blockRoutes}). Graceful restart is on towards every peer: a restart
 * (kill -9 included) leaves the routes in the kernel, and the next run adopts and reconciles them.
 *
 * <p>Dual-stack (EnableIPv6 + IPv6Network): the node publishes its IPv6 underlay address
 * ({@code IPv6Address}, PublicIPv6), peers with every other dual-stack node over a second session
 * between the two IPv6 addresses ({@link BgpPeers}: Calico's bird6, which BIRD 2 and FRR peers also
 * speak), announces its IPv6 blocks (blackhole kept locally), borrowed /128s (or its IPv6 subnet)
 * there, and installs the learned ones natively via the node's IPv6 address whatever the encap
 * ({@link CalicoRouteShapes}).
 */
public final class BgpBackend extends AbstractBackend implements BlockAnnouncer {
    private static final Logger LOG = LoggerFactory.getLogger(BgpBackend.class);
    static final String TUNNEL_DEVICE = IpipPath.DEVICE;
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final BgpOptions options;
    private final BgpSettings settings;
    private final VxlanOptions vxlanOptions;
    private RtNetlink nl;
    private BgpLeaseData self;
    private VxlanDataPlane vxlan;
    private IpipDataPlane ipip;
    private boolean startPeersSealed;
    private BgpAgent agent;
    private final Map<Cidr, Lease> leases = new LinkedHashMap<>();
    private final Map<IpAddress, AgentConfig.Peer> peers = new HashMap<>();
    /** Block IPAM: the node announces its blocks and borrowed addresses, not a subnet. */
    private boolean blocks;
    /** Block IPAM: where each other node's block and borrowed address is (the userspace IPIP path's peers). */
    private Map<Cidr, IpAddress> blockPeers = Map.of();
    /**
     * Whether blockRoutes has given the blocks at least once. Until then the IPIP path gets no
     * peers on block IPAM: its first set swaps its programs in, and a set without the blocks would
     * replace a restarted node's working filters with programs that drop everything.
     */
    private boolean blockPeersKnown;
    /** Block IPAM: what was last asked for, and what the agent originates now (prefix → with a blackhole). */
    private Announcement wantedAnnouncement = Announcement.NONE;
    private final Map<Cidr, Boolean> originated = new LinkedHashMap<>();
    /** Set by {@link #prepareStop}: close with a Cease instead of for a restart. */
    private boolean withdrawOnClose;

    /** @throws BackendException for bad options or a node that cannot run it */
    public BgpBackend(BackendContext ctx, BgpSettings settings) {
        super(ctx, BackendTypes.BGP);
        this.options = BgpOptions.parse(ctx.network().backend());
        this.settings = settings;
        if (ctx.extIface().ifaceAddr() == null) {
            throw new BackendException("bgp: interface " + ctx.extIface().name() + " has no IPv4 address");
        }
        if (ctx.network().enableIPv6()) {
            checkDualStack(ctx, options);
        } else {
            for (int i = 0; i < options.peers().size(); i++) {
                IpAddress ip = options.peers().get(i).ip();
                if (ip.isV6()) {
                    throw new BackendException("Backend.Peers[" + i + "].PeerIP: " + ip + " is IPv6; an IPv6 peer needs"
                            + " EnableIPv6 (the node's IPv6 address and IPv6Network)");
                }
            }
        }
        this.vxlanOptions = new VxlanOptions(VxlanOptions.DEFAULT_VNI, 0, false, false, options.crossSubnet(), 0);
        LOG.info("bgp config: {}", options);
    }

    public BgpOptions options() {
        return options;
    }

    /**
     * What dual-stack needs, checked before anything is made: an IPv6 address on the external
     * interface that is its own (the IPv6 sessions run from it and peers route to it, so a NATed
     * PublicIPv6 cannot work) and an encap that leaves IPv6 native. IPIP (and CrossSubnet) stay
     * IPv4 only, as in Calico: IPv6 is routed natively beside them.
     */
    private static void checkDualStack(BackendContext ctx, BgpOptions options) {
        ExternalInterface e = ctx.extIface();
        if (e.ifaceAddrV6() == null) {
            throw new BackendException("bgp: EnableIPv6 is set but interface " + e.name()
                    + " has no global IPv6 address (the IPv6 sessions and routes need one)");
        }
        if (!e.ifaceAddrV6().equals(e.extAddrV6())) {
            throw new BackendException("bgp: the PublicIPv6 " + e.extAddrV6() + " is not " + e.name() + "'s own address "
                    + e.ifaceAddrV6() + "; IPv6 sessions and routes need the node's own address (no NAT)");
        }
        if (options.encap() == Encap.VXLAN) {
            throw new BackendException("bgp: EnableIPv6 with Encap VXLAN is not supported; use Encap None or IPIP"
                    + " (IPv6 pod traffic is then routed natively, as Calico does)");
        }
    }

    @Override
    protected LeaseAttrs setUp() {
        ExternalInterface ext = ctx.extIface();
        nl = ctx.openNetlink();
        try {
            self = new BgpLeaseData(underlay(nl, ext), options.asNumber(), settings.nodeName());
            if (ctx.network().enableIPv6()) {
                self = self.withAddress6(underlay6(nl, ext));
            }
            ObjectNode data = self.toJson();
            if (options.encap() == Encap.VXLAN) {
                vxlan = VxlanDataPlane.create(ctx, nl, vxlanOptions);
                vxlan.describe(data, vxlanOptions);
            }
            return new LeaseAttrs(ext.extAddr() != null ? ext.extAddr() : ext.ifaceAddr(), self.ip6(), BackendTypes.BGP, data, null);
        } catch (RuntimeException e) {
            nl.close();
            nl = null;
            throw e instanceof BackendException ? e : new BackendException("bgp: " + e.getMessage(), e);
        }
    }

    /** The external interface's address with its subnet's prefix length (never a /32: calico#3003). */
    static Cidr underlay(RtNetlink nl, ExternalInterface ext) {
        for (Address a : nl.addresses(Linux.AF_INET, ext.index())) {
            if (a.cidr().address().equals(ext.ifaceAddr())) {
                if (a.cidr().prefixLength() == 32) {
                    throw new BackendException("bgp: " + ext.name() + "'s address is a /32; CrossSubnet and the"
                            + " lease need the underlay subnet's prefix length (calico#3003)");
                }
                return a.cidr();
            }
        }
        throw new BackendException("bgp: " + ext.ifaceAddr() + " is not an address of " + ext.name());
    }

    /** The external interface's IPv6 address with its prefix length (published as IPv6Address). */
    static Cidr underlay6(RtNetlink nl, ExternalInterface ext) {
        for (Address a : nl.addresses(Linux.AF_INET6, ext.index())) {
            if (a.cidr().address().equals(ext.ifaceAddrV6())) {
                return a.cidr();
            }
        }
        throw new BackendException("bgp: " + ext.ifaceAddrV6() + " is not an address of " + ext.name());
    }

    @Override
    protected boolean usesBpfIpip() {
        return options.encap() == Encap.IPIP;
    }

    @Override
    protected void begin(Lease ownLease) {
        removeOtherModesRoutes();
        if (options.encap() == Encap.VXLAN) {
            vxlan.start(ownLease.subnet());
        } else if (options.encap() == Encap.IPIP) {
            ipip = openIpip(Cidr.of(ownLease.subnet().networkAddress(), 32));
        }
        CalicoRouteShapes shapes = new CalicoRouteShapes(ctx.network().network(), options.encap(), options.crossSubnet(),
                self.address().network(), ctx.extIface().index(), TUNNEL_DEVICE, network6());
        AgentConfig config = agentConfig();
        // the mesh comes with the first lease snapshot: until then, peers added are start-time peers
        agent = BgpAgent.start(config, ctx.namespace(), shapes, true);
        if (blocks) {
            LOG.info("bgp: block IPAM: announcing this node's blocks and borrowed addresses as AS {} from {}; encap {}",
                    options.asNumber(), self.address(), options.encap());
            syncAnnouncement();
            return;
        }
        await(agent.originate(ownLease.subnet(), true));
        LOG.info("bgp: announcing {} as AS {} from {}; encap {}{}", ownLease.subnet(), options.asNumber(), self.address(),
                options.encap(), options.crossSubnet() ? " (CrossSubnet)" : "");
        if (network6() != null && ownLease.subnetV6() != null) {
            await(agent.originate(ownLease.subnetV6(), true));
            LOG.info("bgp: announcing {} from {} (IPv6, routed natively)", ownLease.subnetV6(), self.address6());
        }
    }

    /** The IPv6 network this node routes, or null when it is IPv4 only. */
    private Cidr network6() {
        return ctx.network().enableIPv6() ? ctx.network().ipv6Network() : null;
    }

    @Override
    public TunnelAddr.Kind tunnelKind() {
        return switch (options.encap()) {
            case IPIP -> TunnelAddr.Kind.IPIP;
            case VXLAN -> TunnelAddr.Kind.VXLAN;
            case NONE -> null;
        };
    }

    @Override
    public synchronized void blockRoutes(java.util.Collection<Lease> leases) {
        Map<Cidr, IpAddress> m = new LinkedHashMap<>();
        for (Lease l : leases) {
            m.put(l.subnet(), l.attrs().publicIp());
        }
        blockPeers = m;
        blockPeersKnown = true;
        if (isClosed()) {
            return;
        }
        if (ipip != null) {
            ipip.setPeers(m);
        }
        if (vxlan != null && blocks) {
            // the other bgp nodes' blocks on the vxlan device (CrossSubnet: direct where the node is on this L2)
            // a bgp node without a VtepMAC (Encap IPIP or None, during a change of mode) has no VTEP to
            // reach: left out here rather than logged as a bad lease on every block snapshot
            vxlan.resync(leases.stream().filter(l -> BackendTypes.BGP.equals(l.attrs().backendType())
                    && l.attrs().backendData() != null && l.attrs().backendData().hasNonNull("VtepMAC")).toList());
        }
    }

    @Override
    public synchronized void useBlocks() {
        blocks = true;
    }

    /**
     * Originates each new block (with a local blackhole, so addresses of the block no pod holds are
     * dropped here rather than sent back along a default route) and each borrowed address (without
     * one: the pod's own /32 route is the host's), and withdraws what is gone. Sessions stay as they are.
     */
    @Override
    public synchronized void announce(Announcement a) {
        if (!blocks) {
            throw new IllegalStateException("bgp: announce() without useBlocks()");
        }
        wantedAnnouncement = a;
        if (agent != null && !isClosed()) {
            syncAnnouncement();
        }
    }

    /**
     * What the agent originates for an announcement: each block with a local blackhole (true), each
     * borrowed host prefix without (false). IPv6 ones only on a dual-stack node ({@code v6}), where
     * they go out on its IPv6 sessions; an IPv4-only node leaves them out as before.
     */
    static Map<Cidr, Boolean> originations(Announcement a, boolean v6) {
        Map<Cidr, Boolean> want = new LinkedHashMap<>();
        for (Cidr b : a.blocks()) {
            if (b.isV4() || v6) {
                want.put(b, true);
            }
        }
        for (Cidr h : a.borrowed()) {
            if (h.isV4() || v6) {
                want.putIfAbsent(h, false);
            }
        }
        return want;
    }

    private void syncAnnouncement() {
        Map<Cidr, Boolean> want = originations(wantedAnnouncement, network6() != null);
        for (Cidr c : List.copyOf(originated.keySet())) {
            if (!originated.get(c).equals(want.get(c))) {
                await(agent.withdraw(c));
                originated.remove(c);
                LOG.info("bgp: withdrew {}", c);
            }
        }
        for (Map.Entry<Cidr, Boolean> w : want.entrySet()) {
            if (!originated.containsKey(w.getKey())) {
                await(agent.originate(w.getKey(), w.getValue()));
                originated.put(w.getKey(), w.getValue());
                LOG.info("bgp: announcing {} ({})", w.getKey(), w.getValue() ? "a block of this node, blackhole kept locally"
                        : "an address this node borrowed");
            }
        }
    }

    private AgentConfig agentConfig() {
        // dual-stack: one listener for both families' sessions (the IPv6 ones arrive on the IPv6 address)
        String listen = self.ip6() != null ? "::" : self.ip().toString();
        AgentConfig c = AgentConfig.of(self.ip().toString(), options.asNumber())
                .withListen(new AgentConfig.Listen(listen, options.listenPort()))
                .withGracefulRestart(options.gracefulRestartSeconds() > 0
                        ? AgentConfig.GracefulRestart.of(true, options.gracefulRestartSeconds(), 120)
                        : AgentConfig.GracefulRestart.of(false, 0, 120));
        if (options.reflects(settings.nodeName())) {
            c = c.withClusterId(options.routeReflector().clusterId().toString());
            LOG.info("bgp: {} is a route reflector (cluster id {})", settings.nodeName(), options.routeReflector().clusterId());
        }
        if (settings.statusSocket() != null) {
            try {
                Files.createDirectories(settings.statusSocket().toAbsolutePath().getParent());
                Files.deleteIfExists(settings.statusSocket()); // a socket file a killed run left
            } catch (IOException e) {
                throw new BackendException("bgp: status socket " + settings.statusSocket() + ": " + e.getMessage(), e);
            }
            c = c.withStatus(new AgentConfig.Status(null, null, settings.statusSocket().toAbsolutePath().toString()));
        }
        return c;
    }

    /**
     * The kernel's ipip device when it has the driver; else the bpf data path (tc programs on a
     * veth tunl0); else, when the kernel refuses those, the userspace one.
     */
    private IpipDataPlane openIpip(Cidr tunnelAddr) {
        int mtu = ctx.extIface().mtu() - Encap.IPIP.overhead();
        var kernel = KernelIpip.tryOpen(nl, TUNNEL_DEVICE, mtu, tunnelAddr);
        if (kernel.isPresent()) {
            LOG.info("bgp: IPIP data path: the kernel's ipip device {} (MTU {}, address {})", TUNNEL_DEVICE, mtu, tunnelAddr);
            return kernel.get();
        }
        IpAddress local = ctx.extIface().ifaceAddr();
        if (settings.bpfIpip() != null) {
            try {
                IpipDataPlane d = settings.bpfIpip().open(ctx, TUNNEL_DEVICE, mtu, tunnelAddr, local);
                LOG.info("bgp: IPIP data path: {} (tc programs on {} and {}; the kernel has no ipip driver)", d.kind(),
                        TUNNEL_DEVICE, ctx.extIface().name());
                return d;
            } catch (BackendException e) {
                LOG.warn("bgp: IPIP data path: the kernel refused the bpf one, falling back to userspace: {}", e.getMessage());
            }
        }
        // the bpf path refused now or not wanted (-bgp-ipip-dataplane userspace): a veth tunl0 an earlier
        // bpf run left would keep the TUN from the name, and its decapsulation filter would take the packets
        BpfIpip.removeLeftovers(nl, TUNNEL_DEVICE, ctx.extIface().index());
        IpipDataPlane.Factory f = settings.userspaceIpip();
        if (f == null) {
            f = ServiceLoader.load(IpipDataPlane.Factory.class).findFirst().orElse(IpipPathPlane.USERSPACE);
        }
        IpipDataPlane d = f.open(ctx, TUNNEL_DEVICE, mtu, tunnelAddr, local);
        LOG.info("bgp: IPIP data path: userspace ({}) on {} (the kernel has no ipip driver)", d.kind(), TUNNEL_DEVICE);
        return d;
    }

    /**
     * A mode change across restarts: the vxlan backend's routes (protocol 87) go when BGP routes
     * now carry the traffic, and BGP's (protocol 88) when the vxlan device does. Routes BGP keeps
     * are re-shaped in place by the FIB when they are learned again.
     */
    private void removeOtherModesRoutes() {
        int stale = options.encap() == Encap.VXLAN ? KernelFib.BGP_PROTOCOL : RouteTag.PROTOCOL;
        removeRoutes(Linux.AF_INET, ctx.network().network(), stale);
        if (network6() != null) {
            removeRoutes(Linux.AF_INET6, network6(), stale);
        }
    }

    private void removeRoutes(int family, Cidr network, int stale) {
        for (Route r : nl.routes(family, Rt.RT_TABLE_MAIN)) {
            if (r.protocol() == stale && r.type() == Rt.RTN_UNICAST && network.contains(r.dst())) {
                try {
                    nl.deleteRoute(r);
                    LOG.info("bgp: removed {} via {} (protocol {}) left by another mode", r.dst(), r.gateway(), stale);
                } catch (NetlinkException e) {
                    LOG.warn("bgp: could not remove {}: {}", r.dst(), e.getMessage());
                }
            }
        }
    }

    @Override
    protected void added(Lease l) {
        leases.put(l.subnet(), l);
        syncPeers();
        if (vxlan != null && !blocks) {
            vxlan.add(l);
        }
    }

    @Override
    protected void removed(Lease l) {
        leases.remove(l.subnet());
        syncPeers();
        if (vxlan != null && !blocks) {
            vxlan.remove(l);
        }
    }

    @Override
    protected void resync(List<Lease> all) {
        leases.clear();
        for (Lease l : all) {
            leases.put(l.subnet(), l);
        }
        syncPeers();
        if (!startPeersSealed) {
            // every node the first snapshot names is a peer the restart must hear End-of-RIB from
            await(agent.startPeersAdded());
            startPeersSealed = true;
        }
        if (vxlan != null && !blocks) { // on block IPAM the vxlan device follows the blocks (blockRoutes), not the nodes
            vxlan.resync(all);
        }
    }

    /** Adds, removes and updates only the sessions whose peer changed; the others are not touched. */
    private void syncPeers() {
        Map<IpAddress, AgentConfig.Peer> wanted = BgpPeers.wanted(self, settings.nodeName(), options, leases.values());
        for (IpAddress ip : List.copyOf(peers.keySet())) {
            if (!wanted.containsKey(ip)) {
                LOG.info("bgp: removing peer {}", ip);
                await(agent.removePeer(ip));
                peers.remove(ip);
            }
        }
        for (AgentConfig.Peer p : wanted.values()) {
            AgentConfig.Peer have = peers.get(p.ip());
            if (p.equals(have)) {
                continue;
            }
            LOG.info("bgp: {} peer {} AS {}{}{}", have == null ? "adding" : "updating", p.address(), p.as(),
                    p.passive() ? " (passive)" : "", p.rrClient() ? " (route reflector client)" : "");
            await(have == null ? agent.addPeer(p) : agent.updatePeer(p));
            peers.put(p.ip(), p);
        }
        if (ipip != null && (!blocks || blockPeersKnown)) {
            // on block IPAM the leases are the nodes themselves (their /32s); the blocks come from blockRoutes()
            Map<Cidr, IpAddress> subnetToNode = new LinkedHashMap<>(blocks ? blockPeers : Map.of());
            if (!blocks) {
                for (Lease l : leases.values()) {
                    subnetToNode.put(l.subnet(), l.attrs().publicIp());
                }
            }
            ipip.setPeers(subnetToNode);
        }
    }

    private static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException("bgp: interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new BackendException("bgp agent: " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new BackendException("bgp agent: no answer in " + CALL_TIMEOUT);
        }
    }

    @Override
    public int mtu() {
        return ctx.extIface().mtu() - options.encap().overhead();
    }

    /**
     * The embedded speaker's families (weft_bgp_*, as weft-bgp's own /metrics has them: sessions,
     * prefixes, messages, RIB and FIB sizes), then the IPIP data path's when there is one. The
     * speaker answers on its own thread; a scrape that finds it busy for longer than
     * {@link #CALL_TIMEOUT} gets the rest without the speaker's families.
     */
    @Override
    public String metricsText() {
        IpipDataPlane d;
        BgpAgent a;
        synchronized (this) {
            d = ipip;
            a = agent;
        }
        StringBuilder b = new StringBuilder();
        if (a != null) {
            try {
                var speaker = a.speaker().toCompletableFuture();
                var peers = a.peers().toCompletableFuture();
                b.append(dev.weft.bgp.status.BgpMetrics.render(await(speaker), await(peers), System.currentTimeMillis()));
            } catch (BackendException e) {
                LOG.debug("bgp: no speaker metrics for this scrape: {}", e.getMessage());
            }
        }
        if (d != null) {
            b.append("# HELP weft_bgp_ipip_dataplane Which IPIP data path runs (kernel, bpf or userspace).\n"
                    + "# TYPE weft_bgp_ipip_dataplane gauge\n"
                    + "weft_bgp_ipip_dataplane{kind=\"" + d.kind() + "\"} 1\n" + d.metricsText());
        }
        return b.toString();
    }

    /**
     * A restart (SIGTERM, {@code weftctl shutdown}): the sessions close without a NOTIFICATION and the
     * peers keep this node's routes as stale for GracefulRestartSeconds (RFC 4724). Withdraw (a node
     * leaving): Cease/administrative shutdown, so the peers drop them at once. The kernel routes stay
     * either way ({@link BgpAgent#close}).
     */
    @Override
    public synchronized String prepareStop(boolean withdraw) {
        this.withdrawOnClose = withdraw;
        if (withdraw) {
            return "BGP sessions ended with Cease/administrative shutdown (peers drop this node's routes now)";
        }
        return options.gracefulRestartSeconds() > 0
                ? "BGP sessions closed for graceful restart (peers keep this node's routes as stale for "
                        + options.gracefulRestartSeconds() + " s; kernel routes kept)"
                : "BGP sessions ended with Cease (GracefulRestartSeconds is 0: peers drop this node's routes now)";
    }

    @Override
    protected void release() {
        if (agent != null) {
            if (withdrawOnClose) {
                agent.close();
            } else {
                agent.closeForRestart(); // a weftd stop is a restart: peers keep our routes (graceful restart)
            }
        }
        if (ipip != null) {
            if (withdrawOnClose) {
                ipip.close(); // the node leaves: its tunnel goes with it
            } else {
                ipip.closeForRestart(); // as the kernel routes: the tunnel keeps forwarding until the next run
            }
        }
        if (nl != null) {
            nl.close();
        }
    }
}
