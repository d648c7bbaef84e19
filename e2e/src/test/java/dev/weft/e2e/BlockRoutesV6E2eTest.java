package dev.weft.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dual-stack block IPAM with host-gw, then vxlan (issue 15): the IPv6 blocks go to their node as the
 * IPv4 ones do ({@link BlockRoutesE2eTest}). Blocks are /29 and /125 (eight addresses each), so
 * weftd's reserve of eight per family fills a node's first block of each family and its pods (and
 * vxlan's tunnel addresses) come from a second: every node holds two blocks of each family. host-gw:
 * {@code <block> via <node's IPv6 address> dev eth0}; vxlan: {@code <block> via <node's IPv6 tunnel
 * address> dev flannel-v6.1 onlink}, one IPv6 neighbour and one FDB entry (to the node's IPv6
 * address) per node. A borrowed address in an IPv6 block is a /128 to its borrower; a node that is
 * gone takes every route and entry of both families with it. The udp backend, IPv4 only, refuses
 * EnableIPv6 on block IPAM.
 */
@KernelTest
class BlockRoutesV6E2eTest {
    static final String NETWORK = "10.244.0.0/26";
    static final String NETWORK6 = "fd00:244::/120";
    static final String IPAM = "{\"Type\":\"blocks\",\"BlockSize\":29,\"IPv6BlockSize\":125,\"StrictAffinity\":false}";
    static final String V6_DEVICE = "flannel-v6.1";
    private static final ObjectMapper JSON = new ObjectMapper();

    static String netConf(String backendJson) {
        return "{\"Network\":\"" + NETWORK + "\",\"IPv6Network\":\"" + NETWORK6 + "\",\"EnableIPv6\":true,\"Backend\":" + backendJson
                + ",\"IPAM\":" + IPAM + "}";
    }

    @Test
    void hostGwThenVxlanRouteEachRemoteIpv6BlockToItsNode() {
        SimCluster.Options o = SimCluster.Options.calico(2, NETWORK, "{\"Type\":\"host-gw\"}", IPAM)
                .withNetConf(netConf("{\"Type\":\"host-gw\"}")).withUnderlayV6("fd00:213::/64");
        List<String> args = new ArrayList<>(o.extraArgs());
        args.addAll(List.of("-healthz-port", String.valueOf(BlockRoutesE2eTest.METRICS_PORT)));
        long t0 = System.nanoTime();
        try (SimCluster c = SimCluster.start(o.withExtraArgs(args))) {
            List<SimCluster.Pod> pods = new ArrayList<>();
            for (SimCluster.Node n : c.nodes()) {
                pods.add(c.addRoutedPod(n));
                pods.add(c.addRoutedPod(n));
            }
            BlockState v6 = BlockState.read(c.etcd(), SimCluster.PREFIX, true);
            for (SimCluster.Pod p : pods) {
                assertNotNull(p.ip6(), p + " has an IPv6 address too");
                assertTrue(v6.used().getOrDefault(p.node().name(), new TreeSet<>()).contains(p.ip6()), p + " in " + v6);
            }
            for (SimCluster.Node n : c.nodes()) {
                assertEquals(2, v6.blocksOf(n.name()).size(), n.name() + " holds two /125 blocks: " + v6);
                assertEquals(n.address6(), registration(c, n).path("PublicIPv6").asText(), "the registration carries the IPv6 address");
            }

            // host-gw: each remote IPv6 block via the node's IPv6 address, as each IPv4 block via its IPv4 one
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(15), () -> expected6(c, n, x -> x.address6() + " dev eth0"),
                        () -> weftRoutes6(n), "host-gw IPv6 routes on " + n.name());
                ClusterAssertions.eventually(Duration.ofSeconds(15), () -> BlockRoutesE2eTest.expectedHostGw(c, n),
                        () -> BlockRoutesE2eTest.weftRoutes(n), "host-gw IPv4 routes on " + n.name());
            }
            pingAcross(pods);

            // an address of a block of a node that is not registered, allocated for n2 (borrowed): a /128 via n2 on n1
            putBorrowedBlock6(c, freeBlock6(c), "n2");
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(10), () -> expected6(c, n, x -> x.address6() + " dev eth0"),
                        () -> weftRoutes6(n), "host-gw IPv6 routes with the borrowed address on " + n.name());
            }
            assertEquals(1, BlockState.read(c.etcd(), SimCluster.PREFIX, true).borrowedBy("n2").size());
            for (SimCluster.Node n : c.nodes()) {
                WeftMetrics m = WeftMetrics.scrape(n, BlockRoutesE2eTest.METRICS_PORT);
                assertEquals(4, m.get("weft_blocks_local"), "two blocks of each family on " + n.name());
                assertEquals(BlockRoutesE2eTest.expectedHostGw(c, n).size() + expected6(c, n, x -> "").size(),
                        m.get("weft_block_routes{backend=\"host-gw\"}"), "IPv4 and IPv6 block routes on " + n.name());
            }
            System.out.println("BlockRoutesV6E2eTest: host-gw took " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            t0 = System.nanoTime();

            // vxlan: an IPv6 device with an IPv6 tunnel address from the pool, published in BackendV6Data
            c.etcd().put(SimCluster.PREFIX + "/config", netConf("{\"Type\":\"vxlan\"}"));
            c.nodes().parallelStream().forEach(n -> n.weftd().restart());
            Map<String, BlockRoutesE2eTest.Vtep> vteps = new TreeMap<>();
            Map<String, BlockRoutesE2eTest.Vtep> vteps6 = new TreeMap<>();
            for (SimCluster.Node n : c.nodes()) {
                try {
                    ClusterAssertions.eventually(Duration.ofSeconds(30), () -> vtep6(c, n) != null, "dual-stack vxlan registration of "
                            + n.name());
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + ": " + registration(c, n) + "\n" + n.weftd().logTail(6000), e);
                }
                vteps.put(n.name(), BlockRoutesE2eTest.vtep(c, n));
                vteps6.put(n.name(), vtep6(c, n));
                assertTrue(c.etcd().get(SimCluster.PREFIX + "/ipam/v2/handle/vxlan-v6-tunnel-addr-" + n.name()).isPresent(),
                        "the IPv6 tunnel address is allocated under its handle");
            }
            BlockState after6 = BlockState.read(c.etcd(), SimCluster.PREFIX, true);
            BlockState after4 = BlockState.read(c.etcd(), SimCluster.PREFIX);
            for (SimCluster.Node n : c.nodes()) {
                String tunnel6 = vteps6.get(n.name()).tunnel();
                assertTrue(after6.used().get(n.name()).contains(tunnel6), tunnel6 + " allocated for " + n.name() + ": " + after6);
                ClusterAssertions.eventually(Duration.ofSeconds(30),
                        () -> expected6(c, n, x -> vteps6.get(x.name()).tunnel() + " dev " + V6_DEVICE + " onlink"),
                        () -> weftRoutes6(n), "vxlan IPv6 routes on " + n.name());
                ClusterAssertions.eventually(Duration.ofSeconds(30), () -> BlockRoutesE2eTest.expectedVxlan(after4, c, n, vteps),
                        () -> BlockRoutesE2eTest.weftRoutes(n), "vxlan IPv4 routes on " + n.name());
                assertEquals(List.of(tunnel6 + "/128"), KernelState.addresses(n.netns(), V6_DEVICE).stream()
                        .filter(a -> a.family().equals("inet6") && !a.local().startsWith("fe80"))
                        .map(a -> a.local() + "/" + a.prefixlen()).toList(), V6_DEVICE + " on " + n.name());
                Set<String> want = new TreeSet<>();
                for (SimCluster.Node x : c.nodes()) {
                    if (x != n) {
                        want.add("neigh " + vteps6.get(x.name()).tunnel() + " " + vteps6.get(x.name()).mac());
                        want.add("fdb " + vteps6.get(x.name()).mac() + " " + x.address6());
                    }
                }
                // the entries are written in the routes' batch but after them: wait for them too
                ClusterAssertions.eventually(Duration.ofSeconds(10), () -> want, () -> KernelState.vtepEntries(n.netns(), V6_DEVICE, 6),
                        "one IPv6 neighbour and FDB entry per node on " + n.name());
                BlockRoutesE2eTest.assertVtepEntries(c, n, vteps);
            }
            pingAcross(pods);
            System.out.println("BlockRoutesV6E2eTest: vxlan took " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            t0 = System.nanoTime();

            // n2 is gone (its weftd killed, its registration deleted, as its expiry would): n1 keeps nothing of it
            SimCluster.Node n1 = c.node(0);
            SimCluster.Node n2 = c.node(1);
            n2.weftd().kill();
            c.etcd().etcdctl("del", SimCluster.PREFIX + "/nodes/n2");
            ClusterAssertions.eventually(Duration.ofSeconds(15), () -> Set.of(), () -> weftRoutes6(n1), "no IPv6 route to n2 on n1");
            ClusterAssertions.eventually(Duration.ofSeconds(15), () -> Set.of(), () -> BlockRoutesE2eTest.weftRoutes(n1),
                    "no IPv4 route to n2 on n1");
            ClusterAssertions.eventually(Duration.ofSeconds(10), () -> Set.of(), () -> KernelState.vtepEntries(n1.netns(), V6_DEVICE, 6),
                    "no IPv6 neighbour or FDB entry of n2 on n1");
            ClusterAssertions.eventually(Duration.ofSeconds(10), () -> Set.of(), () -> BlockRoutesE2eTest.vtepEntries(n1),
                    "no IPv4 neighbour or FDB entry of n2 on n1");

            // udp carries IPv4 only: on block IPAM with EnableIPv6 it does not start, and says why
            refused(c, n1, netConf("{\"Type\":\"udp\"}"), "block IPAM with the udp backend routes IPv4 blocks only (udp carries IPv4 only");

            // no family a pod gets an address of may go unrouted: IPv6 pools with EnableIPv6 off, and an IPv6-only network
            String hostGw = ",\"Backend\":{\"Type\":\"host-gw\"},\"IPAM\":" + IPAM + "}";
            refused(c, n1, "{\"Network\":\"" + NETWORK + "\",\"IPv6Network\":\"" + NETWORK6 + "\",\"EnableIPv6\":false" + hostGw,
                    "the pools include IPv6 (IPv6Network or Pools) but EnableIPv6 is false");
            refused(c, n1, "{\"EnableIPv4\":false,\"IPv6Network\":\"" + NETWORK6 + "\",\"EnableIPv6\":true" + hostGw,
                    "block IPAM needs IPv4 (EnableIPv4 true and a Network)");
            System.out.println("BlockRoutesV6E2eTest: node gone and udp took " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        }
    }

    /** With {@code netConf} in etcd, n's weftd stops at start and logs {@code why}. */
    private static void refused(SimCluster c, SimCluster.Node n, String netConf, String why) {
        c.etcd().put(SimCluster.PREFIX + "/config", netConf);
        long from = n.weftd().logSize();
        n.weftd().restart();
        ClusterAssertions.eventually(Duration.ofSeconds(30), () -> !n.weftd().isAlive(), "weftd exits on " + netConf);
        String log = n.weftd().logFrom(from);
        assertTrue(log.contains(why), log);
    }

    /** The node's registration as JSON ({} while it has none). */
    static JsonNode registration(SimCluster c, SimCluster.Node n) {
        String v = c.etcd().get(SimCluster.PREFIX + "/nodes/" + n.name()).orElse("");
        try {
            return JSON.readTree(v.isEmpty() ? "{}" : v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The node's IPv6 VTEP (BackendV6Data.TunnelAddr and VtepMAC), or null while its registration has none. */
    static BlockRoutesE2eTest.Vtep vtep6(SimCluster c, SimCluster.Node n) {
        JsonNode d = registration(c, n).path("BackendV6Data");
        return d.hasNonNull("TunnelAddr") && d.hasNonNull("VtepMAC")
                ? new BlockRoutesE2eTest.Vtep(d.get("TunnelAddr").asText(), d.get("VtepMAC").asText()) : null;
    }

    /** Every other node's IPv6 blocks and borrowed IPv6 addresses as etcd has them now, each "dst via <via(node)>". */
    static Set<String> expected6(SimCluster c, SimCluster.Node self, Function<SimCluster.Node, String> via) {
        return BlockRoutesE2eTest.expected(BlockState.read(c.etcd(), SimCluster.PREFIX, true), c, self, via);
    }

    /** Weft's (protocol 87) IPv6 routes, as "dst via gw dev d [onlink]" ({@code ip -j -6 route}). */
    static Set<String> weftRoutes6(SimCluster.Node n) {
        return BlockRoutesE2eTest.weftRoutes(n, 6);
    }

    /** A /125 of IPv6Network that no node has claimed. */
    static String freeBlock6(SimCluster c) {
        String out = c.etcd().etcdctl("get", "--prefix", "--keys-only", SimCluster.PREFIX + "/ipam/v2/assignment/ipv6/block/");
        for (int i = 0xf8; i >= 0; i -= 8) {
            String b = "fd00:244::" + Integer.toHexString(i);
            if (!out.contains("/" + b + "-125")) {
                return b + "/125";
            }
        }
        throw new AssertionError("no free /125 left: " + out);
    }

    /** A confirmed block affine to a node that is not registered, its ordinal 3 allocated for {@code borrower}, as Calico writes it. */
    static void putBorrowedBlock6(SimCluster c, String cidr, String borrower) {
        String ipam = SimCluster.PREFIX + "/ipam/v2";
        String key = cidr.replace('/', '-');
        c.etcd().put(ipam + "/host/nobody/ipv6/block/" + key, "{\"state\":\"confirmed\",\"deleted\":false}");
        c.etcd().put(ipam + "/assignment/ipv6/block/" + key, "{\"cidr\":\"" + cidr + "\",\"affinity\":\"host:nobody\",\"allocations\":"
                + "[null,null,null,0,null,null,null,null],\"unallocated\":[0,1,2,4,5,6,7],\"attributes\":[{\"handle_id\":\"by-hand\","
                + "\"secondary\":{\"node\":\"" + borrower + "\"}}],\"sequenceNumber\":1,\"sequenceNumberForAllocation\":{\"3\":0},"
                + "\"deleted\":false}");
    }

    /** Every pod reaches every pod of the other node over IPv4 and over IPv6. */
    static void pingAcross(List<SimCluster.Pod> pods) {
        BlockRoutesE2eTest.pingAcross(pods);
        for (SimCluster.Pod a : pods) {
            for (SimCluster.Pod b : pods) {
                if (a.node() != b.node()) {
                    Cmd.Result r = a.netns().tryExec("ping", "-6", "-c", "1", "-W", "2", b.ip6());
                    assertTrue(r.ok(), a.ip6() + " on " + a.node().name() + " -> " + b.ip6() + " on " + b.node().name() + ": " + r);
                }
            }
        }
    }
}
