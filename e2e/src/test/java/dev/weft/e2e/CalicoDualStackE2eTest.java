package dev.weft.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.bgp.status.cli.Weftctl;
import dev.weft.testkit.AddrInfo;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.RouteInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Dual-stack with the bgp backend, Calico-style (issue 15): three nodes on a dual-stack underlay,
 * Encap None, block IPAM with {@code Network} and {@code IPv6Network}, pods made by weft-routed +
 * weft-ipam as separate processes with one address of each family. Each pair of nodes has an IPv6
 * session between their IPv6 addresses beside the IPv4 one; each node announces its IPv6 /122
 * blocks there and installs the others' via their IPv6 addresses. The IPv4 side is checked as
 * {@link CalicoModeE2eTest} checks it.
 */
@dev.weft.testkit.KernelTest
class CalicoDualStackE2eTest {
    static final String UNDERLAY6 = "fd00:213::/64";
    static final String NETWORK6 = "fd00:244::/120"; // four /122 blocks: one each, no borrowing
    static final SimCluster.Options DUAL = dual(3);

    static SimCluster.Options dual(int nodes) {
        return dual(nodes, "None");
    }

    static SimCluster.Options dual(int nodes, String encap) {
        SimCluster.Options o = SimCluster.Options.calico(nodes, "10.244.0.0/24",
                "{\"Type\":\"bgp\",\"Encap\":\"" + encap + "\",\"KeepaliveSeconds\":3}",
                "{\"Type\":\"blocks\",\"BlockSize\":26,\"StrictAffinity\":false}");
        return o.withNetConf(o.netConf().replace("{\"Network\"", "{\"EnableIPv6\":true,\"IPv6Network\":\"" + NETWORK6 + "\",\"Network\""));
    }

    record Pod6(SimCluster.Pod pod, String ip6) {
    }

