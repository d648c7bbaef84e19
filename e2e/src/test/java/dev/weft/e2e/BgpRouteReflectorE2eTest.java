package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testkit.KernelTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * weftd's bgp backend with {@code NodeMesh:false} and a route reflector (issue 14): n1 reflects for
 * three clients that do not peer with each other. Each client has exactly one session (with n1),
 * yet every node's kernel has every other node's subnet straight via that node (the reflector keeps
 * the next hop), and pods on the clients reach each other and the reflector's pod.
 */
@KernelTest
class BgpRouteReflectorE2eTest {
    static final String NET_CONF = "{\"Type\":\"bgp\",\"KeepaliveSeconds\":3,\"NodeMesh\":false,"
            + "\"RouteReflector\":{\"ClusterID\":\"244.0.0.1\",\"Nodes\":[\"n1\"]}}";

    /** The peer lines of {@code weftctl bgp peers} (each starts with the peer's address). */
    static List<String> sessionLines(SimCluster.Node n) {
        List<String> out = new ArrayList<>();
        for (String line : BgpBackendE2eTest.peers(n).split("\n")) {
            if (line.matches("^\\d+\\.\\d+\\.\\d+\\.\\d+ .*")) {
                out.add(line);
            }
        }
        return out;
    }

    @Test
    void clientsLearnEachOtherThroughTheReflectorWithOneSessionEach() {
        long t0 = System.nanoTime();
        SimCluster.Options o = SimCluster.Options.of(4, NET_CONF)
                .withExtraArgs(List.of("-bgp-status-socket", BgpBackendE2eTest.SOCKET_ARG, "-node-name", SimCluster.NODE_NAME));
        try (SimCluster c = SimCluster.start(o)) {
            SimCluster.Node rr = c.node(0);
            List<SimCluster.Node> clients = c.nodes().subList(1, 4);
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(20), () -> BgpBackendE2eTest.expectedDirect(c, n),
                        () -> BgpBackendE2eTest.bgpRoutes(n), "bgp routes of " + n.name());
            }
            System.out.println("BgpRouteReflectorE2eTest: every route reflected after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            for (SimCluster.Node n : clients) {
                List<String> s = sessionLines(n);
                assertEquals(1, s.size(), n.name() + " has one session, with the reflector: " + BgpBackendE2eTest.peers(n));
                assertTrue(BgpBackendE2eTest.established(n, rr), BgpBackendE2eTest.peers(n));
                assertTrue(BgpBackendE2eTest.established(rr, n), BgpBackendE2eTest.peers(rr));
            }
            assertEquals(3, sessionLines(rr).size(), BgpBackendE2eTest.peers(rr));
            String rrLog = rr.weftd().logTail(20000);
            assertTrue(rrLog.contains("n1 is a route reflector (cluster id 244.0.0.1)"), rrLog);
            assertTrue(rrLog.contains("(route reflector client)"), rrLog);
            assertTrue(SimCluster.readSubnetEnv(rr).get("FLANNEL_SUBNET") != null);

            List<SimCluster.Pod> pods = new ArrayList<>();
            for (SimCluster.Node n : c.nodes()) {
                pods.add(c.addPod(n));
            }
            for (int i = 1; i < pods.size(); i++) {
                SimCluster.Pod from = pods.get(i);
                for (SimCluster.Pod to : pods) {
                    if (to != from) {
                        assertTrue(from.netns().tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", to.ip()).ok(),
                                from.node().name() + " pod -> " + to.node().name() + " pod");
                    }
                }
            }
        }
        System.out.println("BgpRouteReflectorE2eTest: total " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }
}
