package dev.weft.e2e;

import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.NeighInfo;
import dev.weft.testkit.RouteInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The calico-like stack end to end (issue 15): three nodes on the bgp backend with Encap None and
 * block IPAM, pods made by weft-routed + weft-ipam as separate processes, real etcd and kernel.
 * The nodes lease no subnet: each registers under {@code <prefix>/nodes/<name>} and the mesh comes
 * from the registrations. Network is a /25 of two /26 blocks, so two nodes claim one block each and
 * the third (StrictAffinity false) borrows addresses from them, which it announces as /32s.
 */
@KernelTest
class CalicoModeE2eTest {
    static final SimCluster.Options CALICO = SimCluster.Options.calico(3, "10.244.0.0/25",
            "{\"Type\":\"bgp\",\"Encap\":\"None\",\"KeepaliveSeconds\":3}", "{\"Type\":\"blocks\",\"BlockSize\":26,\"StrictAffinity\":false}");

    @Test
    void podsOfThreeNodesReachEachOtherOverAnnouncedBlocksAndBorrowedAddresses() {
        try (SimCluster c = SimCluster.start(CALICO)) {
            // no subnet leases: registrations instead, one per node
            assertEquals("", c.etcd().etcdctl("get", "--prefix", "--keys-only", SimCluster.PREFIX + "/subnets/").strip(),
                    "a node on block IPAM leases no subnet");
            for (SimCluster.Node n : c.nodes()) {
                String reg = c.etcd().get(SimCluster.PREFIX + "/nodes/" + n.name()).orElseThrow();
                assertTrue(reg.contains("\"PublicIP\":\"" + n.address() + "\"") && reg.contains("\"ASNumber\":64512")
                        && reg.contains("\"NodeName\":\"" + n.name() + "\""), reg);
                assertFalse(SimCluster.readSubnetEnv(n).containsKey("FLANNEL_SUBNET"), "no subnet in subnet.env");
            }
            List<SimCluster.Pod> pods = new ArrayList<>();
            for (SimCluster.Node n : c.nodes()) {
                pods.add(c.addRoutedPod(n));
                pods.add(c.addRoutedPod(n));
            }
            BlockState ipam = BlockState.read(c.etcd(), SimCluster.PREFIX);
            List<SimCluster.Node> borrowers = c.nodes().stream().filter(n -> ipam.blocksOf(n.name()).isEmpty()).toList();
            assertEquals(1, borrowers.size(), "two /26 blocks for three nodes: one node borrows " + ipam);
            SimCluster.Node borrower = borrowers.get(0);
            Cmd.Result table = NodeTable.run(c, c.node(0));
            assertEquals(0, table.exitCode(), table.toString());
            for (SimCluster.Node n : c.nodes()) {
                String blocks = ipam.blocksOf(n.name()).isEmpty() ? "-" : String.join(",", ipam.blocksOf(n.name()));
                assertTrue(table.stdout().lines().anyMatch(l -> l.startsWith(n.name() + " ") && l.contains(" " + n.address() + " ")
                        && l.contains(" " + blocks + " ")), "weftctl nodes lists " + n.name() + " with " + blocks + ":\n" + table.stdout());
            }
            for (SimCluster.Pod p : pods) {
                assertEquals(p.node() == borrower, ipam.borrowedBy(p.node().name()).contains(p.ip()), p + " in " + ipam);
            }

            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(20), () -> expectedLearned(c, n), () -> learned(n),
                        "routes " + n.name() + " learned over BGP");
                assertEquals(localPods(pods, n), hostRoutes(n), "a /32 per local pod on " + n.name());
                assertEquals(blackholes(ipam.blocksOf(n.name())), blackholeRoutes(n), "a blackhole per own block on " + n.name());
                assertEquals(List.of(), KernelState.links(n.netns()).stream().filter(l -> "bridge".equals(l.kind()))
                        .map(LinkInfo::ifname).toList(), "no bridge on " + n.name());
            }
            for (SimCluster.Pod a : pods) {
                // the gateway: 169.254.1.1 answered by the host's proxy ARP, and the node itself
                Cmd.Result toNode = a.netns().tryExec("ping", "-c", "1", "-W", "2", a.node().address());
                assertTrue(toNode.ok(), a.ip() + " -> its node " + a.node().address() + ": " + toNode);
                assertTrue(KernelState.neighbours(a.netns().name(), 4, "eth0").stream()
                        .anyMatch(nb -> "169.254.1.1".equals(nb.dst()) && "ee:ee:ee:ee:ee:ee".equals(nb.lladdr())),
                        "169.254.1.1 resolved to the host veth in " + a.netns().name());
                for (SimCluster.Pod b : pods) {
                    if (a != b) {
                        Cmd.Result r = a.netns().tryExec("ping", "-c", "1", "-W", "2", b.ip());
                        assertTrue(r.ok(), a.ip() + " on " + a.node().name() + " -> " + b.ip() + " on " + b.node().name() + ": " + r);
                    }
                }
            }

