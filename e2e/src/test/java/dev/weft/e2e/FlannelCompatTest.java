package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testkit.KernelTest;
import dev.weft.testkit.Underlay;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Test 7: the lease JSON weftd writes is flannel's format byte for byte, and a node built by hand
 * the way flanneld builds one (plain ip commands: kernel vxlan, its MAC and VNI) whose lease is
 * written in flannel's format is programmed, and pods reach it.
 */
@KernelTest
class FlannelCompatTest {
    private static final Pattern FLANNEL_VXLAN_LEASE = Pattern.compile(
            "\\{\"PublicIP\":\"192\\.168\\.213\\.\\d+\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
                    + "\"BackendData\":\\{\"VNI\":1,\"VtepMAC\":\"([0-9a-f]{2}:){5}[0-9a-f]{2}\"}}");

    @Test
    void leaseFormatIsFlannelsAndAHandBuiltFlannelNodeIsReachable() {
        try (SimCluster c = SimCluster.start(SimCluster.Options.of(1, "{\"Type\":\"vxlan\"}")
                .withExtraArgs(java.util.List.of("-healthz-ip", "127.0.0.1", "-healthz-port", "18081")))) {
            SimCluster.Node n1 = c.node(0);
            // Ready: lease held, backend up, subnet.env written.
            ClusterAssertions.eventually(Duration.ofSeconds(10), () -> n1.host().tryExec("curl", "-sf", "http://127.0.0.1:18081/readyz").ok(),
                    "/readyz answers 200");
            assertTrue(n1.host().exec("curl", "-sf", "http://127.0.0.1:18081/healthz").stdout().contains("weftd is running"));
            String net1 = ClusterAssertions.network(SimCluster.readSubnetEnv(n1).get("FLANNEL_SUBNET"));
            String raw = c.etcd().etcdctl("get", "--print-value-only", SimCluster.PREFIX + "/subnets/" + net1.replace('/', '-')).strip();
            assertTrue(FLANNEL_VXLAN_LEASE.matcher(raw).matches(), "lease JSON not in flannel's exact format: " + raw);

            // A "flannel node" made by hand: vxlan id 1, dstport 8472, nolearning, its own MAC, subnet 10.244.77.0/24.
            Underlay.Node h = c.underlay().addNode("hand");
            String mac = "0e:77:77:77:77:01";
            h.exec("ip", "link", "add", "flannel.1", "address", mac, "type", "vxlan", "id", "1", "local", h.address(), "dev", "eth0",
                    "dstport", "8472", "nolearning");
            h.exec("ip", "addr", "add", "10.244.77.0/32", "dev", "flannel.1");
            h.exec("ip", "link", "set", "flannel.1", "up");
            h.exec("ip", "link", "add", "wt-pod", "type", "bridge");
            h.exec("ip", "addr", "add", "10.244.77.1/24", "dev", "wt-pod");
            h.exec("ip", "link", "set", "wt-pod", "up");
            h.exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
            // and its view of n1, exactly as flanneld would program it
            var lease1 = ClusterAssertions.leases(c).get(net1);
            String mac1 = lease1.path("BackendData").path("VtepMAC").asText();
            String s0 = net1.split("/")[0];
            h.exec("ip", "neigh", "replace", s0, "lladdr", mac1, "dev", "flannel.1", "nud", "permanent");
            h.exec("bridge", "fdb", "replace", mac1, "dev", "flannel.1", "dst", n1.address(), "self", "permanent");
            h.exec("ip", "route", "replace", net1, "via", s0, "dev", "flannel.1", "onlink");
            c.etcd().put(SimCluster.PREFIX + "/subnets/10.244.77.0-24",
                    "{\"PublicIP\":\"" + h.address() + "\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}}");

            ClusterAssertions.eventually(Duration.ofSeconds(15), () -> ClusterAssertions.actualVxlan(n1).contains("fdb " + mac + " " + h.address()),
                    "n1 programmed the hand-made flannel lease");
            assertTrue(ClusterAssertions.actualVxlan(n1).contains("route 10.244.77.0/24 via 10.244.77.0 onlink"));
            SimCluster.Pod pod = c.addPod(n1);
            assertTrue(pod.netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", "10.244.77.1").ok(),
                    "a pod on weftd's node reaches the hand-built flannel node");
            assertEquals(2, ClusterAssertions.leases(c).size());
            c.underlay().removeNode("hand");
        }
    }
}
