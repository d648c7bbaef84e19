package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testkit.KernelTest;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Tests 5 and 6: many daemons at once, a full network, and hostile leases that change nothing. */
@KernelTest
class ScaleAndHostileTest {

    @Test
    void twentyDaemonsAtOnceGetTwentyDistinctSubnets() {
        try (SimCluster c = SimCluster.start(SimCluster.Options.of(20, "{\"Type\":\"host-gw\"}"))) {
            Set<String> subnets = new HashSet<>();
            for (SimCluster.Node n : c.nodes()) {
                subnets.add(SimCluster.readSubnetEnv(n).get("FLANNEL_SUBNET"));
                assertTrue(n.weftd().isAlive(), n.name() + " crashed:\n" + n.weftd().logTail(2000));
            }
            assertEquals(20, subnets.size(), "distinct subnets: " + subnets);
            assertEquals(20, ClusterAssertions.leases(c).size());
        }
    }

    @Test
    void aFullNetworkGivesTheFifthDaemonAClearError() {
        String conf = "{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":24,\"SubnetMin\":\"10.5.1.0\",\"SubnetMax\":\"10.5.4.0\",\"Backend\":{\"Type\":\"host-gw\"}}";
        try (SimCluster c = SimCluster.start(SimCluster.Options.of(4, null).withNetConf(conf))) {
            SimCluster.Node fifth = c.addNode("n5");
            ClusterAssertions.eventually(Duration.ofSeconds(60), () -> !fifth.weftd().isAlive(), "the fifth weftd gives up");
            String log = fifth.weftd().logTail(4000);
            assertTrue(log.contains("out of subnets"), log);
            assertEquals(4, ClusterAssertions.leases(c).size());
        }
    }

    @Test
    void hostileLeasesChangeNothingInAnyKernel() {
        try (SimCluster c = SimCluster.start(SimCluster.Options.of(2, "{\"Type\":\"vxlan\"}"))) {
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(15), () -> ClusterAssertions.expectedVxlan(c, n),
                        () -> ClusterAssertions.actualVxlan(n), "initial state of " + n.name());
            }
            Map<String, Set<String>> before = new java.util.HashMap<>();
            for (SimCluster.Node n : c.nodes()) {
                before.put(n.name(), ClusterAssertions.actualVxlan(n));
            }
            String p = SimCluster.PREFIX + "/subnets/";
            List<String[]> hostile = List.of(
                    new String[] {p + "10.244.200.0-24", "{not json"},
                    new String[] {p + "10.99.1.0-24", "{\"PublicIP\":\"192.168.213.201\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:00:00:00:00:01\"}}"},
                    new String[] {p + "10.244.201.0-24", "{\"PublicIP\":\"0.0.0.0\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:00:00:00:00:02\"}}"},
                    new String[] {p + "10.244.202.0-24", "{\"PublicIP\":\"224.0.0.5\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:00:00:00:00:03\"}}"},
                    new String[] {p + "10.244.203.0-24", "{\"PublicIP\":\"192.168.213.203\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"zz:zz\"}}"},
                    new String[] {p + "10.244.204.0-16", "{\"PublicIP\":\"192.168.213.204\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:00:00:00:00:04\"}}"},
                    new String[] {p + "garbage-key", "{\"PublicIP\":\"192.168.213.205\"}"});
            for (String[] kv : hostile) {
                c.etcd().put(kv[0], kv[1]);
            }
            // A valid lease written after them proves the watchers are alive and past the garbage.
            c.etcd().put(p + "10.244.210.0-24", "{\"PublicIP\":\"192.168.213.210\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:00:00:00:02:10\"}}");
            for (SimCluster.Node n : c.nodes()) {
                Set<String> want = new java.util.TreeSet<>(before.get(n.name()));
                want.add("route 10.244.210.0/24 via 10.244.210.0 onlink");
                want.add("neigh 10.244.210.0 0e:00:00:00:02:10");
                want.add("fdb 0e:00:00:00:02:10 192.168.213.210");
                ClusterAssertions.eventually(Duration.ofSeconds(15), () -> want, () -> ClusterAssertions.actualVxlan(n),
                        n.name() + ": only the valid lease was programmed");
                assertTrue(n.weftd().isAlive());
            }
        }
    }
}
