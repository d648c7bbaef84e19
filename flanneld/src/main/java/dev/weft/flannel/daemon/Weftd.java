package dev.weft.flannel.daemon;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.backend.BlockAnnouncer;
import dev.weft.flannel.blockroutes.BlockRoutes;
import dev.weft.flannel.config.BackendTypes;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.lease.TunnelAddr;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.flannel.nodes.NodeRecord;
import dev.weft.flannel.nodes.NodeRegistration;
import dev.weft.flannel.nodes.NodeWatcher;
import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.flannel.backend.udp.UdpBackend;
import dev.weft.flannel.backend.udp.UdpSettings;
import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.ipam.BlockIpam;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.metrics.Exposition;
import dev.weft.flannel.metrics.NetlinkMetrics;
import dev.weft.flannel.metrics.ProcessMetrics;
import dev.weft.flannel.subnet.LeaseRenewer;
import dev.weft.flannel.subnet.LeaseWatcher;
import dev.weft.flannel.subnet.PreviousSubnets;
import dev.weft.flannel.subnet.SubnetManager;
import dev.weft.flannel.subnet.SubnetManagerOptions;
import dev.weft.flannel.subnet.etcd.EtcdKvStore;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.blocks.PoolConfig;
import dev.weft.netlink.RtNetlink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's wiring, in flanneld's order: network config, external interface, backend device,
 * lease, device address, traffic rules, subnet.env, ready; then renewal and the lease watch until
 * SIGTERM or {@code weftctl shutdown} (one {@link GracefulStop}, the same steps). On exit nothing in
 * the kernel is torn down, so pods keep talking across a restart.
 */
final class Weftd {
    private static final Logger LOG = LoggerFactory.getLogger(Weftd.class);

    private final WeftdOptions o;
    private volatile boolean ready;
    private volatile Backend backend;
    /** Set when the own subnet moved: weftd then stops with {@link Main#EXIT_LEASE_MOVED}. */
    private volatile boolean leaseMoved;
    /** SIGTERM and weftctl shutdown: one stop, the same steps (see the finally block of {@link #run}). */
    private final GracefulStop gracefulStop = new GracefulStop();
    private final CountDownLatch stop = gracefulStop.latch();
    /** How long the stop waits for the CNI requests in flight (an ADD's etcd writes take milliseconds). */
    private static final Duration CNI_DRAIN = Duration.ofSeconds(5);
    /** How long a finished stop waits for weftctl shutdown to print its line and exit. */
    private static final Duration SHUTDOWN_CLIENTS = Duration.ofSeconds(5);
    /**
     * How long SIGTERM waits for the whole stop (the kernel state stays either way): the drain and
     * the wait for weftctl, each bounded above, plus 10 s for the servers, watches and renewer to
     * close, so a slow drain never cuts the closing short. Under calico-node's 30 s grace period.
     */
    private static final long SHUTDOWN_WAIT_SECONDS = CNI_DRAIN.plus(SHUTDOWN_CLIENTS).toSeconds() + 10;
    private final LeasePipeline leasePipeline = new LeasePipeline(java.time.Clock.systemUTC());
    /** $NOTIFY_SOCKET under a Type=notify unit: READY=1 once running, STOPPING=1 on the way out. */
    private final java.util.Optional<SystemdNotify> systemd = SystemdNotify.fromEnvironment();
    private final java.util.concurrent.atomic.AtomicBoolean stopping = new java.util.concurrent.atomic.AtomicBoolean();

    private final NodeStatus status;
    private final ProcessMetrics processMetrics = new ProcessMetrics();
    /** Block IPAM only: this node's registration and the watch of the others'. */
    private volatile NodeRegistration registration;
    private volatile NodeWatcher nodeWatcher;
    /** Block IPAM only: the node's blocks, borrowed addresses and block routes for /metrics. */
    private volatile BlockMetrics blockMetrics;
    /** The CNI socket's allocator, drained first when weftd stops. */
    private volatile BlockIpam blockIpam;
    /** The local status socket (weftctl), closed last: a weftctl shutdown waits on it for the report. */
    private HealthServer statusServer;

