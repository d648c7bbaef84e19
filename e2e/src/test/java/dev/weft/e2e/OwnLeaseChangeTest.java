package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.daemon.Main;
import dev.weft.testkit.KernelTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: what happens when a node's own lease changes under it. Taken by someone else, the node
 * must move to another subnet: weftd exits with {@link Main#EXIT_LEASE_MOVED} without touching the
 * kernel, and the restart (as a DaemonSet does it) takes up the new subnet everywhere. Deleted and
 * acquired again with the same subnet, weftd carries on without an error.
 */
@KernelTest
class OwnLeaseChangeTest {
    private static final String TTL = "9s"; // renewals every 3 s: an overwritten key is noticed quickly

    private static String key(String subnet) {
        return SimCluster.PREFIX + "/subnets/" + ClusterAssertions.network(subnet).replace('/', '-');
    }

    private static boolean ping(SimCluster.Pod from, String to) {
        return from.netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", to).ok();
    }

    @Test
    void aNodeWhoseLeaseIsTakenExitsAndItsRestartServesTheNewSubnet() {
        try (SimCluster c = SimCluster.start(SimCluster.Options.of(2, "{\"Type\":\"vxlan\"}").withLeaseTtl(TTL))) {
            SimCluster.Node a = c.node(0);
            SimCluster.Node b = c.node(1);
            SimCluster.Pod oldPod = c.addPod(a);
            SimCluster.Pod podB = c.addPod(b);
            // each node learns the other's lease through its watch: the first ping waits for that
            ClusterAssertions.eventually(Duration.ofSeconds(15), () -> ping(oldPod, podB.ip()), "a -> b before the move");
            String oldSubnet = SimCluster.readSubnetEnv(a).get("FLANNEL_SUBNET");
            String bValue = c.etcd().etcdctl("get", "--print-value-only", key(SimCluster.readSubnetEnv(b).get("FLANNEL_SUBNET"))).strip();

            // A's key now holds another node's lease: A cannot keep its subnet and must move. That
            // node is a third one (B's lease with another PublicIP and VtepMAC): a copy of B's own
            // claims would be a duplicate lease, which LeaseSet settles by creation order.
            String otherValue = bValue.replaceAll("\"PublicIP\":\"(\\d+\\.\\d+\\.\\d+)\\.\\d+\"", "\"PublicIP\":\"$1.250\"")
                    .replaceAll("\"VtepMAC\":\"[0-9a-f:]+\"", "\"VtepMAC\":\"0a:00:00:00:02:50\"");
            assertNotEquals(bValue, otherValue, "a third node's lease made from B's: " + bValue);
            assertTrue(otherValue.contains(".250\"") && otherValue.contains("0a:00:00:00:02:50"), otherValue);
            c.etcd().put(key(oldSubnet), otherValue);
            int rc = a.weftd().restartAfterExit(Duration.ofSeconds(40));
            assertEquals(Main.EXIT_LEASE_MOVED, rc, "exit code of a weftd whose subnet moved:\n" + a.weftd().logTail(3000));
            String log = a.weftd().logTail(20_000);
            assertTrue(log.contains("moved from " + ClusterAssertions.network(oldSubnet)), "the exit names the old subnet:\n" + log);

            // The restarted weftd takes up a new subnet and reconciles: subnet.env, device, bridge.
            ClusterAssertions.eventually(Duration.ofSeconds(30),
                    () -> !oldSubnet.equals(SimCluster.readSubnetEnv(a).get("FLANNEL_SUBNET")), "subnet.env of the new subnet");
            String newSubnet = SimCluster.readSubnetEnv(a).get("FLANNEL_SUBNET");
            assertNotEquals(ClusterAssertions.network(oldSubnet), ClusterAssertions.network(newSubnet));
            SimCluster.Pod newPod = c.addPod(a);
            String prefix = newSubnet.substring(0, newSubnet.lastIndexOf('.') + 1);
            assertTrue(newPod.ip().startsWith(prefix), "new pod " + newPod.ip() + " in " + newSubnet);
            ClusterAssertions.eventually(Duration.ofSeconds(20), () -> ping(newPod, podB.ip()), "new pod on a -> pod on b");
            assertTrue(ping(podB, newPod.ip()), "pod on b -> new pod on a");
            assertTrue(a.weftd().isAlive() && b.weftd().isAlive());
        }
    }

    @Test
    void aDeletedOwnKeyAcquiredAgainWithTheSameSubnetLogsNoErrorAndKeepsServing() {
        try (SimCluster c = SimCluster.start(SimCluster.Options.of(2, "{\"Type\":\"vxlan\"}").withLeaseTtl(TTL))) {
            SimCluster.Node a = c.node(0);
            SimCluster.Pod podA = c.addPod(a);
            SimCluster.Pod podB = c.addPod(c.node(1));
            String subnet = SimCluster.readSubnetEnv(a).get("FLANNEL_SUBNET");
            long from = a.weftd().logSize();

            c.etcd().etcdctl("del", key(subnet));
            // Done once the lease is back and weftd has either taken it up or complained.
            ClusterAssertions.eventually(Duration.ofSeconds(20), () -> {
                String l = a.weftd().logFrom(from);
                return l.contains("acquired again") && (l.contains("same subnet") || l.contains("ERROR"));
            }, "weftd took the re-acquired lease up");
            String log = a.weftd().logFrom(from);
            assertFalse(log.contains("ERROR"), "no error for a same-subnet re-acquisition:\n" + log);
            assertTrue(a.weftd().isAlive(), "still running");
            assertEquals(subnet, SimCluster.readSubnetEnv(a).get("FLANNEL_SUBNET"));
            assertTrue(ClusterAssertions.leases(c).containsKey(ClusterAssertions.network(subnet)), "the key is back");
            assertTrue(ping(podA, podB.ip()), "a -> b after the re-acquisition");
            assertTrue(ping(c.addPod(a), podB.ip()), "a pod made afterwards reaches b");
        }
    }
}
