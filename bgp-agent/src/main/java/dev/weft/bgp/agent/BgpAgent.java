package dev.weft.bgp.agent;

import dev.weft.bgp.config.AgentConfig;
import dev.weft.bgp.fib.FibChange;
import dev.weft.bgp.fib.FibPump;
import dev.weft.bgp.fib.FibShaper;
import dev.weft.bgp.fib.KernelFib;
import dev.weft.bgp.fsm.DownReason;
import dev.weft.bgp.fsm.Negotiated;
import dev.weft.bgp.fsm.PeerConfig;
import dev.weft.bgp.fsm.PeerId;
import dev.weft.bgp.fsm.PeerStatus;
import dev.weft.bgp.fsm.SessionListener;
import dev.weft.bgp.fsm.Sessions;
import dev.weft.bgp.fsm.SpeakerConfig;
import dev.weft.bgp.rib.Path;
import dev.weft.bgp.rib.PeerInfo;
import dev.weft.bgp.rib.PeerKey;
import dev.weft.bgp.rib.Rib;
import dev.weft.bgp.rib.RibEntry;
import dev.weft.bgp.rib.RouteChange;
import dev.weft.bgp.rib.SessionParams;
import dev.weft.bgp.status.PeerView;
import dev.weft.bgp.status.RibViews;
import dev.weft.bgp.status.RoutePage;
import dev.weft.bgp.status.SpeakerView;
import dev.weft.bgp.status.StatusServer;
import dev.weft.bgp.status.StatusSource;
import dev.weft.bgp.trace.IngestTrace;
import dev.weft.bgp.wire.CodecContext;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.RouteRefresh;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netns.Namespace;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The BGP speaker as a library: the sessions (their own I/O threads), one RIB thread that makes
 * every {@link Rib} call, and the kernel FIB, wired together. weftd embeds it; {@link Main} runs it
 * alone.
 *
 * <p>Longer than the house's usual class on purpose: it is the one place that owns the threads
 * and the state they share (peers, originated prefixes, the initial sync), and every public call
 * is a hop onto the RIB thread. The parts that are not wiring live apart: {@link FibRoutes},
 * {@link OutboundPump}, {@link InitialSync}, {@link ConfigDiff}, {@link PeerCounters},
 * {@link AdoptedRoutes}, {@link dev.weft.bgp.fib.FibPump}.
 *
 * <ul>
 *   <li><b>Inbound</b>: session events arrive on the RIB thread ({@link SessionListener}); best-path
 *   changes become {@link FibChange}s (ECMP sets as multipath routes, IPv6 link-local next hops
 *   out of the session's interface) applied to the {@link KernelFib}.</li>
 *   <li><b>Outbound</b>: an Adj-RIB-Out with something to send is drained into its session until
 *   the session says it is full, then again when it is writable: a slow peer costs a cursor, not
 *   a queue.</li>
 *   <li><b>Graceful restart, helper</b>: a peer's graceful loss keeps its routes stale for the
 *   restart time it advertised; End-of-RIB or the timer sweeps them (the RIB's generations make
 *   consecutive restarts safe, calico#1423).</li>
 *   <li><b>Graceful restart, restarting speaker</b>: the FIB adopts the routes of protocol 88 a
 *   previous run left; when there were any, our OPENs carry the R bit and the F bit for those
 *   families (with GR on), and the adopted routes no peer re-announced go only once every peer has
 *   sent End-of-RIB for each family, or after the selection deferral time (with GR on or off).</li>
 * </ul>
 *
 * <pre>{@code
 * AgentConfig c = AgentConfig.of("10.0.0.1", 64512)
 *         .withPeers(List.of(AgentConfig.Peer.of("10.0.0.2", 64512)));
 * try (BgpAgent agent = BgpAgent.start(c)) {           // the host's namespace, main table
 *     agent.originate(Cidr.parse("10.244.1.0/24"), true).join();
 *     agent.addPeer(AgentConfig.Peer.of("10.0.0.3", 64513)).join();
 *     AgentStatus s = agent.status();
 * }
 * }</pre>
 *
 * <p>Longer than the house's ~450 lines on purpose: it is the one owner of the agent's event loop,
 * RIB and FIB threads and peer table. Each public operation only hops onto the loop, and its
 * {@code ...Now} half changes that shared state; split up, the same fields would be handed to
 * several classes. The layers themselves (wire, fsm, rib, fib, status) live in their packages.
 */
public final class BgpAgent implements AutoCloseable, StatusSource {
    private static final Logger LOG = LoggerFactory.getLogger(BgpAgent.class);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final Namespace ns;
    private final boolean ownsNamespace;
    private final ScheduledThreadPoolExecutor ribThread;
    private final Rib rib;
    private final KernelFib fib;
    /** Applies best-path changes to {@link #fib} on its own thread; null when fib is. */
    private final FibPump fibPump;
    private final Sessions sessions;
    private final OutboundPump pump;
    private final boolean restarted;
    private final boolean adopted;
    private final int restartTime;
    private final boolean grEnabled;
    private final StatusServer statusServer;
    private final FibShaper shaper;

    // Everything below is touched on the RIB thread only.
    private final Map<PeerKey, PeerState> peers = new HashMap<>();
    private final Map<Cidr, Boolean> originated = new HashMap<>();
    private InitialSync initialSync;
    /**
     * A restarting speaker's own UPDATEs wait for the End-of-RIB of every start-time peer that has
     * graceful restart and is not restarting itself (RFC 4724 §4.1; two nodes restarted together
     * would otherwise wait for each other), or the selection deferral time.
     */
    private InitialSync updateDeferral;
    private volatile AgentConfig config;
    private volatile boolean closed;

    /** A configured peer and, while Established, what its session agreed. */
    private static final class PeerState {
        AgentConfig.Peer config;
        Negotiated negotiated;
        int ifindex;
        final PeerCounters counters = new PeerCounters();

        PeerState(AgentConfig.Peer config) {
            this.config = config;
        }
    }

    private BgpAgent(AgentConfig config, Namespace ns, boolean ownsNamespace, FibShaper shaper, boolean morePeersFollow) {
        this.config = config;
        this.shaper = shaper;
        this.ns = ns;
        this.ownsNamespace = ownsNamespace;
        this.grEnabled = config.gracefulRestart().enabled();
        this.restartTime = config.gracefulRestart().restartTime();
        this.ribThread = new ScheduledThreadPoolExecutor(1, new DefaultThreadFactory("bgp-rib", true));
        this.ribThread.setRemoveOnCancelPolicy(true);
        this.rib = new Rib(config.ribConfig());
        KernelFib f = null;
        FibPump fp = null;
        Sessions s = null;
        StatusServer st = null;
        warmUp(config);
        try {
            Set<Family> preserved = EnumSet.noneOf(Family.class);
            if (config.fib().install()) {
                f = KernelFib.start(ns, config.fib().table(), KernelFib.DEFAULT_RESYNC, shaper.blackholeMetric());
                preserved.addAll(AdoptedRoutes.families(ns, config.fib().table()));
            }
            this.fib = f;
            fp = f == null ? null : FibPump.start(f);
            this.fibPump = fp;
            // Adopted routes wait for the peers' tables with or without GR; only with GR do we
            // tell peers (R and F bits) that we restarted with forwarding state kept.
            this.adopted = !preserved.isEmpty();
            this.restarted = grEnabled && adopted;
            rib.addListener(this::bestPathsChanged);
            SpeakerConfig speaker = SpeakerConfig.of(config.routerIdAddress(), config.localAs())
                    .withListen(config.listen().ip(), config.listen().port())
                    .withRestartState(restarted, restarted ? preserved : Set.of());
            s = Sessions.open(speaker, ns, new Listener(), ribThread); // listens once the peers are in
            this.sessions = s;
            this.pump = new OutboundPump(rib, s, ribThread);
            rib.addOutboundListener(pump::pending);
            st = config.status().enabled() ? startStatus(config.status()) : null;
            this.statusServer = st;
            call(() -> {
                for (AgentConfig.Originate o : config.originate()) {
                    originateNow(o.cidr(), o.blackhole());
                }
                for (AgentConfig.Peer p : config.peers()) {
                    addPeerNow(p);
                }
                initialSync = new InitialSync(adopted, peers.keySet(), !morePeersFollow,
                        config.gracefulRestart().selectionDeferral(), ribThread, this::initialSyncDone);
                if (restarted) {
                    pump.hold();
                }
                updateDeferral = new InitialSync(restarted, peers.keySet(), !morePeersFollow,
                        config.gracefulRestart().selectionDeferral(),
                        ribThread, why -> {
                            if (restarted) {
                                LOG.info("bgp agent: restarted: sending our routes now ({})", why);
                            }
                            pump.release();
                        });
                return null;
            });
            // Only now: a configured peer connecting earlier would have been refused as a stranger.
            s.listen();
        } catch (RuntimeException e) {
            if (st != null) {
                st.close();
            }
            if (s != null) {
                s.close();
            }
            ribThread.shutdownNow();
            if (fp != null) {
                fp.close();
            }
            if (f != null) {
                f.close();
            }
            if (ownsNamespace) {
                ns.close();
            }
            throw e;
        }
        LOG.info("bgp agent: router id {}, AS {}, {} peers, listening on {}{}", config.routerId(), config.localAs(),
                config.peers().size(), sessions.listenAddress(),
                adopted ? "; restarted with routes of the previous run kept in the kernel" + (restarted ? " (R bit set)" : "") : "");
    }

    /**
     * Runs the route path once on throwaway objects before any session can come up (see
     * {@link WarmUp}). A failure there is a bug in that path, which the real routes would meet
     * too; it is reported and the speaker starts as it would have without the warm-up.
     */
    private static void warmUp(AgentConfig config) {
        try {
            WarmUp.Result r = WarmUp.run(config.ribConfig(), config.fib().table());
            LOG.debug("bgp agent: route path warmed in {} ms ({} prefixes decoded, {} installs and {} removes encoded, never sent)",
                    r.nanos() / 1_000_000, r.prefixes(), r.installs(), r.removes());
        } catch (RuntimeException e) {
            LOG.warn("bgp agent: start-up warm-up of the route path failed (the speaker starts anyway): {}", e.toString(), e);
        }
    }

    /** Starts in the namespace the config names ({@code fib.namespace}), the host's by default. */
    public static BgpAgent start(AgentConfig config) {
        String path = config.fib().namespace();
        if (path == null) {
            return new BgpAgent(config, Namespace.host(), false, FibShaper.AS_LEARNED, false);
        }
        return new BgpAgent(config, Namespace.open(path), true, FibShaper.AS_LEARNED, false);
    }

    /** Starts in {@code ns} (sessions and FIB both), which the caller keeps open until {@link #close}. */
    public static BgpAgent start(AgentConfig config, Namespace ns) {
        return start(config, ns, FibShaper.AS_LEARNED);
    }

    /**
     * Starts in {@code ns} with learned routes shaped by {@code shaper} (device, onlink, or left
     * out) and blackholes at its metric: how weftd's bgp backend installs Calico's route shapes.
     */
    public static BgpAgent start(AgentConfig config, Namespace ns, FibShaper shaper) {
        return start(config, ns, shaper, false);
    }

    /**
     * As {@link #start(AgentConfig, Namespace, FibShaper)}; with {@code morePeersFollow} the peers
     * added until {@link #startPeersAdded()} count as start-time peers: a restart keeps its adopted
     * routes (and, as restarting speaker, its UPDATEs) until they have sent End-of-RIB too, or the
     * selection deferral time. weftd's mesh is such a set: it comes with the first lease snapshot,
     * after the agent started; without this the adopted routes went at once (calico#1423 loss).
     */
    public static BgpAgent start(AgentConfig config, Namespace ns, FibShaper shaper, boolean morePeersFollow) {
        return new BgpAgent(config, ns, false, java.util.Objects.requireNonNull(shaper, "shaper"), morePeersFollow);
    }

    /** The embedder has added every peer it knew at start (see {@link #start(AgentConfig, Namespace, FibShaper, boolean)}). */
    public CompletableFuture<Void> startPeersAdded() {
        return submit(() -> {
            initialSync.seal();
            updateDeferral.seal();
        });
    }

    // ----------------------------------------------------------------------------- embedder API

    /**
     * Announces {@code prefix} to every peer; with {@code blackhole} also installs {@code blackhole
     * prefix} locally (Calico's route for its own blocks). Again with other arguments replaces it.
     * Completes once the kernel has what it changed.
     */
    public CompletableFuture<Void> originate(Cidr prefix, boolean blackhole) {
        return inKernel(submit(() -> originateNow(prefix.network(), blackhole)));
    }

    /** Stops announcing {@code prefix} (and removes its blackhole); completes once the kernel has it. */
    public CompletableFuture<Void> withdraw(Cidr prefix) {
        return inKernel(submit(() -> {
            Cidr p = prefix.network();
            if (originated.remove(p) != null) {
                rib.withdrawOriginated(p);
            }
        }));
    }

    /** {@code done}, then whatever it queued for the FIB applied. */
    private CompletableFuture<Void> inKernel(CompletableFuture<Void> done) {
        return fibPump == null ? done : done.thenCompose(v -> fibPump.afterPending(() -> null));
    }

    /** Starts a session with a new peer; the others are not touched. */
    public CompletableFuture<Void> addPeer(AgentConfig.Peer peer) {
        return submit(() -> {
            if (peers.containsKey(new PeerKey(peer.ip()))) {
                throw new IllegalArgumentException("peer " + peer.address() + " is already configured");
            }
            addPeerNow(peer);
        });
    }

    /** Ends the session with Cease/3 and withdraws the peer's routes. */
    public CompletableFuture<Void> removePeer(IpAddress address) {
        return submit(() -> removePeerNow(new PeerKey(address.unmap())));
    }

    /** Replaces a peer's settings: a changed peer's session restarts, an unchanged one is left alone. */
    public CompletableFuture<Void> updatePeer(AgentConfig.Peer peer) {
        return submit(() -> {
            PeerState st = peers.get(new PeerKey(peer.ip()));
            if (st != null && st.config.equals(peer)) {
                return;
            }
            if (st != null) {
                removePeerNow(new PeerKey(peer.ip()));
            }
            addPeerNow(peer);
        });
    }

    /**
     * Applies a new config's peers and originated prefixes: only added, removed and changed peers
     * are touched. Settings that need a restart (router id, AS, listen, FIB, GR, RR) are reported
     * and otherwise ignored. Returns a summary for the log.
     */
    public CompletableFuture<String> reconfigure(AgentConfig next) {
        CompletableFuture<String> done = new CompletableFuture<>();
        ribThread.execute(() -> {
            try {
                done.complete(reconfigureNow(next));
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    /** Cease/4 and a new session with the peer. */
    public void resetPeer(IpAddress address) {
        sessions.resetPeer(new PeerId(address));
    }

    public AgentConfig config() {
        return config;
    }

    public java.net.InetSocketAddress listenAddress() {
        return sessions.listenAddress();
    }

    /** Whether this start found routes of a previous run in the kernel (and so advertises R and F bits). */
    public boolean restarted() {
        return restarted;
    }

    public AgentStatus status() {
        return call(() -> new AgentStatus(sessions.status(), rib.prefixCount(Family.IPV4_UNICAST),
                rib.prefixCount(Family.IPV6_UNICAST), fib == null ? null : fib.status(), restarted, initialSync.finished()));
    }

    /** The Loc-RIB of a family, sorted by prefix (for status and {@code weftctl bgp routes}). */
    public List<RibEntry> routes(Family family) {
        return call(() -> rib.dump(family));
    }

    // ----------------------------------------------------------------------------- StatusSource

    @Override
    public CompletionStage<SpeakerView> speaker() {
        return supply(() -> new SpeakerView(config.routerId(), config.localAs(), Main.VERSION,
                Map.of(Family.IPV4_UNICAST, (long) rib.prefixCount(Family.IPV4_UNICAST),
                        Family.IPV6_UNICAST, (long) rib.prefixCount(Family.IPV6_UNICAST)),
                fib == null ? 0 : fib.status().installed()));
    }

    @Override
    public CompletionStage<List<PeerView>> peers() {
        return supply(() -> {
            List<PeerView> out = new ArrayList<>();
            for (PeerStatus s : sessions.status()) {
                PeerKey key = new PeerKey(s.peer().address());
                PeerState st = peers.get(key);
                if (st != null) {
                    out.add(st.counters.view(st.config.address(), st.config.as(), config.localAs(), st.config.rrClient(), s,
                            rib.adjRibIn(key), rib.outbound(key)));
                }
            }
            return out;
        });
    }

    @Override
    public CompletionStage<RoutePage> routes(Family family, Cidr after, int limit) {
        return supply(() -> RibViews.page(rib.dump(family), after, limit, Path::learnedAtMillis));
    }

    private <T> CompletableFuture<T> supply(java.util.function.Supplier<T> s) {
        return CompletableFuture.supplyAsync(s, ribThread);
    }

    private StatusServer startStatus(AgentConfig.Status s) {
        List<StatusServer.Listener> ls = new ArrayList<>();
        if (s.socket() != null) {
            ls.add(StatusServer.Listener.unix(java.nio.file.Path.of(s.socket())));
        }
        if (s.port() != null) {
            ls.add(StatusServer.Listener.tcp(s.address(), s.port(), StatusServer.Exposure.METRICS_ONLY));
        }
        try {
            return new StatusServer(this, ls, StatusServer.Limits.DEFAULT, java.time.Clock.systemUTC());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Cease/2 to every peer. With graceful restart the kernel routes stay for the next start to adopt; without, they go. */
    @Override
    public void close() {
        shutdown(false);
    }

    /**
     * Stops for a restart: with graceful restart on, the sessions close without a NOTIFICATION, so
     * peers keep this node's routes stale until it is back and sends End-of-RIB (RFC 4724), and the
     * kernel routes stay for the next start to adopt. Without graceful restart, as {@link #close}.
     */
    public void closeForRestart() {
        shutdown(grEnabled);
    }

    private void shutdown(boolean forRestart) {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (statusServer != null) {
                statusServer.close();
            }
            sessions.close(forRestart);
        } finally {
            ribThread.shutdown();
            try {
                ribThread.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ribThread.shutdownNow();
            if (fib != null) {
                fibPump.close(); // the backlog reaches the kernel before the routes stay or go
                if (!grEnabled) {
                    fib.clear();
                }
                fib.close();
            }
            if (ownsNamespace) {
                ns.close();
            }
        }
    }

    // ----------------------------------------------------------------------------- RIB thread

    private void originateNow(Cidr prefix, boolean blackhole) {
        Boolean before = originated.put(prefix, blackhole);
        if (before == null) {
            rib.originate(prefix, List.of());
        } else if (before != blackhole && fib != null) {
            // The path is unchanged, so no best-path change tells the FIB: tell it here.
            List<RouteChange> now = List.of(new RouteChange(family(prefix), prefix, rib.selected(prefix)));
            bestPathsChanged(now);
        }
    }

    private void addPeerNow(AgentConfig.Peer p) {
        PeerKey key = new PeerKey(p.ip());
        peers.put(key, new PeerState(p));
        if (initialSync != null) {
            initialSync.added(key);
            updateDeferral.added(key);
        }
        sessions.addPeer(peerConfig(p));
    }

    private void removePeerNow(PeerKey key) {
        if (peers.remove(key) == null) {
            return;
        }
        sessions.removePeer(new PeerId(key.address()));
        // The session's down event may come later or not at all (never Established): withdraw now.
        rib.peerDown(key, false, Duration.ZERO);
        initialSync.removed(key);
        updateDeferral.removed(key);
    }

    private String reconfigureNow(AgentConfig next) {
        AgentConfig prev = config;
        Map<PeerKey, AgentConfig.Peer> current = new HashMap<>();
        peers.forEach((k, st) -> current.put(k, st.config));
        ConfigDiff d = ConfigDiff.between(prev, current, originated.keySet(), next);
        d.removed().forEach(this::removePeerNow);
        for (AgentConfig.Peer p : d.changed()) {
            removePeerNow(new PeerKey(p.ip()));
            addPeerNow(p);
        }
        d.added().forEach(this::addPeerNow);
        for (Cidr c : d.withdrawn()) {
            originated.remove(c);
            rib.withdrawOriginated(c);
        }
        d.originate().forEach(this::originateNow);
        config = new AgentConfig(prev.routerId(), prev.localAs(), prev.listen(), prev.gracefulRestart(), prev.ecmp(),
                prev.clusterId(), prev.localPref(), next.originate(), prev.fib(), next.peers(), prev.status());
        return d.summary();
    }

    /** Adopted routes no peer re-announced go now (see {@link InitialSync}). */
    private void initialSyncDone(String why) {
        if (fib != null) {
            // after the queued re-announcements: an adopted route still waiting for its install
            // must not be swept as one nobody announced
            fibPump.afterPending(fib::initialSyncDone).thenAccept(removed -> {
                if (adopted) {
                    LOG.info("bgp agent: initial sync done ({}): {} adopted routes no peer re-announced were removed", why, removed);
                }
            });
        }
    }

    /** The RIB thread's: see {@link FibRoutes.LastHop}. */
    private final FibRoutes.LastHop lastHop = new FibRoutes.LastHop();

    private void bestPathsChanged(List<RouteChange> changes) {
        if (fib == null) {
            return;
        }
        List<FibChange> out = FibRoutes.all(changes, originated, this::ifindexOf, shaper, lastHop);
        if (IngestTrace.ON) {
            IngestTrace.record(IngestTrace.Event.FIB_SUBMIT, 0, out.size());
        }
        fibPump.submit(out);
    }

    private int ifindexOf(PeerKey key) {
        PeerState st = peers.get(key);
        return st == null ? 0 : st.ifindex;
    }

    private boolean grFor(AgentConfig.Peer p) {
        return p.gracefulRestart() == null ? grEnabled : p.gracefulRestart();
    }

    private PeerConfig peerConfig(AgentConfig.Peer p) {
        PeerConfig c = PeerConfig.of(p.ip(), p.as())
                .withPassive(p.passive())
                .withPassword(p.password())
                .withTimers(p.holdTime(), p.keepalive(), p.connectRetryDuration())
                .withTtlSecurity(p.ttlSecurity())
                .withFamilies(p.familySet(), Map.of())
                .withGracefulRestart(grFor(p) ? restartTime : -1)
                .withRouteReflectorClient(p.rrClient());
        return p.localAddress() == null ? c : c.withLocalAddress(IpAddress.parse(p.localAddress()));
    }

    private final class Listener implements SessionListener {
        @Override
        public void established(PeerId id, Negotiated n, IpAddress localAddress) {
            PeerKey key = new PeerKey(id.address());
            PeerState st = peers.get(key);
            if (st == null) {
                return; // removed meanwhile
            }
            st.negotiated = n;
            st.counters.up();
            st.ifindex = AdoptedRoutes.ifindexOf(ns, localAddress);
            Set<Family> preserved = EnumSet.noneOf(Family.class);
            n.gracefulRestart().ifPresent(gr -> gr.forwardingPreserved().forEach((f, kept) -> {
                if (kept) {
                    preserved.add(f);
                }
            }));
            Family local = localAddress.isV4() ? Family.IPV4_UNICAST : Family.IPV6_UNICAST;
            SessionParams params = new SessionParams(n.families(), n.addPathSend(),
                    n.extendedMessage() ? CodecContext.MAX_EXTENDED_MESSAGE : CodecContext.MAX_MESSAGE, preserved,
                    Map.of(local, localAddress));
            if (IngestTrace.ON) {
                IngestTrace.record(IngestTrace.Event.RIB_UP_START, IngestTrace.peer(key.address()), 0);
            }
            rib.peerUp(new PeerInfo(key, n.peerAs(), config.localAs(),
                    n.peerRouterId(), st.config.rrClient()), params);
            if (IngestTrace.ON) {
                IngestTrace.record(IngestTrace.Event.RIB_UP_END, IngestTrace.peer(key.address()), 0);
            }
            initialSync.established(key, n.families());
            // only a peer that can help (GR) and is not restarting itself owes us End-of-RIB first
            boolean owes = n.gracefulRestart().map(gr -> !gr.restarting()).orElse(false);
            updateDeferral.established(key, owes ? n.families() : Set.of());
        }

        @Override
        public void update(PeerId id, Update u) {
            PeerKey key = new PeerKey(id.address());
            PeerState st = peers.get(key);
            if (st == null) {
                return;
            }
            int traced = IngestTrace.ON ? u.announced().size() + u.allWithdrawn().size() : 0;
            if (IngestTrace.ON) {
                IngestTrace.record(IngestTrace.Event.RIB_APPLY_START, IngestTrace.peer(key.address()), traced);
            }
            rib.apply(key, u);
            if (IngestTrace.ON) {
                IngestTrace.record(IngestTrace.Event.RIB_APPLY_END, IngestTrace.peer(key.address()), traced);
            }
            u.endOfRibFamily().ifPresent(f -> {
                if (IngestTrace.ON) {
                    IngestTrace.record(IngestTrace.Event.RIB_EOR, IngestTrace.peer(key.address()), 0);
                }
                initialSync.endOfRib(key, f);
                updateDeferral.endOfRib(key, f);
            });
        }

        @Override
        public void routeRefresh(PeerId id, RouteRefresh r) {
            Family.of(r.afi(), r.safi()).ifPresent(f -> rib.routeRefresh(new PeerKey(id.address()), f));
        }

        @Override
        public void down(PeerId id, DownReason reason) {
            if (closed) {
                return; // our own shutdown: the kernel keeps the routes (GR) or close() clears them
            }
            PeerKey key = new PeerKey(id.address());
            PeerState st = peers.get(key);
            int peerRestart = 0;
            if (st != null) {
                st.counters.down(reason);
            }
            if (st != null && st.negotiated != null) {
                peerRestart = st.negotiated.gracefulRestart().map(Negotiated.PeerRestart::restartTime).orElse(0);
                st.negotiated = null;
            }
            Duration keep = Duration.ofSeconds(peerRestart);
            rib.peerDown(key, reason.graceful() && st != null, keep).ifPresent(t ->
                    ribThread.schedule(() -> rib.sweepStale(t), keep.toMillis(), TimeUnit.MILLISECONDS));
        }

        @Override
        public void writable(PeerId id) {
            pump.drain(new PeerKey(id.address()));
        }
    }

    // ----------------------------------------------------------------------------- plumbing

    private CompletableFuture<Void> submit(Runnable task) {
        return RibThread.submit(ribThread, task);
    }

    /** Runs {@code task} on the RIB thread and waits for it. */
    private <T> T call(Callable<T> task) {
        return RibThread.call(ribThread, task, CALL_TIMEOUT);
    }

    static Family family(Cidr prefix) {
        return prefix.isV6() ? Family.IPV6_UNICAST : Family.IPV4_UNICAST;
    }

    @Override
    public String toString() {
        return "BgpAgent[" + config.routerId() + " AS" + config.localAs() + " in " + Objects.toString(ns) + "]";
    }
}
