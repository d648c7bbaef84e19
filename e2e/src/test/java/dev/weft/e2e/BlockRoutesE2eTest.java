package dev.weft.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.NeighInfo;
import dev.weft.testkit.PromExposition;
import dev.weft.testkit.RouteInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * host-gw and vxlan on block IPAM (issue 15): the nodes lease no subnet; each routes the other
 * node's blocks as it would route its subnet. Blocks are /29 (8 addresses), so weftd's reserve of
 * eight fills a node's first block and its pods (and vxlan's tunnel address) come from a second:
 * every node has two blocks, which both lead to the node (host-gw: two routes via it; vxlan: two
 * on-link routes via its one tunnel address, which share one neighbour and one FDB entry). One
 * cluster serves them all: udp first (its TUN takes a tunnel address from the pool, its table
 * maps the blocks), then the net-conf switches to host-gw and every weftd restarts, then to vxlan
 * (which also proves the switch leaves no host-gw route behind), then to the bgp backend with
 * Encap IPIP, whose tunl0 also takes a tunnel address from the pool, then with Encap VXLAN (its
 * CrossSubnet is BgpVxlanBlocksKernelTest's: it needs a router between nodes). Bad input (a corrupt
 * registration, blocks affine to a node that is not registered) changes nothing in the kernel; an
 * address in such a block allocated for a registered node (borrowed, written into etcd as the
 * allocator writes it: provoking a real borrow would take a dozen pod ADDs) is a /32 to that node.
 */
@KernelTest
class BlockRoutesE2eTest {
    static final String NETWORK = "10.244.0.0/26";
    static final String IPAM = "{\"Type\":\"blocks\",\"BlockSize\":29,\"StrictAffinity\":false}";
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int METRICS_PORT = 9101;

    @Test
    void udpThenHostGwThenVxlanThenBgpIpipThenBgpVxlanRouteEachRemoteBlockToItsNode() {
        SimCluster.Options o = SimCluster.Options.calico(2, NETWORK, "{\"Type\":\"udp\"}", IPAM);
        List<String> args = new ArrayList<>(o.extraArgs());
        args.addAll(List.of("-healthz-port", String.valueOf(METRICS_PORT)));
        lapStart = System.nanoTime();
        try (SimCluster c = SimCluster.start(o.withExtraArgs(args))) {
            List<SimCluster.Pod> pods = new ArrayList<>();
            for (SimCluster.Node n : c.nodes()) {
                pods.add(c.addRoutedPod(n));
                pods.add(c.addRoutedPod(n));
            }
            BlockState ipam = BlockState.read(c.etcd(), SimCluster.PREFIX);
            for (SimCluster.Node n : c.nodes()) {
                assertEquals(2, ipam.blocksOf(n.name()).size(), n.name() + " holds two /29 blocks: " + ipam);
            }

            // udp: no subnet lease; flannel0 takes a tunnel address from the pool, the Network goes through it, and its
            // table sends each remote block to its node (a ping across only passes through that table)
            assertEquals("", c.etcd().etcdctl("get", "--prefix", "--keys-only", SimCluster.PREFIX + "/subnets/").strip(),
                    "a node on block IPAM leases no subnet");
            for (SimCluster.Node n : c.nodes()) {
                String tunnel = tunnelAddr(c, n);
                assertTrue(c.etcd().get(SimCluster.PREFIX + "/ipam/v2/handle/udp-tunnel-addr-" + n.name()).isPresent(),
                        "the udp tunnel address is allocated under its handle");
                assertTrue(ipam.blocksOf(n.name()).stream().anyMatch(b -> inBlock(tunnel, b)), tunnel + " in a block of " + n.name());
                assertEquals(List.of(tunnel + "/32"), KernelState.addresses(n.netns(), "flannel0").stream()
                        .filter(a -> a.family().equals("inet")).map(a -> a.local() + "/" + a.prefixlen()).toList(), "flannel0 on " + n.name());
                assertEquals(Set.of(NETWORK + " via null dev flannel0"), weftRoutes(n), "one route through the TUN on " + n.name());
                // the other node's blocks reach this one through its block watch, in their own time
                int udpRoutes = expected(ipam, c, n, o2 -> "").size();
                ClusterAssertions.eventually(Duration.ofSeconds(10), () -> (long) udpRoutes, () -> {
                    try {
                        return WeftMetrics.scrape(n, METRICS_PORT).get("weft_block_routes{backend=\"udp\"}");
                    } catch (IllegalStateException notYet) {
                        return -1L;
                    }
                }, "udp block routes on " + n.name());
                assertBlockMetrics(n, "udp", udpRoutes);
                assertEquals(0, WeftMetrics.scrape(n, METRICS_PORT).get("weft_block_borrowed_addresses"), "nothing borrowed yet on " + n.name());
            }
            pingAcross(pods);
            lap("udp (cluster start, 4 pods)");

            // host-gw: <block> via <node> dev eth0, nothing else of Weft's (udp's TUN and its route went with its weftd)
            restartWith(c, "{\"Type\":\"host-gw\"}");
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(15), () -> expectedHostGw(c, n), () -> weftRoutes(n),
                        "host-gw routes on " + n.name());
            }
            pingAcross(pods);
            lap("host-gw (restart)");