    @Test
    void podsReachEachOtherOverIpv6AndIpv4AndEachNodeRoutesTheOthersIpv6Blocks() {
        long t0 = System.nanoTime();
        try (SimCluster c = SimCluster.start(DUAL.withUnderlayV6(UNDERLAY6))) {
            for (SimCluster.Node n : c.nodes()) {
                String reg = c.etcd().get(SimCluster.PREFIX + "/nodes/" + n.name()).orElseThrow();
                assertTrue(reg.contains("\"PublicIPv6\":\"" + n.host().address6() + "\"")
                        && reg.contains("\"IPv6Address\":\"" + n.host().address6() + "/64\""), reg);
            }
            List<Pod6> pods = new ArrayList<>();
            for (SimCluster.Node n : c.nodes()) {
                for (int i = 0; i < 2; i++) {
                    SimCluster.Pod p = c.addRoutedPod(n);
                    pods.add(new Pod6(p, podIpv6(p)));
                }
            }
            Map<String, Set<String>> blocks6 = blocks6(c);
            for (SimCluster.Node n : c.nodes()) {
                assertEquals(1, blocks6.getOrDefault(n.name(), Set.of()).size(), "one /122 per node: " + blocks6);
                for (Pod6 p : pods) {
                    if (p.pod().node() == n) {
                        assertTrue(inAny(p.ip6(), blocks6.get(n.name())), p.ip6() + " from " + n.name() + "'s block " + blocks6);
                    }
                }
            }
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(20), () -> expected6(c, blocks6, n), () -> learned6(n),
                        "IPv6 routes " + n.name() + " learned over BGP");
                ClusterAssertions.eventually(Duration.ofSeconds(10), () -> CalicoModeE2eTest.expectedLearned(c, n),
                        () -> CalicoModeE2eTest.learned(n), "IPv4 routes " + n.name() + " learned over BGP");
                assertEquals(localPods6(pods, n), hostRoutes6(n), "a /128 per local pod on " + n.name());
                ClusterAssertions.eventually(Duration.ofSeconds(10), () -> blocks6.get(n.name()), () -> blackholes6(n),
                        "a blackhole per own IPv6 block on " + n.name());
                assertEquals(CalicoModeE2eTest.localPods(pods.stream().map(Pod6::pod).toList(), n), CalicoModeE2eTest.hostRoutes(n),
                        "a /32 per local pod on " + n.name());
                for (SimCluster.Node peer : c.nodes()) {
                    if (peer != n) {
                        String v6 = BgpSessions.details(n, peer.host().address6());
                        assertTrue(v6.contains("Established") && v6.contains("flaps 0"), n.name() + " -> " + peer.name() + " (IPv6):\n" + v6);
                        String v4 = BgpSessions.details(n, peer.address());
                        assertTrue(v4.contains("Established") && v4.contains("flaps 0"), n.name() + " -> " + peer.name() + " (IPv4):\n" + v4);
                    }
                }
            }
            // weftctl nodes: each node's blocks of both families and its IPv6Address
            Cmd.Result table = NodeTable.run(c, c.node(0));
            assertEquals(0, table.exitCode(), table.toString());
            for (SimCluster.Node n : c.nodes()) {
                String b6 = blocks6.get(n.name()).iterator().next();
                assertTrue(table.stdout().lines().anyMatch(l -> l.startsWith(n.name() + " ") && l.contains(b6)
                        && l.contains("\"IPv6Address\":\"" + n.host().address6() + "/64\"")), n.name() + ", " + b6 + ":\n" + table.stdout());
            }
            // weftctl bgp routes -f ipv6: the IPv6 Loc-RIB, own blocks and learned ones
            String rib = weftctl(c.node(0), "bgp", "routes", "-f", "ipv6");
            for (Set<String> bs : blocks6.values()) {
                bs.forEach(b -> assertTrue(rib.contains(b), b + " in weftctl bgp routes -f ipv6:\n" + rib));
            }
            for (Pod6 a : pods) {
                for (Pod6 b : pods) {
                    if (a != b) {
                        Cmd.Result r6 = a.pod().netns().tryExec("ping", "-6", "-c", "1", "-W", "2", b.ip6());
                        assertTrue(r6.ok(), a.ip6() + " on " + a.pod().node().name() + " -> " + b.ip6() + " on " + b.pod().node().name() + ": " + r6);
                        Cmd.Result r4 = a.pod().netns().tryExec("ping", "-c", "1", "-W", "2", b.pod().ip());
                        assertTrue(r4.ok(), a.pod().ip() + " -> " + b.pod().ip() + ": " + r4);
                    }
                }
            }
            System.out.println("CalicoDualStackE2eTest: 3 dual-stack nodes, 6 pods reaching each other over both families after "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");

            // a pod removed: its /128 goes with it
            Pod6 gone = pods.remove(pods.size() - 1);
            SimCluster.Node its = gone.pod().node();
            c.removePod(gone.pod());
            assertEquals(localPods6(pods, its), hostRoutes6(its), "the removed pod's /128 went on " + its.name());

            // a clean stop (SIGTERM, a rolling update) is a restart on the IPv6 sessions as on the IPv4 ones:
            // the others keep n1's IPv6 routes meanwhile, n1 adopts its own, and everything is learned again
            SimCluster.Node n1 = c.node(0);
            Set<String> n1Routes = new TreeSet<>();
            blocks6.get(n1.name()).forEach(b -> n1Routes.add(b + " via " + n1.host().address6()));
            long mark = c.node(1).weftd().logSize();
            n1.weftd().restart();
            assertTrue(learned6(c.node(1)).containsAll(n1Routes), "n1's IPv6 routes kept on n2 while it restarts: " + learned6(c.node(1)));
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(30), () -> expected6(c, blocks6, n), () -> learned6(n),
                        "IPv6 routes of " + n.name() + " after n1's restart");
                ClusterAssertions.eventually(Duration.ofSeconds(10), () -> blocks6.get(n.name()), () -> blackholes6(n),
                        "blackholes of " + n.name() + " after n1's restart");
            }
            for (SimCluster.Node peer : List.of(c.node(1), c.node(2))) {
                // up again, and n1 received (and sent) the one IPv6 block each side has: not only its adopted routes
                java.util.function.BooleanSupplier up = () -> BgpSessions.table(n1).lines().anyMatch(l -> l.startsWith(peer.host().address6() + " ")
                        && l.contains("Established") && l.contains(" 1/1/1"));
                long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (!up.getAsBoolean() && System.nanoTime() < until) {
                    SimCluster.sleep(200);
                }
                assertTrue(up.getAsBoolean(), "n1's IPv6 session with " + peer.name() + " after its restart:\n" + BgpSessions.table(n1)
                        + "\n" + BgpSessions.table(peer) + "\n" + n1.weftd().logTail(6000));
            }
            String n2Log = c.node(1).weftd().logFrom(mark);
            assertTrue(n2Log.lines().anyMatch(l -> l.contains(n1.host().address6()) && l.contains("session down") && l.contains("(graceful)")),
                    "n2 saw n1's IPv6 session go down gracefully: " + n2Log);
            assertTrue(pods.get(2).pod().netns().tryExec("ping", "-6", "-c", "1", "-W", "2", pods.get(0).ip6()).ok(), "reach n1's pod again");

            // a node stopped (kill -9): as on the IPv4 side, graceful restart keeps its routes as stale on the others
            SimCluster.Node n3 = c.node(2);
            Set<String> n3Routes = new TreeSet<>();
            blocks6.get(n3.name()).forEach(b -> n3Routes.add(b + " via " + n3.host().address6()));
            n3.weftd().kill();
            SimCluster.sleep(1500);
            for (SimCluster.Node n : List.of(c.node(0), c.node(1))) {
                assertTrue(learned6(n).containsAll(n3Routes), "n3's IPv6 routes kept (graceful restart) on " + n.name() + ": " + learned6(n));
                assertTrue(CalicoModeE2eTest.learned(n).stream().anyMatch(r -> r.endsWith(" via " + n3.address())),
                        "and its IPv4 ones too on " + n.name());
            }
            // ... and its registration gone (the node left): every session with it and every route of it goes
            c.etcd().etcdctl("del", SimCluster.PREFIX + "/nodes/" + n3.name());
            for (SimCluster.Node n : List.of(c.node(0), c.node(1))) {
                ClusterAssertions.eventually(Duration.ofSeconds(15),
                        () -> learned6(n).stream().noneMatch(n3Routes::contains)
                                && CalicoModeE2eTest.learned(n).stream().noneMatch(r -> r.endsWith(" via " + n3.address()))
                                && !BgpSessions.table(n).contains(n3.host().address6())
                                && !BgpSessions.table(n).contains(n3.address() + " "),
                        "n3's sessions and IPv6 and IPv4 routes gone from " + n.name() + ": " + learned6(n) + "\n" + BgpSessions.table(n));
            }
            // (n3 stays in the cluster object: close() removes its pods' namespaces; its weftd is gone)

            // EnableIPv6 on a node whose interface has no IPv6 address: weftd exits naming it, and leaves nothing
            SimCluster.Node bad = c.addNode("n9", c.underlay(), h -> h.exec("ip", "-6", "addr", "flush", "dev", "eth0", "scope", "global"));
            ClusterAssertions.eventually(Duration.ofSeconds(30), () -> !bad.weftd().isAlive(), "weftd on n9 exits");
            assertTrue(bad.weftd().logTail(4000).contains("has no global IPv6 address"), bad.weftd().logTail(4000));
            assertTrue(c.etcd().get(SimCluster.PREFIX + "/nodes/n9").isEmpty(), "no registration");
            assertEquals(Set.of("lo", "eth0"), new TreeSet<>(KernelState.links(bad.netns()).stream().map(LinkInfo::ifname).toList()));
            assertTrue(KernelState.routes(bad.netns(), 6).stream().noneMatch(r -> "weft-bgp".equals(r.protocol())));
            assertFalse(java.nio.file.Files.exists(bad.subnetEnv()));
            c.removeNode(bad);
        }
        System.out.println("CalicoDualStackE2eTest: total " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    /**
     * Encap IPIP: IPv4 pod traffic goes through tunl0 (on-link routes; the bpf data path where the
     * kernel has no ipip driver), IPv6 natively beside it, as Calico does (no IPIP for IPv6).
     */
    @Test
    void withIpipTheIpv6RoutesGoNativelyBesideTheTunnel() {
        long t0 = System.nanoTime();
        try (SimCluster c = SimCluster.start(dual(2, "IPIP").withUnderlayV6(UNDERLAY6))) {
            Pod6 a = new Pod6(c.addRoutedPod(c.node(0)), null);
            a = new Pod6(a.pod(), podIpv6(a.pod()));
            SimCluster.Pod pb = c.addRoutedPod(c.node(1));
            Pod6 b = new Pod6(pb, podIpv6(pb));
            Map<String, Set<String>> blocks6 = blocks6(c);
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(30), () -> expected6(c, blocks6, n), () -> learned6(n),
                        "IPv6 routes of " + n.name() + " out of eth0, no tunnel");
                SimCluster.Node other = n == c.node(0) ? c.node(1) : c.node(0);
                ClusterAssertions.eventually(Duration.ofSeconds(30),
                        () -> CalicoModeE2eTest.learnedOn(n, "tunl0").stream().anyMatch(r -> r.endsWith(" via " + other.address())),
                        "IPv4 routes of " + n.name() + " through tunl0");
                ClusterAssertions.eventually(Duration.ofSeconds(10), () -> blocks6.get(n.name()), () -> blackholes6(n),
                        "a blackhole per own IPv6 block on " + n.name());
            }
            for (Pod6[] pair : new Pod6[][] {{a, b}, {b, a}}) {
                Cmd.Result r6 = pair[0].pod().netns().tryExec("ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", pair[1].ip6());
                assertTrue(r6.ok(), pair[0].ip6() + " -> " + pair[1].ip6() + " natively: " + r6);
                Cmd.Result r4 = pair[0].pod().netns().tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", pair[1].pod().ip());
                assertTrue(r4.ok(), pair[0].pod().ip() + " -> " + pair[1].pod().ip() + " through IPIP: " + r4);
            }
        }
        System.out.println("CalicoDualStackE2eTest: IPIP + native IPv6, 2 nodes: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    /**
     * Without block IPAM (flannel's leases, the bridge and weft-flannel) a dual-stack node announces
     * its IPv6 subnet the same way: over the IPv6 sessions, with a blackhole kept locally.
     */
    @Test
    void onSubnetLeasesTheIpv6SubnetIsAnnouncedTheSameWay() {
        long t0 = System.nanoTime();
        SimCluster.Options o = SimCluster.Options.of(2, "{}").withNetConf("{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,"
                + "\"IPv6Network\":\"fd00:244::/48\",\"Backend\":{\"Type\":\"bgp\",\"Encap\":\"None\",\"KeepaliveSeconds\":3}}");
        try (SimCluster c = SimCluster.start(o.withUnderlayV6(UNDERLAY6))) {
            Map<SimCluster.Node, String> subnet6 = new java.util.HashMap<>();
            for (SimCluster.Node n : c.nodes()) {
                String s = SimCluster.readSubnetEnv(n).get("FLANNEL_IPV6_SUBNET");
                subnet6.put(n, dev.weft.net.Cidr.parse(s).network().toString());
            }
            for (SimCluster.Node n : c.nodes()) {
                SimCluster.Node other = n == c.node(0) ? c.node(1) : c.node(0);
                ClusterAssertions.eventually(Duration.ofSeconds(20), () -> Set.of(subnet6.get(other) + " via " + other.host().address6()),
                        () -> learned6(n), "the other node's IPv6 subnet on " + n.name());
                ClusterAssertions.eventually(Duration.ofSeconds(10), () -> Set.of(subnet6.get(n)), () -> blackholes6(n),
                        "a blackhole for the own IPv6 subnet on " + n.name());
            }
            SimCluster.Pod a = c.addPod(c.node(0));
            SimCluster.Pod b = c.addPod(c.node(1));
            String a6 = globalIpv6(a);
            String b6 = globalIpv6(b);
            // retried: in one run the first echo right after the ADDs went unanswered (the bridge chain's
            // side settling; the routes it needs are checked above and were in place)
            ClusterAssertions.eventually(Duration.ofSeconds(10), () -> a.netns().tryExec("ping", "-6", "-c", "1", "-W", "1", b6).ok(),
                    a6 + " -> " + b6);
            assertTrue(b.netns().tryExec("ping", "-6", "-c", "1", "-W", "2", a6).ok(), b6 + " -> " + a6);
            assertTrue(a.netns().tryExec("ping", "-c", "1", "-W", "2", b.ip()).ok(), a.ip() + " -> " + b.ip());
        }
        System.out.println("CalicoDualStackE2eTest: subnet leases, 2 nodes: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    /**
     * A BIRD ToR on the nodes' L2 with an eBGP session to the node's IPv4 address and one to its
     * IPv6 address (BIRD 2 configured the usual way, one channel per session): the node's IPv6
     * block reaches the ToR's kernel over the IPv6 session, the ToR's IPv6 route reaches the node's,
     * and the ToR pings the pod's IPv6 address.
     */
    @Test
    void aBirdTorPeersWithTheNodeOverIpv6AsOverIpv4() {
        long t0 = System.nanoTime();
        try (SimCluster c = SimCluster.start(dual(0).withUnderlayV6(UNDERLAY6))) {
            dev.weft.testkit.Underlay.Node tor = c.underlay().addNode("tor");
            c.etcd().put(SimCluster.PREFIX + "/config", "{\"EnableIPv6\":true,\"IPv6Network\":\"" + NETWORK6
                    + "\",\"Network\":\"10.244.0.0/24\",\"Backend\":{\"Type\":\"bgp\",\"KeepaliveSeconds\":3,\"NodeMesh\":false,"
                    + "\"Peers\":[{\"PeerIP\":\"" + tor.address() + "\",\"ASNumber\":65001},{\"PeerIP\":\"" + tor.address6()
                    + "\",\"ASNumber\":65001}]},\"IPAM\":{\"Type\":\"blocks\",\"BlockSize\":26}}");
            SimCluster.Node n1 = c.addNode("n1");
            c.awaitSubnetEnv(n1, Duration.ofSeconds(60));
            SimCluster.Pod pod = c.addRoutedPod(n1);
            String block6 = blocks6(c).get("n1").iterator().next();
            dev.weft.testkit.bgp.BirdConfig cfg = dev.weft.testkit.bgp.BirdConfig.of(tor.address(), 65001).localV6(tor.address6())
                    .neighbour(dev.weft.testkit.bgp.BirdConfig.Neighbour.of("n1v4", n1.address()).peerAs(64512).passive().timers(9, 3))
                    .neighbour(dev.weft.testkit.bgp.BirdConfig.Neighbour.of("n1v6", n1.host().address6()).peerAs(64512).passive().timers(9, 3))
                    .staticRoute("fd00:99::/64");
            try (dev.weft.testkit.bgp.BirdPeer bird = dev.weft.testkit.bgp.BirdPeer.start(tor.netns(), cfg)) {
                bird.waitEstablished("n1v6", Duration.ofSeconds(20));
                ClusterAssertions.eventually(Duration.ofSeconds(15), () -> bird.routes(6).stream()
                        .anyMatch(r -> r.dst().equals(block6) && n1.host().address6().equals(r.gateway())),
                        "the ToR's kernel routes " + block6 + " via n1's IPv6 address");
                ClusterAssertions.eventually(Duration.ofSeconds(15), () -> KernelState.routes(n1.netns(), 6).stream()
                        .anyMatch(r -> "weft-bgp".equals(r.protocol()) && "fd00:99::/64".equals(r.dst()) && tor.address6().equals(r.gateway())),
                        "n1 routes the ToR's fd00:99::/64 via the ToR's IPv6 address");
                assertTrue(BgpSessions.details(n1, tor.address6()).contains("Established"), BgpSessions.table(n1));
                assertTrue(tor.tryExec("ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", podIpv6(pod)).ok(), "ToR -> pod over IPv6");
                bird.waitEstablished("n1v4", Duration.ofSeconds(20)); // the IPv4 session is its own: it may come up later
                ClusterAssertions.eventually(Duration.ofSeconds(15), () -> tor.tryExec("ping", "-c", "1", "-W", "1", pod.ip()).ok(),
                        "ToR -> pod over IPv4");
            }
        }
        System.out.println("CalicoDualStackE2eTest: BIRD ToR over IPv6: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    static String globalIpv6(SimCluster.Pod p) {
        return KernelState.addresses(p.netns().name(), "eth0").stream()
                .filter(x -> "inet6".equals(x.family()) && "global".equals(x.scope())).findFirst().orElseThrow().local();
    }

    /** The pod's global IPv6 address on its eth0 (weft-routed gives it as a /128). */
    static String podIpv6(SimCluster.Pod p) {
        List<AddrInfo> a = KernelState.addresses(p.netns().name(), "eth0").stream()
                .filter(x -> "inet6".equals(x.family()) && "global".equals(x.scope())).toList();
        assertEquals(1, a.size(), "one global IPv6 address in " + p.netns().name() + ": " + a);
        assertEquals(128, a.get(0).prefixlen());
        assertEquals(p.ip6(), a.get(0).local(), "the CNI result's IPv6 address");
        return a.get(0).local();
    }

    /** Each node's IPv6 blocks (affinity host:<node>), from the block keys with plain JSON. */
    static Map<String, Set<String>> blocks6(SimCluster c) {
        String out = c.etcd().etcdctl("get", "--prefix", SimCluster.PREFIX + "/ipam/v2/assignment/ipv6/block/");
        List<String> lines = out.lines().toList();
        Map<String, Set<String>> m = new TreeMap<>();
        for (int i = 0; i + 1 < lines.size(); i += 2) {
            try {
                JsonNode b = new ObjectMapper().readTree(lines.get(i + 1));
                String aff = b.path("affinity").asText("");
                if (aff.startsWith("host:")) {
                    m.computeIfAbsent(aff.substring(5), k -> new TreeSet<>()).add(b.get("cidr").asText());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return m;
    }

    static boolean inAny(String ip, Set<String> blocks) {
        dev.weft.net.IpAddress a = dev.weft.net.IpAddress.parse(ip);
        return blocks.stream().anyMatch(b -> dev.weft.net.Cidr.parse(b).contains(a));
    }

    /** Every other node's IPv6 blocks, via that node's IPv6 address. */
    static Set<String> expected6(SimCluster c, Map<String, Set<String>> blocks6, SimCluster.Node self) {
        Set<String> out = new TreeSet<>();
        for (SimCluster.Node o : c.nodes()) {
            if (o != self) {
                blocks6.getOrDefault(o.name(), Set.of()).forEach(b -> out.add(b + " via " + o.host().address6()));
            }
        }
        return out;
    }

    /** {@code ip -j -6 route}, protocol weft-bgp, unicast: "dst via gw", each out of eth0 without onlink. */
    static Set<String> learned6(SimCluster.Node n) {
        Set<String> out = new TreeSet<>();
        for (RouteInfo r : KernelState.routes(n.netns(), 6)) {
            if (r.protocol().equals("weft-bgp") && r.type().equals("unicast")) {
                assertEquals("eth0", r.dev(), r.raw().toString());
                assertFalse(r.flags().contains("onlink"), r.raw().toString());
                out.add(r.dst() + " via " + r.gateway());
            }
        }
        return out;
    }

    /** The host routes weft-routed made for IPv6 pods: {@code <pod>/128 dev <veth>}, no gateway. */
    static Set<String> hostRoutes6(SimCluster.Node n) {
        Set<String> out = new TreeSet<>();
        dev.weft.net.Cidr pool = dev.weft.net.Cidr.parse(NETWORK6);
        for (RouteInfo r : KernelState.routes(n.netns(), 6)) {
            if (r.type().equals("unicast") && r.gateway() == null && r.dev() != null && !r.dev().equals("eth0")
                    && !r.dst().contains("/") && pool.contains(dev.weft.net.IpAddress.parse(r.dst()))) {
                out.add(r.dst());
            }
        }
        return out;
    }

    static Set<String> localPods6(List<Pod6> pods, SimCluster.Node n) {
        Set<String> out = new TreeSet<>();
        pods.stream().filter(p -> p.pod().node() == n).forEach(p -> out.add(p.ip6()));
        return out;
    }

    static Set<String> blackholes6(SimCluster.Node n) {
        Set<String> out = new TreeSet<>();
        for (RouteInfo r : KernelState.routes(n.netns(), 6)) {
            if (r.type().equals("blackhole")) {
                assertEquals("weft-bgp", r.protocol(), r.raw().toString());
                out.add(r.dst());
            }
        }
        return out;
    }

    static String weftctl(SimCluster.Node n, String... args) {
        List<String> a = new ArrayList<>(List.of("--endpoint", "unix:" + n.dir().resolve("bgp.sock")));
        a.addAll(List.of(args));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Weftctl.run(a.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, rc, "weftctl " + a + ": " + err);
        return out.toString();
    }
}