    Weftd(WeftdOptions o) {
        this.o = o;
        this.status = new NodeStatus(o, () -> ready && leasePipeline.healthy(), java.time.Clock.systemUTC());
    }

    int run() {
        List<AutoCloseable> open = new ArrayList<>();
        // STOPPING=1 from the hook itself, and the hook waits (bounded) for the cleanup below: once the
        // hooks are done the JVM halts, main thread or not, and the status socket file would stay behind
        CountDownLatch cleanedUp = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            notifyStopping();
            gracefulStop.signal();
            try {
                cleanedUp.await(SHUTDOWN_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "weftd-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            validate();
            if (o.healthzPort > 0) {
                HealthServer hs = new HealthServer(o.healthzIp, o.healthzPort, () -> ready && leasePipeline.healthy(), this::metricsText);
                open.add(hs);
                LOG.info("serving /healthz, /readyz and /metrics on {}:{}", o.healthzIp, hs.port());
            }
            if (!o.statusSocket.isEmpty()) {
                try {
                    statusServer = HealthServer.unix(Path.of(o.statusSocket), () -> ready && leasePipeline.healthy(), this::metricsText,
                            status::json, gracefulStop::request);
                    LOG.info("serving /status for weftctl on {}", o.statusSocket);
                } catch (IOException e) {
                    LOG.warn("no status socket (weftctl status will not reach this weftd): {}", e.getMessage());
                }
            }
            KvStore store = o.store.open();
            open.add(store);
            SubnetManager sm = new SubnetManager(store, managerOptions());
            leasePipeline.validator(sm.validator());
            NetworkConfig cfg = networkConfig(sm, stop);
            if (cfg == null) {
                return 0; // stopped while waiting for a config
            }
            LOG.info("network {} (IPv6 {}), backend {}", cfg.network(), cfg.enableIPv6() ? cfg.ipv6Network() : "off", cfg.backendType());

            RtNetlink nl = RtNetlink.open();
            open.add(nl);
            ExternalInterface ext = new InterfaceSelector(nl).select(o.ifaces(), o.ifaceRegexes(), o.ifaceCanReach, o.publicIp, o.publicIpV6,
                    cfg.enableIPv4(), cfg.enableIPv6());
            LOG.info("external interface {} address {} public {}", ext.name(), ext.ifaceAddr(), ext.extAddr());
            status.configured(cfg, ext, nl);

            Backend backend = Backends.create(cfg, ext, Path.of(o.node.stateDir), o.udpSettings(), o.bgpSettings());
            open.add(backend);
            this.backend = backend;
            boolean routesBlocks = backend instanceof BlockAnnouncer || BlockRoutes.routesBlocks(backend.type());
            String rawNetConf = routesBlocks ? o.node.rawNetConf(store, o.store.etcdPrefix) : null;
            boolean onBlocks = routesBlocks && BlockIpam.wanted(rawNetConf);
            if (onBlocks) {
                refuseUnroutedIpv6(cfg, backend, rawNetConf); // before prepare() makes a device a refused start would leave
            }
            LeaseAttrs attrs = backend.prepare();
            if (onBlocks) {
                return runOnBlocks(open, store, nl, cfg, backend, attrs);
            }
            PreviousSubnets prev = PreviousSubnets.read(Path.of(o.subnetFile));
            Lease lease = sm.acquireLease(attrs, prev.subnet(), prev.subnetV6());
            LOG.info("acquired lease {} (expires {})", lease.key(), lease.isReservation() ? "never" : java.time.Instant.ofEpochMilli(lease.expirationEpochMillis()));
            backend.start(lease);

            dev.weft.flannel.rules.RulesKeeper rules = Traffic.start(o, cfg, lease);
            if (rules != null) {
                open.add(rules);
                status.rules(rules);
            }
            if (o.ipBlackholeRoute) {
                open.add(BlackholeRoutes.start(nl, lease, Duration.ofSeconds(o.iptablesResync)));
            }
            writeSubnetEnv(cfg, lease, backend.mtu());
            BlockIpam ipam = startBlockIpam(store);
            if (ipam != null) {
                open.add(ipam);
                this.blockIpam = ipam;
            }
            ready = true;

            LeaseRenewer renewer = sm.keepLease(lease, changed -> onOwnLeaseChanged(lease, changed));
            open.add(renewer);
            LeaseEventPump pump = new LeaseEventPump(backend);
            open.add(pump);
            LeaseWatcher watcher = sm.watchLeases(() -> renewer.current().subnet(), e -> {
                if (!leaseMoved) {
                    pump.accept(e); // after a move nothing more is programmed: the restart does it
                }
            });
            open.add(watcher);
            pump.start(watcher::view);
            leasePipeline.running(watcher, pump);
            status.running(renewer, watcher, pump);
            LOG.info("weftd is running");
            systemd.ifPresent(n -> n.send("READY=1\nSTATUS=lease " + lease.subnet() + ", backend " + cfg.backendType()));
            stop.await();
            if (leaseMoved) {
                return Main.EXIT_LEASE_MOVED;
            }
            LOG.info("stopping; the data path stays in place");
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } catch (RuntimeException | IOException e) {
            LOG.error("weftd failed: {}", e.getMessage(), e);
            return Main.EXIT_FAILURE;
        } finally {
            String report = stopSteps(open);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already exiting through the hook
            }
            if (statusServer != null) {
                gracefulStop.finished(report);
                statusServer.awaitShutdownClients(SHUTDOWN_CLIENTS);
                statusServer.close();
            }
            cleanedUp.countDown();
        }
    }

