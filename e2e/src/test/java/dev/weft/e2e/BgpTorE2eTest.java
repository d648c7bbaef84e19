package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.Underlay;
import dev.weft.testkit.bgp.BirdConfig;
import dev.weft.testkit.bgp.BirdPeer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * weftd's bgp backend with a BIRD top-of-rack router on the nodes' L2 (issue 14), its config built
 * here with the testkit's {@link BirdConfig}. First eBGP ({@code NodeMesh:false}, {@code Peers} with
 * AS 65001): BIRD learns every node's subnet, installs it in its namespace's kernel straight via the
 * node, and a ping from the ToR's namespace reaches a pod; the nodes learn no pod route from it
 * (their own AS is in the path). Then BIRD is an iBGP route reflector for the nodes (AS 64512,
 * {@code rr client}) and the nodes learn each other's subnets through it, with the next hop of the
 * node that owns each, and pods talk across nodes.
 */
@KernelTest
class BgpTorE2eTest {
    static final long TOR_AS = 65001;
    static final long NODE_AS = 64512;

    static String netConf(String torIp, long peerAs) {
        return "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"bgp\",\"KeepaliveSeconds\":3,\"NodeMesh\":false,"
                + "\"Peers\":[{\"PeerIP\":\"" + torIp + "\",\"ASNumber\":" + peerAs + "}]}}";
    }

    static BirdConfig tor(Underlay.Node tor, long as, List<SimCluster.Node> nodes, boolean reflect) {
        BirdConfig b = BirdConfig.of(tor.address(), as);
        for (SimCluster.Node n : nodes) {
            BirdConfig.Neighbour nb = BirdConfig.Neighbour.of(n.name(), n.address()).peerAs(NODE_AS).passive()
                    .timers(9, 3).gracefulRestart();
            b.neighbour(reflect ? nb.rrClient("244.0.0.1") : nb);
        }
        return b;
    }

    /** The ToR's kernel routes BIRD installed, as "dst via gw dev d". */
    static Set<String> torRoutes(BirdPeer bird) {
        Set<String> s = new TreeSet<>();
        for (RouteInfo r : KernelState.routes(bird.netns(), 4)) {
            if (r.protocol().equals(BirdPeer.KERNEL_PROTOCOL)) {
                s.add(r.dst() + " via " + r.gateway() + " dev " + r.dev());
            }
        }
        return s;
    }

    @Test
    void torLearnsEveryNodeOverEbgpThenReflectsTheNodesToEachOtherOverIbgp() {
        long t0 = System.nanoTime();
        SimCluster.Options o = SimCluster.Options.of(0, "{\"Type\":\"bgp\"}")
                .withExtraArgs(List.of("-bgp-status-socket", BgpBackendE2eTest.SOCKET_ARG, "-node-name", SimCluster.NODE_NAME));
        try (SimCluster c = SimCluster.start(o)) {
            Underlay.Node torHost = c.underlay().addNode("tor");
            c.etcd().put(SimCluster.PREFIX + "/config", netConf(torHost.address(), TOR_AS));
            for (String name : List.of("n1", "n2", "n3")) {
                c.addNode(name);
            }
            for (SimCluster.Node n : c.nodes()) {
                c.awaitSubnetEnv(n, Duration.ofSeconds(60));
            }
            Set<String> all = new TreeSet<>();
            for (SimCluster.Node n : c.nodes()) {
                all.add(BgpBackendE2eTest.subnet(n) + " via " + n.address() + " dev eth0");
            }
            SimCluster.Pod pod = c.addPod(c.node(1));
            try (BirdPeer bird = BirdPeer.start(torHost.netns(), tor(torHost, TOR_AS, c.nodes(), false))) {
                try {
                    ClusterAssertions.eventually(Duration.ofSeconds(20), () -> all, () -> torRoutes(bird), "the ToR's kernel routes");
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\n" + bird.birdc("show", "protocols").stdout()
                            + "\n" + c.node(0).weftd().logTail(4000), e);
                }
                System.out.println("BgpTorE2eTest: eBGP ToR has every node's subnet after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
                assertTrue(torHost.tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", pod.ip()).ok(), "ToR -> pod on n2");
                for (SimCluster.Node n : c.nodes()) {
                    assertTrue(BgpBackendE2eTest.peers(n).contains(torHost.address() + " "), BgpBackendE2eTest.peers(n));
                    assertEquals(Set.of(), BgpBackendE2eTest.bgpRoutes(n),
                            n.name() + " learns no pod route back from the eBGP ToR (its own AS is in the path)");
                }
            }

            // The ToR becomes the nodes' iBGP route reflector: a new net-conf, every weftd restarted with it.
            c.etcd().put(SimCluster.PREFIX + "/config", netConf(torHost.address(), NODE_AS));
            try (BirdPeer bird = BirdPeer.start(torHost.netns(), tor(torHost, NODE_AS, c.nodes(), true))) {
                for (SimCluster.Node n : c.nodes()) {
                    n.weftd().restart();
                }
                for (SimCluster.Node n : c.nodes()) {
                    try {
                        ClusterAssertions.eventually(Duration.ofSeconds(20), () -> BgpBackendE2eTest.expectedDirect(c, n),
                                () -> BgpBackendE2eTest.bgpRoutes(n), "routes " + n.name() + " learned through the reflector");
                    } catch (AssertionError e) {
                        throw new AssertionError(e.getMessage() + "\n" + bird.birdc("show", "protocols").stdout()
                                + "\n" + BgpBackendE2eTest.peers(n) + "\n" + n.weftd().logTail(4000), e);
                    }
                }
                System.out.println("BgpTorE2eTest: nodes learned each other through the BIRD reflector after "
                        + (System.nanoTime() - t0) / 1_000_000 + " ms");
                SimCluster.Pod a = c.addPod(c.node(0));
                SimCluster.Pod b = c.addPod(c.node(2));
                assertTrue(a.netns().tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", b.ip()).ok(), "n1 pod -> n3 pod");
                assertTrue(a.netns().tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", pod.ip()).ok(), "n1 pod -> n2 pod");
            }
        }
        System.out.println("BgpTorE2eTest: total " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }
}
