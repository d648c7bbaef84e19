package dev.weft.flannel.ipam;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.cni.thick.ThickService;
import dev.weft.flannel.lease.TunnelAddr;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.socket.IpamRequest;
import dev.weft.ipam.socket.IpamResponse;
import dev.weft.ipam.socket.IpamTransport;
import dev.weft.ipam.blocks.BlockAllocator;
import dev.weft.ipam.blocks.Family;
import dev.weft.ipam.blocks.PoolConfig;
import io.etcd.jetcd.Client;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Block IPAM inside weftd: the allocator on weftd's etcd client, its reserve and journal, and the CNI socket. */
public final class BlockIpam implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlockIpam.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param socket       the CNI socket ({@code /run/weft/cni.sock})
     * @param journal      the offline journal ({@code /var/lib/weft/ipam-journal})
     * @param reserve      addresses per family kept for etcd outages
     * @param tickInterval how often the reserve is topped up, borrowed addresses checked and, while offline, etcd tried
     * @param goneNodeGrace how long a node must stay unregistered before its empty blocks are released
     *                      ({@link #releaseGoneNodes}); checked every quarter of it
     * @param nodeNetns    where the node's network is when it is not weftd's own namespace (tests and
     *                      benchmarks, which play a node in a wt- namespace), else null: the namespace in
     *                      which weftd runs weft-routed for its thick shim ({@link ThickService})
     * @param thickDeadline how long weftd runs a thick invocation before a successful ADD is undone
     *                      ({@link ThickService#DEADLINE}; shorter only in tests)
     */
    public record Settings(Path socket, Path journal, int reserve, long tickInterval, BlockAllocator.Options etcd,
                           Duration goneNodeGrace, String nodeNetns, Duration thickDeadline) {
        public static final int DEFAULT_RESERVE = 8;
        public static final Duration DEFAULT_GONE_NODE_GRACE = Duration.ofMinutes(5);

        public Settings(Path socket, Path journal, int reserve, long tickInterval, BlockAllocator.Options etcd, Duration goneNodeGrace) {
            this(socket, journal, reserve, tickInterval, etcd, goneNodeGrace, null, ThickService.DEADLINE);
        }

        /** These settings with the node's network in {@code netns} (a path) instead of weftd's own namespace. */
        public Settings inNodeNetns(String netns) {
            return new Settings(socket, journal, reserve, tickInterval, etcd, goneNodeGrace, netns, thickDeadline);
        }

        /** These settings with another deadline for thick invocations (tests). */
        public Settings withThickDeadline(Duration d) {
            return new Settings(socket, journal, reserve, tickInterval, etcd, goneNodeGrace, nodeNetns, d);
        }

        public static Settings defaults(Path socket, Path journal) {
            return new Settings(socket, journal, DEFAULT_RESERVE, 1000, BlockAllocator.Options.defaults(), DEFAULT_GONE_NODE_GRACE);
        }
    }

    private final NodeIpam ipam;
    private final CniSocketServer server;
    private final ThickService thick;
    private final ScheduledExecutorService upkeep;
    private final Settings settings;

    private BlockIpam(NodeIpam ipam, CniSocketServer server, ThickService thick, ScheduledExecutorService upkeep, Settings settings) {
        this.ipam = ipam;
        this.server = server;
        this.thick = thick;
        this.upkeep = upkeep;
        this.settings = settings;
    }

    /** Where block IPAM's keys live under weftd's {@code -etcd-prefix}: Calico's layout below {@code <prefix>/ipam/v2}. */
    public static String prefixUnder(String etcdPrefix) {
        return etcdPrefix + "/ipam/v2";
    }

    /**
     * The pod handles the journal at {@code journal} holds for etcd: addresses handed out while etcd
     * was away whose hand-over weftd has not replayed yet (empty when there is no journal).
     */
    public static Set<String> journaledPods(Path journal) throws IOException {
        return OfflineJournal.load(journal).pendingPods();
    }

    /** Whether {@code handle} is weftd's own reservation ({@code weftd-reserve.<node>.<n>}), never a pod's. */
    public static boolean isReservation(String handle) {
        return handle.startsWith(NodeIpam.RESERVE_PREFIX);
    }

    /**
     * Whether {@code handle} is weftd's own business rather than a pod's: its reservation, or the
     * node's tunnel address ({@link dev.weft.flannel.lease.TunnelAddr}). {@code weftctl ipam check}
     * does not call those orphans.
     */
    public static boolean isWeftdOwn(String handle) {
        return isReservation(handle) || dev.weft.flannel.lease.TunnelAddr.isHandle(handle);
    }

    /**
     * The node's tunnel address of a kind (vxlan, or bgp with IPIP, on block IPAM): the address its
     * handle holds, else a new one from the node's blocks (claiming or borrowing as a pod ADD would),
     * recorded with Calico's {@code type} attribute ({@code vxlanTunnelAddress},
     * {@code ipipTunnelAddress}, ...). IPv6 for {@link TunnelAddr.Kind#VXLAN_V6}, else IPv4. A
     * restarted weftd gets the same address back.
     */
    public dev.weft.net.IpAddress tunnelAddress(String node, TunnelAddr.Kind kind) throws IpamException {
        return ipam.allocator().allocate(kind.handle(node), new dev.weft.ipam.blocks.Attributes(java.util.Map.of("type",
                kind.attributeType())), kind == TunnelAddr.Kind.VXLAN_V6 ? Family.V6 : Family.V4).address();
    }

    /**
     * Gives back the tunnel addresses this node holds for devices its backend no longer has (a node
     * moved from udp or Encap IPIP to vxlan keeps one pool address per kind otherwise, and a block
     * holding one is never released as a gone node's; so does a vxlan node whose IPv6 was switched
     * off). {@code keep} are the kinds in use.
     * A failure is logged: the address stays held, as before, and the next start tries again.
     */
    public void releaseOtherTunnelAddresses(String node, java.util.Set<TunnelAddr.Kind> keep) {
        for (TunnelAddr.Kind k : TunnelAddr.Kind.values()) {
            if (keep.contains(k)) {
                continue;
            }
            try {
                if (ipam.allocator().release(k.handle(node))) {
                    LOG.info("released this node's tunnel address of {} (handle {}): the backend has no such device now",
                            k.device(), k.handle(node));
                }
            } catch (IpamException e) {
                LOG.warn("cannot release the tunnel address handle {}: {}", k.handle(node), e.getMessage());
            }
        }
    }

    /**
     * True when the net-conf has an {@code "IPAM"} object, the only way to ask for block IPAM
     * ({@code "IPAM": {"Type": "blocks"}}). A mistake inside it (an overlapping pool, a block size out
     * of range, another Type) is then {@link PoolConfig#fromNetConf}'s clear error when weftd starts,
     * never a quiet start without block IPAM.
     */
    public static boolean wanted(String netConfJson) {
        if (netConfJson.length() > PoolConfig.MAX_NET_CONF_CHARS) {
            return true; // refused by fromNetConf with its length error
        }
        try {
            JsonNode root = JSON.readTree(netConfJson);
            return root != null && root.hasNonNull("IPAM");
        } catch (JsonProcessingException e) {
            return false; // not JSON: the network config's own parser says so
        }
    }

    /**
     * Opens the allocator of {@code node} under {@code prefix}, settles the journal, fills the
     * reserve and starts serving the socket.
     */
    public static BlockIpam start(Client etcd, String prefix, PoolConfig pools, String node, Settings s)
            throws IpamException, IOException {
        BlockAllocator allocator = BlockAllocator.open(etcd, prefix, pools, node, s.etcd());
        List<Family> families = new ArrayList<>();
        for (Family f : Family.values()) {
            if (!pools.pools(f).isEmpty()) {
                families.add(f);
            }
        }
        NodeIpam ipam = new NodeIpam(allocator, families, OfflineJournal.load(s.journal()), s.reserve());
        ipam.start();
        // weft-routed's thick shim: weftd runs the plugin, and weft-ipam calls the allocator directly
        ThickService thick = new ThickService(s.socket(), s.nodeNetns(), new DirectIpam(ipam), s.thickDeadline(), LOG::warn);
        CniSocketServer server;
        try {
            server = CniSocketServer.start(s.socket(), ipam::handle, new CniSocketServer.ExecHandler() {
                @Override
                public void serve(JsonNode request, dev.weft.cni.thick.Caller caller) {
                    thick.serve(request, caller);
                }

                @Override
                public byte[] refuseWhileStopping(JsonNode request, String why) {
                    return thick.refuseWhileStopping(request, why);
                }
            });
        } catch (IOException | RuntimeException e) {
            thick.close();
            throw e;
        }
        try {
            if (!thick.advertise()) {
                LOG.info("weft-routed runs in the plugin's own JVM: weftd cannot enter pod namespaces (no CAP_SYS_ADMIN)");
            }
        } catch (IOException e) {
            LOG.warn("weft-routed runs in the plugin's own JVM: could not write {}: {}", ThickService.marker(s.socket()), e.toString());
        }
        ScheduledExecutorService upkeep = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "weftd-ipam-upkeep");
            t.setDaemon(true);
            return t;
        });
        upkeep.scheduleWithFixedDelay(ipam::tick, s.tickInterval(), s.tickInterval(), TimeUnit.MILLISECONDS);
        LOG.info("block IPAM for node {} under {}: blocks {}, {} address(es) per family in reserve", node, prefix,
                allocator.affineBlocks(), s.reserve());
        return new BlockIpam(ipam, server, thick, upkeep, s);
    }

    /**
     * From now on, releases the empty blocks of nodes whose registration ({@code <registrations><name>})
     * has been absent for the grace period ({@link GoneNodeSweep}). Only for a node that registers
     * itself there: where nodes hold subnet leases instead, every other node would look gone.
     */
    public void releaseGoneNodes(String registrations) {
        GoneNodeSweep sweep = new GoneNodeSweep(ipam.allocator(), registrations, settings.goneNodeGrace(), System::nanoTime);
        long every = Math.max(100, settings.goneNodeGrace().toMillis() / 4);
        upkeep.scheduleWithFixedDelay(() -> {
            if (!ipam.online()) {
                return; // the tick finds out when etcd is back
            }
            try {
                sweep.run();
            } catch (IpamException | RuntimeException e) {
                LOG.warn("releasing the blocks of gone nodes: {}", e.getMessage()); // the next pass tries again
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    NodeIpam ipam() {
        return ipam;
    }

    /** How many thick-plugin invocations weftd ran itself, and how many it declined (the shim ran them). */
    public long thickServed() {
        return thick.served();
    }

    public long thickDeclined() {
        return thick.declined();
    }

    /** Successful thick ADDs weftd undid because their shim never got the answer (and those it did not run for that). */
    public long thickAbandoned() {
        return thick.abandoned();
    }

    /** Thick invocations waiting now for an earlier one of the same container. */
    public int thickWaiting() {
        return thick.waiting();
    }

    /** Test only: {@code hook} runs in weftd right before weft-routed does, with the invocation's CNI env. */
    public void beforeThickRunForTest(java.util.function.Consumer<java.util.Map<String, String>> hook) {
        thick.beforeRunForTest(hook);
    }

    /** The allocator as weft-ipam's transport inside weftd: the socket's handler, without the socket. */
    private record DirectIpam(NodeIpam ipam) implements IpamTransport {
        @Override
        public IpamResponse call(IpamRequest r) {
            try {
                return ipam.handle(r);
            } catch (RuntimeException e) {
                LOG.warn("block IPAM: {} failed", r, e);
                return IpamResponse.error(new IpamException(dev.weft.ipam.CniErrorCodes.INTERNAL, "weftd failed: " + e));
            }
        }
    }

    /**
     * Tells {@code listener} what the node announces (its confirmed blocks, its borrowed addresses)
     * now and after every change; it is called under the allocator's lock and must only hand the
     * value on.
     */
    public void onAnnouncementChange(java.util.function.Consumer<dev.weft.ipam.blocks.Announcement> listener) {
        ipam.allocator().onAnnouncementChange(listener);
    }

    public Path socket() {
        return server.path();
    }

    /** Whether {@link #drain} has begun. */
    public boolean stopping() {
        return server.refusing();
    }

    /**
     * weftd's graceful stop: the CNI socket refuses new requests with CNI code 11 (try again later)
     * and a message that weftd is stopping, the requests already taken finish, and so does a reserve
     * refill the upkeep is writing (nothing is cut off mid-write to etcd). What was done, in words.
     */
    public String drain(java.time.Duration timeout) throws InterruptedException {
        IpamException stopping = new IpamException(dev.weft.ipam.CniErrorCodes.TRY_AGAIN_LATER,
                "weftd is stopping; try again once it is back");
        long deadline = System.nanoTime() + timeout.toNanos();
        upkeep.shutdown();
        try {
            int finished = server.drain(stopping, timeout);
            if (!upkeep.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return "CNI socket refuses new requests (code 11); " + finished + " in-flight request(s) finished, reserve upkeep still running";
            }
            return "CNI socket refuses new requests (code 11); " + finished + " in-flight request(s) finished";
        } catch (java.util.concurrent.TimeoutException e) {
            return "CNI socket refuses new requests (code 11); " + e.getMessage();
        }
    }

    @Override
    public void close() throws IOException {
        upkeep.shutdownNow();
        try {
            server.close();
        } finally {
            thick.close();
        }
    }
}