    /**
     * The graceful stop, the same for SIGTERM and weftctl shutdown, in this order: /readyz answers
     * not ready; the CNI socket refuses new requests (code 11) while those in flight finish; the
     * backend is told how to leave its peers (BGP: graceful restart, or Cease with --withdraw); then
     * everything closes in the reverse order of opening, the kernel's data path staying in place.
     * Returns the one-line report weftctl shutdown prints.
     */
    private String stopSteps(List<AutoCloseable> open) {
        ready = false;
        notifyStopping();
        GracefulStop.Mode mode = gracefulStop.mode();
        List<String> done = new ArrayList<>();
        done.add("/readyz not ready");
        BlockIpam ipam = blockIpam;
        if (ipam != null) {
            try {
                done.add(ipam.drain(CNI_DRAIN));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                done.add("CNI socket drain interrupted");
            }
        }
        Backend b = backend;
        if (b != null) {
            done.add(b.prepareStop(mode == GracefulStop.Mode.WITHDRAW));
        }
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (Exception e) {
                LOG.debug("closing {}: {}", open.get(i), e.toString());
            }
        }
        String line = "weftd stopped " + (mode == GracefulStop.Mode.WITHDRAW ? "for good (withdraw)" : "for a restart")
                + ": " + String.join("; ", done);
        LOG.info("{}", line);
        return line;
    }

    /**
     * A node on block IPAM: it leases no subnet. It registers under {@code <prefix>/nodes/<name>}
     * and opens the allocator (whose reserve claims the first block). A backend that announces
     * blocks (bgp) starts on its registration, announces what the allocator says and follows the
     * other nodes' registrations. A backend that routes subnets (host-gw, vxlan, udp) is handed the other
     * nodes' blocks and borrowed addresses as leases ({@link BlockRoutes}); vxlan first takes a
     * tunnel address from the pool for its device and publishes it in the registration, as bgp with
     * Encap IPIP does for tunl0 and with Encap VXLAN for its vxlan device (and it is told where the
     * blocks are, for the userspace IPIP path and the vxlan device's routes), and as udp does for
     * its TUN device (its route table is fed the blocks as vxlan's device is). With EnableIPv6,
     * host-gw and vxlan route the IPv6 blocks too, each as a lease with an IPv6 half only (host-gw via
     * the node's PublicIPv6; vxlan through its IPv6 device, which takes an IPv6 tunnel address from
     * the pool and publishes it in BackendV6Data); udp, which carries IPv4 only, refuses IPv6.
     */
    private int runOnBlocks(List<AutoCloseable> open, KvStore store, RtNetlink nl, NetworkConfig cfg, Backend backend, LeaseAttrs attrs)
            throws IOException, InterruptedException {
        BlockAnnouncer announcer = backend instanceof BlockAnnouncer a ? a : null;
        if (announcer != null) {
            announcer.useBlocks(); // (the bgp backend announces IPv6 blocks itself on a dual-stack node)
        }
        String node = o.node.resolvedNodeName();
        BlockIpam ipam = null;
        IpAddress tunnel = null;
        IpAddress tunnel6 = null;
        TunnelAddr.Kind tunnelKind = tunnelKind(backend, announcer);
        java.util.Set<TunnelAddr.Kind> tunnelKinds = java.util.EnumSet.noneOf(TunnelAddr.Kind.class);
        if (tunnelKind != null) {
            ipam = startBlockIpam(store);
            open.add(ipam);
            tunnel = tunnelAddress(ipam, node, tunnelKind);
            attrs = TunnelAddr.into(attrs, tunnel);
            tunnelKinds.add(tunnelKind);
            if (tunnelKind == TunnelAddr.Kind.VXLAN && announcer == null && cfg.enableIPv6()) {
                // the IPv6 device's address: the on-link gateway and neighbour of this node's IPv6 blocks on the others
                tunnel6 = tunnelAddress(ipam, node, TunnelAddr.Kind.VXLAN_V6);
                attrs = TunnelAddr.intoV6(attrs, tunnel6);
                tunnelKinds.add(TunnelAddr.Kind.VXLAN_V6);
            }
        }
        if (backend instanceof UdpBackend udp) {
            udp.useBlocks();
        }
        SubnetManagerOptions mo = managerOptions();
        NodeRegistration registration = NodeRegistration.register(store, o.store.etcdPrefix, node, attrs, mo.leaseTtl(),
                mo.renewMargin(), mo.renewRetryInterval());
        open.add(registration);
        this.registration = registration;
        if (ipam == null) {
            ipam = startBlockIpam(store);
            open.add(ipam);
        }
        ipam.releaseGoneNodes(new dev.weft.flannel.nodes.NodeKeys(o.store.etcdPrefix).dir()); // nodes here register, so one that does not is gone
        ipam.releaseOtherTunnelAddresses(node, tunnelKinds);
        this.blockIpam = ipam;
        Lease self = new NodeRecord(node, attrs, 0, 0, registration.expiresAt()).asPeerLease();
        // vxlan's devices, tunl0 and udp's TUN take the own lease's first address: the tunnel address (of each family)
        backend.start(tunnel == null ? self : new Lease(Cidr.ofHost(tunnel), tunnel6 == null ? null : Cidr.ofHost(tunnel6), attrs,
                self.expirationEpochMillis(), 0));
        BlockAnnouncements announcements = null;
        if (announcer != null) {
            announcements = new BlockAnnouncements(announcer);
            open.add(announcements);
        }
        BlockMetrics metrics = new BlockMetrics(backend.type(), cfg.network(), cfg.enableIPv6() ? cfg.ipv6Network() : null, nl,
                announcements);
        ipam.onAnnouncementChange(metrics);
        this.blockMetrics = metrics;

        // masquerade and forward rules: with no subnet of its own, the node's pods are anywhere in Network (and IPv6Network)
        dev.weft.flannel.rules.RulesKeeper rules = Traffic.start(o, cfg, new Lease(cfg.network(),
                cfg.enableIPv6() ? cfg.ipv6Network() : null, attrs, 0, 0));
        if (rules != null) {
            open.add(rules);
            status.rules(rules);
        }
        SubnetEnvFile.write(Path.of(o.subnetFile), SubnetEnvFile.renderForBlocks(cfg, backend.mtu(), o.ipMasq));
        LOG.info("wrote {}", o.subnetFile);
        ready = true;

        LeaseEventPump pump = new LeaseEventPump(backend);
        open.add(pump);
        NodeWatcher watcher;
        if (announcer != null && tunnel == null) {
            watcher = NodeWatcher.start(store, o.store.etcdPrefix, node, pump::accept);
            open.add(watcher);
            pump.start(watcher::view);
        } else if (announcer != null) {
            // IPIP and VXLAN: the mesh from the registrations as above, and where every block is, for the
            // userspace IPIP path or the vxlan device, through a pump of its own (coalescing, retry, health)
            LeaseEventPump blockPump = new LeaseEventPump("bgp block routes",
                    e -> announcer.blockRoutes(((LeaseEvent.Snapshot) e).leases()));
            open.add(blockPump);
            BlockRoutes routes = new BlockRoutes(node, blockPump::accept);
            watcher = NodeWatcher.start(store, o.store.etcdPrefix, node, pump::accept, routes::nodes);
            open.add(watcher);
            watchBlocks(open, store, routes, metrics);
            blockPump.start(routes::view);
            leasePipeline.alsoWatch(blockPump::healthy);
            pump.start(watcher::view);
        } else {
            BlockRoutes routes = new BlockRoutes(node, pump::accept, cfg.enableIPv6());
            watcher = NodeWatcher.start(store, o.store.etcdPrefix, node, null, routes::nodes);
            open.add(watcher);
            watchBlocks(open, store, routes, metrics);
            pump.start(routes::view);
        }
        this.nodeWatcher = watcher;
        leasePipeline.alsoWatch(watcher::healthy);
        leasePipeline.running(null, pump);
        status.running(null, null, pump);
        LOG.info("weftd is running (block IPAM, node {})", node);
        systemd.ifPresent(n -> n.send("READY=1\nSTATUS=node " + node + " on block IPAM, backend " + cfg.backendType()));
        stop.await();
        LOG.info("stopping; the data path stays in place");
        return 0;
    }

    /** Follows the IPAM tree's blocks into {@code routes}; readiness and /metrics follow the watch. */
    private void watchBlocks(List<AutoCloseable> open, KvStore store, BlockRoutes routes, BlockMetrics metrics) {
        dev.weft.flannel.blockroutes.BlockWatcher w = routes.watchBlocks(store, BlockIpam.prefixUnder(o.store.etcdPrefix));
        open.add(w);
        leasePipeline.alsoWatch(w::healthy);
        metrics.watching(w, routes);
    }

    /**
     * On block IPAM, the pods of host-gw and vxlan get IPv6 addresses routed to their node when
     * EnableIPv6 is on. Whatever would leave a pod with an IPv6 address no other node routes stops
     * weftd with the reason: the udp backend with EnableIPv6 (it carries IPv4 only, as flannel's;
     * in flannel mode it only warns that IPv6 is ignored, but here the pools would hand pods IPv6
     * addresses), IPv6 pools with EnableIPv6 off, and an IPv6-only network (EnableIPv4 false): a
     * node's registration, host-gw's next hop, vxlan's and tunl0's tunnel address and the bgp
     * router id are all IPv4, so no backend would route its pods (and an IPv4 Network left in the
     * net-conf would still hand out IPv4 addresses).
     */
    private static void refuseUnroutedIpv6(NetworkConfig cfg, Backend backend, String rawNetConf) {
        if (!cfg.enableIPv4()) {
            throw new IllegalArgumentException("block IPAM needs IPv4 (EnableIPv4 true and a Network): an IPv6-only network is not "
                    + "supported on blocks yet, the nodes register and route through their IPv4 addresses; use dual-stack "
                    + "(Network and IPv6Network with EnableIPv6)");
        }
        if (cfg.enableIPv6() && backend instanceof UdpBackend) {
            throw new IllegalArgumentException("block IPAM with the udp backend routes IPv4 blocks only (udp carries IPv4 only, as "
                    + "flannel's): its pods' IPv6 addresses would reach no other node; set EnableIPv6 false, or use vxlan or host-gw");
        }
        if (!cfg.enableIPv6()) {
            try {
                if (!PoolConfig.fromNetConf(rawNetConf).pools(dev.weft.ipam.blocks.Family.V6).isEmpty()) {
                    throw new IllegalArgumentException("block IPAM: the pools include IPv6 (IPv6Network or Pools) but EnableIPv6 is false: "
                            + "pods would get IPv6 addresses that the " + backend.type() + " backend does not route; set EnableIPv6 true"
                            + (backend instanceof UdpBackend ? " with vxlan or host-gw" : "") + ", or drop the IPv6 pools");
                }
            } catch (IpamException e) {
                // a bad IPAM object: the allocator's start says what is wrong with it
            }
        }
    }

    private static IpAddress tunnelAddress(BlockIpam ipam, String node, TunnelAddr.Kind kind) throws IOException {
        IpAddress a;
        try {
            a = ipam.tunnelAddress(node, kind);
        } catch (IpamException e) {
            throw new IOException("no tunnel address for " + kind.device() + " from block IPAM: " + e.getMessage(), e);
        }
        LOG.info("tunnel address {} (handle {})", a, kind.handle(node));
        return a;
    }

    /** Which tunnel address the backend's device takes from the pool on block IPAM, or null (host-gw, bgp with Encap None). */
    private static TunnelAddr.Kind tunnelKind(Backend backend, BlockAnnouncer announcer) {
        if (announcer != null) {
            return announcer.tunnelKind();
        }
        return switch (backend.type()) {
            case BackendTypes.VXLAN -> TunnelAddr.Kind.VXLAN;
            case BackendTypes.UDP -> TunnelAddr.Kind.UDP;
            default -> null;
        };
    }

    private void notifyStopping() {
        if (stopping.compareAndSet(false, true)) {
            systemd.ifPresent(n -> n.send("STOPPING=1"));
        }
    }

    /**
     * Everything /metrics shows: build, node, backend, lease pipeline, netlink requests, then the
     * process and JVM families.
     */
    private String metricsText() {
        Backend b = backend;
        Exposition tail = new Exposition();
        NodeRegistration r = registration;
        if (r != null) {
            r.metrics(tail);
        }
        NodeWatcher w = nodeWatcher;
        if (w != null) {
            w.metrics(tail);
        }
        BlockMetrics bm = blockMetrics;
        if (bm != null) {
            bm.write(tail);
        }
        BlockIpam ipam = blockIpam;
        if (ipam != null) {
            // which path ran weft-routed: an operator's check that a DaemonSet's weftd serves it
            tail.counter("weft_cni_thick_served_total", "weft-routed invocations weftd ran itself for the plugin's shim (thick path).",
                    ipam.thickServed());
            tail.counter("weft_cni_thick_declined_total",
                    "weft-routed invocations weftd declined; the shim's own JVM ran them (no marker, other namespace view, busy, stopping).",
                    ipam.thickDeclined());
            tail.counter("weft_cni_thick_abandoned_total",
                    "weft-routed ADDs weftd undid with the plugin's DEL because their shim never got the answer (killed, timed out,"
                            + " past weftd's deadline), or did not run because the shim was gone before their turn.",
                    ipam.thickAbandoned());
        }
        NetlinkMetrics.write(tail);
        processMetrics.write(tail);
        return BUILD_INFO + status.metricsText() + (b == null ? "" : b.metricsText()) + leasePipeline.metricsText() + tail;
    }

    /** The info-style family Prometheus joins other series with: constant for the life of the process. */
    static final String BUILD_INFO = "# HELP weft_build_info Weft's build: Maven project version and git commit.\n"
            + "# TYPE weft_build_info gauge\n"
            + "weft_build_info{version=\"" + dev.weft.build.BuildInfo.current().version() + "\",commit=\""
            + dev.weft.build.BuildInfo.current().commit() + "\"} 1\n";

    private void validate() {
        if (o.renewMarginMinutes < 1 || o.renewMarginMinutes > 1439) {
            throw new IllegalArgumentException("-subnet-lease-renew-margin must be between 1 and 1439 minutes, got " + o.renewMarginMinutes);
        }
        if (o.udpThreads < 0 || o.udpThreads > UdpSettings.MAX_DATA_PATH_THREADS) {
            throw new IllegalArgumentException("-udp-threads must be 0 (auto), 1 or 2, got " + o.udpThreads);
        }
        if (o.iptablesResync < 1) {
            throw new IllegalArgumentException("-iptables-resync must be at least 1 second");
        }
    }

    /**
     * TTL from -subnet-lease-ttl; the renew margin is flannel's minutes, shrunk to a third of the TTL
     * when the TTL is shorter than that (tests and demos use leases of seconds).
     */
    private SubnetManagerOptions managerOptions() {
        Duration ttl = GoDuration.parse(o.leaseTtl);
        Duration margin = SubnetManagerOptions.renewMarginMinutes(o.renewMarginMinutes);
        if (margin.compareTo(ttl) >= 0) {
            margin = ttl.dividedBy(3);
        }
        Duration retry = SubnetManagerOptions.DEFAULT_RETRY;
        if (retry.compareTo(margin) >= 0) {
            retry = margin.dividedBy(3);
        }
        return SubnetManagerOptions.defaults().withPrefix(o.store.etcdPrefix).withLeaseTtl(ttl, margin).withRenewRetryInterval(retry);
    }

    /** Block IPAM on weftd's etcd client when the net-conf asks for it ({@code "IPAM": {"Type": "blocks"}}), else null. */
    private BlockIpam startBlockIpam(KvStore store) throws IOException {
        String raw = o.node.rawNetConf(store, o.store.etcdPrefix);
        if (!BlockIpam.wanted(raw)) {
            return null;
        }
        if (!(store instanceof EtcdKvStore etcd)) {
            throw new IllegalArgumentException("block IPAM needs etcd; -subnet-store " + o.store.subnetStore + " has none");
        }
        // the same name as the bgp backend's (InetAddress.getLocalHost() would fail on a host name that does not resolve)
        String node = o.node.resolvedNodeName();
        try {
            return BlockIpam.start(etcd.client(), BlockIpam.prefixUnder(o.store.etcdPrefix), PoolConfig.fromNetConf(raw), node,
                    BlockIpam.Settings.defaults(Path.of(o.cniSocket), o.node.ipamJournal()));
        } catch (IpamException e) {
            throw new IOException("block IPAM: " + e.getMessage(), e);
        }
    }

    /** From -net-config-path when given, else from etcd, retried every second as flanneld does. */
    private NetworkConfig networkConfig(SubnetManager sm, CountDownLatch stop) throws IOException, InterruptedException {
        if (!o.node.netConfigPath.isEmpty()) {
            NetworkConfig fromFile = NetworkConfig.parse(Files.readString(Path.of(o.node.netConfigPath)));
            sm.useConfig(fromFile); // the leases follow the file too, not <prefix>/config
            return fromFile;
        }
        while (true) {
            try {
                return sm.getNetworkConfig();
            } catch (RuntimeException e) {
                LOG.warn("no usable network config yet ({}); retrying in 1 s", e.getMessage());
                if (stop.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
                    return null;
                }
            }
        }
    }

    private void writeSubnetEnv(NetworkConfig cfg, Lease lease, int mtu) throws IOException {
        SubnetEnvFile.write(Path.of(o.subnetFile), SubnetEnvFile.render(cfg, lease, mtu, o.ipMasq));
        LOG.info("wrote {}", o.subnetFile);
    }

    /**
     * Our lease vanished and the renewer acquired one again. The same subnet needs nothing: the
     * device, rules, routes and subnet.env already fit it. A different subnet is not applied in
     * place (pods, the bridge and the other nodes' routes all carry the old one): like flanneld when
     * its lease is lost, weftd stops, here with {@link Main#EXIT_LEASE_MOVED} and without touching
     * the kernel, and the restarted weftd takes up the new lease and reconciles everything.
     */
    private void onOwnLeaseChanged(Lease started, Lease changed) {
        if (changed.subnet().equals(started.subnet()) && java.util.Objects.equals(changed.subnetV6(), started.subnetV6())) {
            LOG.info("own lease {} acquired again: the same subnet, carrying on", changed.key());
            return;
        }
        leaseMoved = true;
        ready = false;
        LOG.error("own subnet moved from {} to {} (the lease was lost and another subnet acquired); exiting with code {} "
                + "so that the restarted weftd takes up {}; the kernel is left as it is", started.subnet(), changed.subnet(),
                Main.EXIT_LEASE_MOVED, changed.subnet());
        gracefulStop.signal();
    }
}
