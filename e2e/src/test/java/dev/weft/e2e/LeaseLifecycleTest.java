package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testkit.KernelTest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Test 2: an expired or deleted lease removes the node everywhere; a node that comes back gets its subnet again. */
@KernelTest
class LeaseLifecycleTest {

    @Test
    void expiryAndDeletionRemoveTheNodeEverywhereAndItComesBackWithTheSameSubnet() {
        try (SimCluster c = SimCluster.start(SimCluster.Options.of(3, "{\"Type\":\"vxlan\"}").withLeaseTtl("8s"))) {
            SimCluster.Node n1 = c.node(0);
            SimCluster.Node n2 = c.node(1);
            SimCluster.Node n3 = c.node(2);
            String subnet2 = SimCluster.readSubnetEnv(n2).get("FLANNEL_SUBNET");
            String net2 = ClusterAssertions.network(subnet2);
            for (SimCluster.Node n : List.of(n1, n3)) {
                ClusterAssertions.eventually(Duration.ofSeconds(15), () -> ClusterAssertions.actualVxlan(n).stream()
                        .anyMatch(s -> s.startsWith("route " + net2)), n.name() + " has n2's route");
            }
            // n2 crashes: nobody renews its lease; after the TTL it is gone from every other node.
            n2.weftd().kill();
            for (SimCluster.Node n : List.of(n1, n3)) {
                ClusterAssertions.eventually(Duration.ofSeconds(30), () -> ClusterAssertions.actualVxlan(n).stream()
                        .noneMatch(s -> s.contains(net2.split("/")[0])), n.name() + " dropped n2's route, neigh and FDB");
                ClusterAssertions.eventually(Duration.ofSeconds(5), () -> ClusterAssertions.expectedVxlan(c, n),
                        () -> ClusterAssertions.actualVxlan(n), n.name() + " matches the remaining leases");
            }
            // n2 comes back: same subnet (subnet.env and its PublicIP), and everyone programs it again.
            n2.weftd().start();
            ClusterAssertions.eventually(Duration.ofSeconds(30), () -> ClusterAssertions.leases(c).containsKey(net2), "n2 leased again");
            assertEquals(subnet2, SimCluster.readSubnetEnv(n2).get("FLANNEL_SUBNET"));
            for (SimCluster.Node n : List.of(n1, n3)) {
                ClusterAssertions.eventually(Duration.ofSeconds(15), () -> ClusterAssertions.expectedVxlan(c, n),
                        () -> ClusterAssertions.actualVxlan(n), n.name() + " has n2 again");
            }
            // Deleting n3's key while its weftd is stopped removes it from the others at once.
            n3.weftd().stop();
            String net3 = ClusterAssertions.network(SimCluster.readSubnetEnv(n3).get("FLANNEL_SUBNET"));
            c.etcd().etcdctl("del", SimCluster.PREFIX + "/subnets/" + net3.replace('/', '-'));
            ClusterAssertions.eventually(Duration.ofSeconds(10), () -> ClusterAssertions.actualVxlan(n1).stream()
                    .noneMatch(s -> s.contains(net3.split("/")[0])), "n1 dropped n3 after its key was deleted");
            assertTrue(n1.weftd().isAlive() && n2.weftd().isAlive());
        }
    }
}