            // bad input: a corrupt registration, and confirmed blocks of that node and of a node never registered
            Map<String, Set<String>> before = kernel(c);
            c.etcd().put(SimCluster.PREFIX + "/nodes/ghost", "{\"PublicIP\":\"192.168.213.77\",\"BackendType\":\"host-gw\",\"BackendData\":7");
            List<String> free = freeBlocks(c);
            putBlock(c, free.get(0), "ghost");
            putBlock(c, free.get(1), "nobody");
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(10), () -> n.weftd().logTail(200_000).contains("ignoring node registration "
                        + SimCluster.PREFIX + "/nodes/ghost"), n.name() + " judged the corrupt registration");
            }
            SimCluster.sleep(1000); // the block watch has had its events too
            assertEquals(before, kernel(c), "bad input changed nothing in the kernel");

            // an address of the unknown node's block allocated for n2 (borrowed, as the allocator writes it): a /32 via n2 on n1
            putBlock(c, free.get(1), "nobody", "n2");
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(10), () -> expectedHostGw(c, n), () -> weftRoutes(n),
                        "host-gw routes with the borrowed address on " + n.name());
            }
            assertEquals(1, BlockState.read(c.etcd(), SimCluster.PREFIX).borrowedBy("n2").size());
            for (SimCluster.Node n : c.nodes()) {
                assertBlockMetrics(n, "host-gw", expectedHostGw(c, n).size());
            }

            // vxlan on the same cluster: every weftd restarts with the new net-conf
            restartWith(c, "{\"Type\":\"vxlan\"}"); // SIGTERM, wait, start: both nodes at once
            Map<String, Vtep> vteps = new TreeMap<>();
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(30), () -> vtep(c, n) != null, "vxlan registration of " + n.name());
                vteps.put(n.name(), vtep(c, n));
            }
            BlockState after = BlockState.read(c.etcd(), SimCluster.PREFIX);
            for (SimCluster.Node n : c.nodes()) {
                Vtep v = vteps.get(n.name());
                assertTrue(after.blocksOf(n.name()).stream().anyMatch(b -> inBlock(v.tunnel(), b)), "tunnel address " + v.tunnel()
                        + " in a block of " + n.name() + ": " + after);
                assertTrue(c.etcd().get(SimCluster.PREFIX + "/ipam/v2/handle/vxlan-tunnel-addr-" + n.name()).isPresent(),
                        "the tunnel address is allocated under its handle");
                assertHandleReleased(c, "udp-tunnel-addr-" + n.name());
            }
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(30), () -> expectedVxlan(after, c, n, vteps), () -> weftRoutes(n),
                        "vxlan routes on " + n.name());
                Vtep own = vteps.get(n.name());
                assertEquals(List.of(own.tunnel() + "/32"), KernelState.addresses(n.netns(), "flannel.1").stream()
                        .filter(a -> a.family().equals("inet")).map(a -> a.local() + "/" + a.prefixlen()).toList(), "flannel.1 on " + n.name());
                assertVtepEntries(c, n, vteps);
            }
            pingAcross(pods);
            lap("host-gw bad input and borrowed address, then vxlan (restart)");

            // the bgp backend with Encap IPIP on the same cluster: tunl0 gets a tunnel address from the pool, the blocks
            // and the borrowed address are announced and learned via tunl0 (the userspace IPIP path where the kernel has
            // no ipip driver, which then takes where each block is from the IPAM tree)
            restartWith(c, "{\"Type\":\"bgp\",\"Encap\":\"IPIP\",\"KeepaliveSeconds\":3}");
            Map<String, String> tunnels = new TreeMap<>();
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(30), () -> ipipTunnel(c, n) != null, "IPIP registration of " + n.name());
                tunnels.put(n.name(), ipipTunnel(c, n));
                assertTrue(c.etcd().get(SimCluster.PREFIX + "/ipam/v2/handle/ipip-tunnel-addr-" + n.name()).isPresent(),
                        "the IPIP tunnel address is allocated under its handle");
                assertHandleReleased(c, "vxlan-tunnel-addr-" + n.name());
            }
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(30), () -> CalicoModeE2eTest.expectedLearned(c, n), () -> CalicoModeE2eTest.learnedOn(n, "tunl0"),
                        "IPIP routes learned over BGP on " + n.name());
                assertEquals(Set.of(), weftRoutes(n), "no vxlan route left on " + n.name());
                assertEquals(List.of(tunnels.get(n.name()) + "/32"), KernelState.addresses(n.netns(), "tunl0").stream()
                        .filter(a -> a.family().equals("inet")).map(a -> a.local() + "/" + a.prefixlen()).toList(), "tunl0 on " + n.name());
            }
            pingAcross(pods);
            lap("bgp IPIP (restart)");

            // the bgp backend with Encap VXLAN: every block and the borrowed address on-link via the node's vxlan tunnel
            // address (the same handle as the vxlan backend's; given back while IPIP ran, as Calico gives back the tunnel
            // address of an encapsulation no longer in use), one neighbour and one FDB entry per node, from the IPAM
            // tree, not from BGP. flannel.1 (left by the vxlan step) is deleted first, so all of it is made anew.
            // CrossSubnet, which needs a router between nodes, is BgpVxlanBlocksKernelTest's.
            for (SimCluster.Node n : c.nodes()) {
                assertTrue(Cmd.of("ip", "link", "del", "flannel.1").netns(n.netns()).tryRun().ok(), "flannel.1 deleted on " + n.name());
            }
            restartWith(c, "{\"Type\":\"bgp\",\"Encap\":\"VXLAN\",\"KeepaliveSeconds\":3}");
            Map<String, Vtep> bgpVteps = new TreeMap<>();
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(30), () -> vtep(c, n) != null && ipipTunnel(c, n) != null,
                        "bgp VXLAN registration of " + n.name());
                bgpVteps.put(n.name(), vtep(c, n));
                assertTrue(c.etcd().get(SimCluster.PREFIX + "/ipam/v2/handle/vxlan-tunnel-addr-" + n.name()).isPresent(),
                        "the vxlan tunnel address is allocated under the vxlan backend's handle");
                assertHandleReleased(c, "ipip-tunnel-addr-" + n.name());
            }
            BlockState last = BlockState.read(c.etcd(), SimCluster.PREFIX);
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(30), () -> expectedVxlan(last, c, n, bgpVteps), () -> weftRoutes(n),
                        "bgp VXLAN routes on " + n.name());
                assertVtepEntries(c, n, bgpVteps);
                assertEquals(Set.of(), CalicoModeE2eTest.learnedOn(n, "tunl0"), "no IPIP route left on " + n.name());
                assertBlockMetrics(n, "bgp", expectedVxlan(last, c, n, bgpVteps).size());
            }
            pingAcross(pods);
            lap("bgp VXLAN (flannel.1 deleted, restart)");
        }
    }

    /** A node gives back the tunnel address of a device its new backend does not have (weftd does it as it starts). */
    private static void assertHandleReleased(SimCluster c, String handle) {
        ClusterAssertions.eventually(Duration.ofSeconds(10),
                () -> c.etcd().get(SimCluster.PREFIX + "/ipam/v2/handle/" + handle).isEmpty(), handle + " released");
    }

    /**
     * weftd's block families: ready, its two blocks, the routes to the other node's blocks and borrowed address
     * (read back from the kernel; udp: its table's), and a block watch that never had to restart.
     */
    static void assertBlockMetrics(SimCluster.Node n, String backend, int routes) {
        WeftMetrics m = WeftMetrics.scrape(n, METRICS_PORT);
        if (n.name().equals("n1")) {
            // through Prometheus' own parser (a python process, so once per step): each family typed, with HELP
            PromExposition p = PromExposition.parse(m.text());
            assertEquals(Set.of(backend), p.labels("weft_block_routes", "gauge", "backend"));
            p.only("weft_blocks_local", "gauge");
            p.only("weft_block_borrowed_addresses", "gauge");
            p.only("weft_block_watch_restarts", "counter");
            p.only("weft_block_watch_errors", "counter");
        }
        assertEquals(1, m.get("weft_ready"), "ready on " + n.name());
        assertEquals(1, m.get("weft_lease_pipeline_healthy"), "block and node watches healthy on " + n.name());
        assertEquals(2, m.get("weft_blocks_local"), "blocks of " + n.name());
        assertEquals(routes, m.get("weft_block_routes{backend=\"" + backend + "\"}"), "block routes on " + n.name());
        assertEquals(0, m.get("weft_block_watch_restarts_total"), "block watch restarts on " + n.name());
        assertEquals(0, m.get("weft_block_watch_errors_total"), "block watch errors on " + n.name());
    }

    private static long lapStart;

    /** Prints how long the step took (CI logs show where the test's time goes). */
    private static void lap(String step) {
        long now = System.nanoTime();
        System.out.println("BlockRoutesE2eTest: " + step + " took " + (now - lapStart) / 1_000_000 + " ms");
        lapStart = now;
    }

    /** Writes the net-conf with {@code backendJson} and restarts every weftd at once. */
    private static void restartWith(SimCluster c, String backendJson) {
        c.etcd().put(SimCluster.PREFIX + "/config", "{\"Network\":\"" + NETWORK + "\",\"Backend\":" + backendJson + ",\"IPAM\":" + IPAM + "}");
        c.nodes().parallelStream().forEach(n -> n.weftd().restart());
    }

    /** The permanent neighbours and FDB entries with a destination on flannel.1 ({@code ip -j neigh}, {@code bridge -j fdb}). */
    static Set<String> vtepEntries(SimCluster.Node n) {
        return KernelState.vtepEntries(n.netns(), "flannel.1");
    }

    /** Exactly one neighbour (tunnel address → VtepMAC) and one FDB entry (VtepMAC → node) per other node on flannel.1. */
    static void assertVtepEntries(SimCluster c, SimCluster.Node n, Map<String, Vtep> vteps) {
        Set<String> want = new TreeSet<>();
        for (SimCluster.Node o : c.nodes()) {
            if (o != n) {
                want.add("neigh " + vteps.get(o.name()).tunnel() + " " + vteps.get(o.name()).mac());
                want.add("fdb " + vteps.get(o.name()).mac() + " " + o.address());
            }
        }
        assertEquals(want, vtepEntries(n), "one neighbour and one FDB entry per remote node on " + n.name());
    }

    /** The node's tunnel address from its registration (BackendData.TunnelAddr), or null while it has none. */
    static String tunnelAddr(SimCluster c, SimCluster.Node n) {
        String v = c.etcd().get(SimCluster.PREFIX + "/nodes/" + n.name()).orElse("");
        try {
            JsonNode d = JSON.readTree(v.isEmpty() ? "{}" : v).path("BackendData");
            return d.hasNonNull("TunnelAddr") ? d.get("TunnelAddr").asText() : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The node's IPIP tunnel address from its bgp registration, or null while it has none. */
    static String ipipTunnel(SimCluster c, SimCluster.Node n) {
        String v = c.etcd().get(SimCluster.PREFIX + "/nodes/" + n.name()).orElse("");
        try {
            JsonNode r = JSON.readTree(v.isEmpty() ? "{}" : v);
            return "bgp".equals(r.path("BackendType").asText()) && r.path("BackendData").hasNonNull("TunnelAddr")
                    ? r.path("BackendData").get("TunnelAddr").asText() : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    record Vtep(String tunnel, String mac) {
    }

    /** The node's vxlan registration (TunnelAddr, VtepMAC), or null while it is not one yet. */
    static Vtep vtep(SimCluster c, SimCluster.Node n) {
        String v = c.etcd().get(SimCluster.PREFIX + "/nodes/" + n.name()).orElse("");
        try {
            JsonNode d = JSON.readTree(v.isEmpty() ? "{}" : v).path("BackendData");
            // an IPIP registration has a TunnelAddr and no VtepMAC: not (yet) a vxlan one
            return d.hasNonNull("TunnelAddr") && d.hasNonNull("VtepMAC") ? new Vtep(d.get("TunnelAddr").asText(), d.get("VtepMAC").asText()) : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every other node's blocks and borrowed addresses, each "dst via <its gateway> <tail>". */
    static Set<String> expected(BlockState s, SimCluster c, SimCluster.Node self, java.util.function.Function<SimCluster.Node, String> via) {
        Set<String> out = new TreeSet<>();
        for (SimCluster.Node o : c.nodes()) {
            if (o != self) {
                s.blocksOf(o.name()).forEach(b -> out.add(b + " via " + via.apply(o)));
                s.borrowedBy(o.name()).forEach(a -> out.add(a + " via " + via.apply(o)));
            }
        }
        return out;
    }

    static Set<String> expectedHostGw(SimCluster c, SimCluster.Node self) {
        return expected(BlockState.read(c.etcd(), SimCluster.PREFIX), c, self, o -> o.address() + " dev eth0");
    }

    static Set<String> expectedVxlan(BlockState s, SimCluster c, SimCluster.Node self, Map<String, Vtep> vteps) {
        return expected(s, c, self, o -> vteps.get(o.name()).tunnel() + " dev flannel.1 onlink");
    }

    /** Weft's (protocol 87) routes into the pod network, as "dst via gw dev d [onlink]" ({@code ip -j route}). */
    static Set<String> weftRoutes(SimCluster.Node n) {
        return weftRoutes(n, 4);
    }

    /** The same for one family (4 or 6: {@code ip -j -6 route}). */
    static Set<String> weftRoutes(SimCluster.Node n, int family) {
        Set<String> out = new TreeSet<>();
        for (RouteInfo r : KernelState.routes(n.netns(), family)) {
            if (r.protocol().equals("87")) {
                out.add(r.dst() + " via " + r.gateway() + " dev " + r.dev() + (r.flags().contains("onlink") ? " onlink" : ""));
            }
        }
        return out;
    }

    /** Every node's routes, neighbours and FDB entries, as {@code ip -j} and {@code bridge -j} print them. */
    static Map<String, Set<String>> kernel(SimCluster c) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (SimCluster.Node n : c.nodes()) {
            Set<String> s = new TreeSet<>();
            KernelState.routes(n.netns(), 4).forEach(r -> s.add("route " + r.raw()));
            KernelState.neighbours(n.netns(), 4).stream().filter(NeighInfo::isPermanent).forEach(nb -> s.add("neigh " + nb.raw()));
            out.put(n.name(), s);
        }
        return out;
    }

    /** The /29s of the Network that no node has claimed (no block key in etcd). */
    static List<String> freeBlocks(SimCluster c) {
        String out = c.etcd().etcdctl("get", "--prefix", "--keys-only", SimCluster.PREFIX + "/ipam/v2/assignment/ipv4/block/");
        List<String> free = new ArrayList<>();
        for (int i = 0; i < 64; i += 8) {
            if (!out.contains("/10.244.0." + i + "-29")) {
                free.add("10.244.0." + i + "/29");
            }
        }
        assertTrue(free.size() >= 2, "two free blocks left: " + out);
        return free;
    }

    /** A confirmed, empty block affine to {@code node}, written as Calico would. */
    static void putBlock(SimCluster c, String cidr, String node) {
        putBlock(c, cidr, node, null);
    }

    /** The same with ordinal 3 allocated for {@code borrower} (when not null), as a node that borrowed it writes it. */
    static void putBlock(SimCluster c, String cidr, String node, String borrower) {
        String ipam = SimCluster.PREFIX + "/ipam/v2";
        String key = cidr.replace('/', '-');
        c.etcd().put(ipam + "/host/" + node + "/ipv4/block/" + key, "{\"state\":\"confirmed\",\"deleted\":false}");
        String alloc = borrower == null ? "[null,null,null,null,null,null,null,null],\"unallocated\":[0,1,2,3,4,5,6,7],\"attributes\":[],"
                + "\"sequenceNumber\":0,\"sequenceNumberForAllocation\":{}"
                : "[null,null,null,0,null,null,null,null],\"unallocated\":[0,1,2,4,5,6,7],\"attributes\":[{\"handle_id\":\"by-hand\","
                + "\"secondary\":{\"node\":\"" + borrower + "\"}}],\"sequenceNumber\":1,\"sequenceNumberForAllocation\":{\"3\":0}";
        c.etcd().put(ipam + "/assignment/ipv4/block/" + key, "{\"cidr\":\"" + cidr + "\",\"affinity\":\"host:" + node
                + "\",\"allocations\":" + alloc + ",\"deleted\":false}");
    }

    static boolean inBlock(String ip, String block) {
        String[] b = block.split("/");
        long mask = -1L << (32 - Integer.parseInt(b[1])) & 0xffffffffL;
        return (v4(ip) & mask) == (v4(b[0]) & mask);
    }

    private static long v4(String ip) {
        long v = 0;
        for (String p : ip.split("\\.")) {
            v = v << 8 | Integer.parseInt(p);
        }
        return v;
    }

    static void pingAcross(List<SimCluster.Pod> pods) {
        for (SimCluster.Pod a : pods) {
            for (SimCluster.Pod b : pods) {
                if (a.node() != b.node()) {
                    Cmd.Result r = a.netns().tryExec("ping", "-c", "1", "-W", "2", b.ip());
                    assertTrue(r.ok(), a.ip() + " on " + a.node().name() + " -> " + b.ip() + " on " + b.node().name() + ": " + r);
                }
            }
        }
    }
}
