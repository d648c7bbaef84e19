package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.FdbInfo;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.NeighInfo;
import dev.weft.testkit.RouteInfo;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/** Reads a node's overlay state through ip -j / bridge -j and compares it with the leases in etcd. */
final class ClusterAssertions {
    static final ObjectMapper JSON = new ObjectMapper();

    private ClusterAssertions() {
    }

    /** subnet → lease JSON for every lease in etcd. */
    static Map<String, JsonNode> leases(SimCluster c) {
        Map<String, JsonNode> m = new TreeMap<>();
        String out = c.etcd().etcdctl("get", "--prefix", SimCluster.PREFIX + "/subnets/");
        String[] lines = out.split("\n");
        for (int i = 0; i + 1 < lines.length; i += 2) {
            String key = lines[i].substring(lines[i].lastIndexOf('/') + 1);
            try {
                m.put(key.replace('-', '/'), JSON.readTree(lines[i + 1]));
            } catch (java.io.IOException e) {
                m.put(key.replace('-', '/'), null);
            }
        }
        return m;
    }

    /** What a vxlan node should have for every other lease: route S via S0 onlink, neigh S0→MAC, FDB MAC→PublicIP. */
    static Set<String> expectedVxlan(SimCluster c, SimCluster.Node self) {
        Set<String> s = new TreeSet<>();
        String own = SimCluster.readSubnetEnv(self).get("FLANNEL_SUBNET");
        for (var e : leases(c).entrySet()) {
            JsonNode l = e.getValue();
            if (l == null || network(e.getKey()).equals(network(own))) {
                continue;
            }
            String s0 = e.getKey().split("/")[0];
            String mac = l.path("BackendData").path("VtepMAC").asText();
            s.add("route " + e.getKey() + " via " + s0 + " onlink");
            s.add("neigh " + s0 + " " + mac);
            s.add("fdb " + mac + " " + l.path("PublicIP").asText());
        }
        return s;
    }

    static Set<String> actualVxlan(SimCluster.Node n) {
        Set<String> s = new TreeSet<>();
        for (RouteInfo r : KernelState.routes(n.netns(), 4, "main")) {
            if ("flannel.1".equals(r.dev()) && r.gateway() != null) {
                s.add("route " + r.dst() + " via " + r.gateway() + (r.flags().contains("onlink") ? " onlink" : ""));
            }
        }
        for (NeighInfo ne : KernelState.neighbours(n.netns(), 4, "flannel.1")) {
            if (ne.isPermanent()) {
                s.add("neigh " + ne.dst() + " " + ne.lladdr());
            }
        }
        for (FdbInfo f : KernelState.fdb(n.netns(), "flannel.1")) {
            if (f.dst() != null && f.isPermanent()) {
                s.add("fdb " + f.mac() + " " + f.dst());
            }
        }
        return s;
    }

    static Set<String> expectedHostGw(SimCluster c, SimCluster.Node self) {
        Set<String> s = new TreeSet<>();
        String own = SimCluster.readSubnetEnv(self).get("FLANNEL_SUBNET");
        for (var e : leases(c).entrySet()) {
            if (e.getValue() == null || network(e.getKey()).equals(network(own))) {
                continue;
            }
            s.add("route " + e.getKey() + " via " + e.getValue().path("PublicIP").asText() + " dev eth0");
        }
        return s;
    }

    static Set<String> actualHostGw(SimCluster.Node n) {
        Set<String> s = new TreeSet<>();
        for (RouteInfo r : KernelState.routes(n.netns(), 4, "main")) {
            if ("eth0".equals(r.dev()) && r.gateway() != null && r.dst().startsWith("10.")) {
                s.add("route " + r.dst() + " via " + r.gateway() + " dev eth0");
            }
        }
        return s;
    }

    static String network(String cidr) {
        return dev.weft.net.Cidr.parse(cidr).network().toString();
    }

    /** Waits until two computed values agree, then asserts it (so the failure shows both). */
    static <T> void eventually(Duration timeout, Supplier<T> expected, Supplier<T> actual, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T e = expected.get();
        T a = actual.get();
        while (!e.equals(a) && System.nanoTime() < deadline) {
            SimCluster.sleep(250);
            e = expected.get();
            a = actual.get();
        }
        assertEquals(e, a, what);
    }

    static void eventually(Duration timeout, Supplier<Boolean> condition, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            SimCluster.sleep(250);
        }
    }
}