            // the announcements follow allocation: a new borrowed address appears everywhere, a released one goes,
            // and no session is reset on the way
            SimCluster.Pod late = c.addRoutedPod(borrower);
            assertTrue(BlockState.read(c.etcd(), SimCluster.PREFIX).borrowedBy(borrower.name()).contains(late.ip()), late.ip());
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(10), () -> expectedLearned(c, n), () -> learned(n),
                        "routes of " + n.name() + " after a pod on " + borrower.name());
            }
            assertTrue(pods.get(0).netns().tryExec("ping", "-c", "1", "-W", "2", late.ip()).ok(), "reach " + late.ip());
            c.removePod(late);
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(10), () -> expectedLearned(c, n), () -> learned(n),
                        "routes of " + n.name() + " after the pod on " + borrower.name() + " went");
                assertFalse(learned(n).contains(late.ip() + " via " + borrower.address()), late.ip() + " withdrawn on " + n.name());
                for (SimCluster.Node peer : c.nodes()) {
                    if (peer != n) {
                        String d = BgpSessions.details(n, peer.address());
                        assertTrue(d.contains("Established") && d.contains("flaps 0"), n.name() + " -> " + peer.name() + ":\n" + d);
                    }
                }
            }
        }
    }

    /** What a node must have learned: every other node's blocks and borrowed addresses, via that node. */
    static Set<String> expectedLearned(SimCluster c, SimCluster.Node self) {
        BlockState s = BlockState.read(c.etcd(), SimCluster.PREFIX);
        Set<String> out = new TreeSet<>();
        for (SimCluster.Node o : c.nodes()) {
            if (o != self) {
                s.blocksOf(o.name()).forEach(b -> out.add(b + " via " + o.address()));
                s.borrowedBy(o.name()).forEach(a -> out.add(a + " via " + o.address()));
            }
        }
        return out;
    }

    /** The node's routes from its BGP speaker ({@code ip -j route}, protocol weft-bgp), as "dst via gw" (a /32 without its length). */
    static Set<String> learned(SimCluster.Node n) {
        return learnedOn(n, "eth0");
    }

    /** The same, every route on {@code dev} ("eth0" for Encap None, "tunl0" for IPIP, on-link there). */
    static Set<String> learnedOn(SimCluster.Node n, String dev) {
        Set<String> out = new TreeSet<>();
        for (RouteInfo r : KernelState.routes(n.netns(), 4)) {
            if (r.protocol().equals("weft-bgp") && r.type().equals("unicast")) {
                assertEquals(dev, r.dev(), r.raw().toString());
                assertTrue(dev.equals("eth0") || r.flags().contains("onlink"), "on-link via tunl0: " + r.raw());
                out.add(r.dst() + " via " + r.gateway());
            }
        }
        return out;
    }

    /** The host routes weft-routed made: {@code <pod> dev <veth> scope link}. */
    static Set<String> hostRoutes(SimCluster.Node n) {
        Set<String> out = new TreeSet<>();
        for (RouteInfo r : KernelState.routes(n.netns(), 4)) {
            if ("link".equals(r.scope()) && r.gateway() == null && r.dev() != null && !r.dev().equals("eth0")
                    && r.type().equals("unicast")) {
                out.add(r.dst());
            }
        }
        return out;
    }

    static Set<String> localPods(List<SimCluster.Pod> pods, SimCluster.Node n) {
        Set<String> out = new TreeSet<>();
        pods.stream().filter(p -> p.node() == n).forEach(p -> out.add(p.ip()));
        return out;
    }

    static Set<String> blackholeRoutes(SimCluster.Node n) {
        Set<String> out = new TreeSet<>();
        for (RouteInfo r : KernelState.routes(n.netns(), 4)) {
            if (r.type().equals("blackhole")) {
                out.add(r.dst());
            }
        }
        return out;
    }

    static Set<String> blackholes(Set<String> blocks) {
        return new TreeSet<>(blocks);
    }
}
