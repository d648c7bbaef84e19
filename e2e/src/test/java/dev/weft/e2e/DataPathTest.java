package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Test 1 of the weftd issue: for vxlan, host-gw and vxlan with DirectRouting, pods on different
 * nodes ping each other both ways, a 5 s iperf3 run succeeds, and each node's kernel state matches
 * the other nodes' leases exactly.
 */
@KernelTest
class DataPathTest {

    @ParameterizedTest
    @ValueSource(strings = {"vxlan", "host-gw", "vxlan-direct"})
    void podsTalkAcrossNodesAndKernelStateMatchesLeases(String backend) {
        String json = switch (backend) {
            case "vxlan" -> "{\"Type\":\"vxlan\"}";
            case "host-gw" -> "{\"Type\":\"host-gw\"}";
            default -> "{\"Type\":\"vxlan\",\"DirectRouting\":true}";
        };
        try (SimCluster c = SimCluster.start(SimCluster.Options.of(3, json))) {
            SimCluster.Pod a = c.addPod(c.node(0));
            SimCluster.Pod b = c.addPod(c.node(1));
            SimCluster.Pod d = c.addPod(c.node(2));
            for (SimCluster.Node n : c.nodes()) {
                if (backend.equals("vxlan")) {
                    ClusterAssertions.eventually(Duration.ofSeconds(15), () -> ClusterAssertions.expectedVxlan(c, n),
                            () -> ClusterAssertions.actualVxlan(n), "vxlan state of " + n.name());
                    assertTrue(KernelState.requireLink(n.netns(), "flannel.1").mtu() == 1450);
                } else if (backend.equals("host-gw")) {
                    ClusterAssertions.eventually(Duration.ofSeconds(15), () -> ClusterAssertions.expectedHostGw(c, n),
                            () -> ClusterAssertions.actualHostGw(n), "host-gw routes of " + n.name());
                    assertTrue(KernelState.link(n.netns(), "flannel.1").isEmpty());
                } else {
                    // All nodes share one L2 segment: DirectRouting gives plain routes via the peer, no neigh/FDB.
                    ClusterAssertions.eventually(Duration.ofSeconds(15), () -> ClusterAssertions.expectedHostGw(c, n),
                            () -> ClusterAssertions.actualHostGw(n), "direct routes of " + n.name());
                    assertTrue(ClusterAssertions.actualVxlan(n).isEmpty(), "no tunnel entries for same-L2 peers");
                }
            }
            assertTrue(a.netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", b.ip()).ok(), "a -> b");
            assertTrue(b.netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", a.ip()).ok(), "b -> a");
            assertTrue(d.netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", a.ip()).ok(), "d -> a");
            String gbps = Iperf.run(a, b, 5);
            assertFalse(gbps.startsWith("FAILED"), gbps);
            System.out.println("DataPathTest " + backend + ": iperf3 5 s " + gbps);
        }
    }
}
