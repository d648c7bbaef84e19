package dev.weft.cni.routed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.cni.spec.Json;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.TestNetns;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * weft-routed run as a runtime runs it (a process per call, inside a test node namespace), every
 * point of Calico's data plane read back from the kernel with {@code ip -j} and /proc/sys.
 */
@KernelTest
class RoutedPluginTest {
    private static final String K8S = "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_UID=u1";
    /** The link-local address the kernel derives (EUI-64) from ee:ee:ee:ee:ee:ee. */
    private static final String HOST_LL = "fe80::ecee:eeff:feee:eeee";

    static String sha1Prefix(String s) throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(d).substring(0, 11);
    }

    @Test
    void dualStackAddCheckDelLeavesCalicosKernelStateAndTakesItAllBack() throws Exception {
        try (RoutedNode node = RoutedNode.create(); TestNetns pod = TestNetns.create("pod")) {
            String conf = node.conf("1.1.0", ",\"mtu\":1400", "10.213.40.0/24", "fd00:213:40::/64");
            JsonNode r = node.call("ADD", "c1", pod).args(K8S).config(conf).run().requireOk().json();
            String hostVeth = "weft" + sha1Prefix("default.web");

            // The result: [host end, pod end], /32 and /128 on interface 1, routes through the host.
            assertEquals("1.1.0", r.path("cniVersion").asText());
            assertEquals(2, r.path("interfaces").size(), r.toString());
            assertEquals(hostVeth, r.path("interfaces").get(0).path("name").asText());
            assertEquals("ee:ee:ee:ee:ee:ee", r.path("interfaces").get(0).path("mac").asText());
            assertFalse(r.path("interfaces").get(0).has("sandbox"));
            assertEquals("eth0", r.path("interfaces").get(1).path("name").asText());
            assertEquals(pod.path().toString(), r.path("interfaces").get(1).path("sandbox").asText());
            JsonNode ip4 = r.path("ips").get(0);
            JsonNode ip6 = r.path("ips").get(1);
            assertTrue(ip4.path("address").asText().matches("10\\.213\\.40\\.\\d+/32"), r.toString());
            assertTrue(ip6.path("address").asText().matches("fd00:213:40::\\w+/128"), r.toString());
            assertEquals("169.254.1.1", ip4.path("gateway").asText());
            assertEquals(HOST_LL, ip6.path("gateway").asText());
            assertEquals(1, ip4.path("interface").asInt());
            assertEquals(1, ip6.path("interface").asInt());
            assertEquals("[{\"dst\":\"0.0.0.0/0\",\"gw\":\"169.254.1.1\"},{\"dst\":\"::/0\",\"gw\":\"" + HOST_LL + "\"}]",
                    r.path("routes").toString());
            String a4 = RoutedNode.ip(ip4);
            String a6 = RoutedNode.ip(ip6);

            // Pod side.
            LinkInfo eth0 = KernelState.requireLink(pod.name(), "eth0");
            assertEquals("veth", eth0.kind());
            assertEquals(1400, eth0.mtu());
            assertTrue(eth0.isUp());
            assertEquals(List.of(a4 + "/32", a6 + "/128"), RoutedNode.globalAddresses(pod.name(), "eth0"));
            assertEquals(Set.of("169.254.1.1 dev eth0 scope link", "default via 169.254.1.1 dev eth0 scope global"),
                    Set.copyOf(routes(pod.name(), 4)), "the gateway on-link, everything via it, no connected subnet route");
            assertEquals(List.of("default via " + HOST_LL + " dev eth0 scope global"),
                    routes(pod.name(), 6).stream().filter(s -> s.startsWith("default")).toList());
            // Only the kernel's own route to the /128 itself: no on-link IPv6 prefix.
            assertTrue(routes(pod.name(), 6).stream().noneMatch(s -> s.startsWith("fd00") && !s.startsWith(a6 + " ")),
                    "no on-link IPv6 prefix: " + routes(pod.name(), 6));
            assertEquals("0", pod.sysctl("net.ipv6.conf.eth0.accept_dad"));

            // Node side: no bridge; the host end has no address, Calico's MAC, proxy ARP, forwarding, no RAs.
            assertTrue(KernelState.links(node.name()).stream().noneMatch(l -> "bridge".equals(l.kind())), "no bridge");
            LinkInfo host = KernelState.requireLink(node.name(), hostVeth);
            assertEquals("veth", host.kind());
            assertEquals("ee:ee:ee:ee:ee:ee", host.address());
            assertEquals(1400, host.mtu());
            assertTrue(host.isUp());
            assertEquals(List.of(), RoutedNode.globalAddresses(node.name(), hostVeth));
            assertEquals("1", node.ns.sysctl("net.ipv4.conf." + hostVeth + ".proxy_arp"));
            assertEquals("0", node.ns.sysctl("net.ipv4.neigh." + hostVeth + ".proxy_delay"));
            assertEquals("1", node.ns.sysctl("net.ipv4.conf." + hostVeth + ".forwarding"));
            assertEquals("1", node.ns.sysctl("net.ipv6.conf." + hostVeth + ".forwarding"));
            assertEquals("0", node.ns.sysctl("net.ipv6.conf." + hostVeth + ".accept_ra"));
            assertEquals("1", node.ns.sysctl("net.ipv4.ip_forward"));
            assertEquals("1", node.ns.sysctl("net.ipv6.conf.all.forwarding"));
            RouteInfo h4 = node.hostRoute(a4).orElseThrow();
            assertEquals(hostVeth, h4.dev());
            assertEquals("link", h4.scope());
            assertEquals(null, h4.gateway());
            RouteInfo h6 = node.hostRoute(a6).orElseThrow();
            assertEquals(hostVeth, h6.dev());
            assertEquals(null, h6.gateway());

            // CHECK passes on what ADD made, and really looks: each broken piece is named.
            String checkConf = withPrev(conf, r);
            node.call("CHECK", "c1", pod).args(K8S).config(checkConf).run().requireOk();
            node.ns.ip("route", "del", a4 + "/32", "dev", hostVeth);
            var broken = node.call("CHECK", "c1", pod).args(K8S).config(checkConf).run();
            assertFalse(broken.ok());
            assertTrue(broken.msg().contains("host route " + a4 + "/32"), broken.toString());
            node.ns.ip("route", "add", a4 + "/32", "dev", hostVeth, "scope", "link");
            node.ns.setSysctl("net.ipv4.conf." + hostVeth + ".proxy_arp", "0");
            broken = node.call("CHECK", "c1", pod).args(K8S).config(checkConf).run();
            assertTrue(broken.msg().contains("proxy_arp is 0"), broken.toString());
            node.ns.setSysctl("net.ipv4.conf." + hostVeth + ".proxy_arp", "1");
            pod.ip("link", "set", "eth0", "mtu", "1300");
            broken = node.call("CHECK", "c1", pod).args(K8S).config(checkConf).run();
            assertTrue(broken.msg().contains("MTU of eth0 is 1300"), broken.toString());
            pod.ip("link", "set", "eth0", "mtu", "1400");
            pod.ip("route", "del", "default");
            broken = node.call("CHECK", "c1", pod).args(K8S).config(checkConf).run();
            assertTrue(broken.msg().contains("route 0.0.0.0/0 via 169.254.1.1"), broken.toString());

            // DEL takes everything back, and is idempotent.
            node.call("DEL", "c1", pod).args(K8S).config(conf).run().requireOk();
            assertEquals(List.of("lo"), KernelState.links(pod.name()).stream().map(LinkInfo::ifname).toList());
            assertEquals(List.of(), node.podLinks());
            assertTrue(node.hostRoute(a4).isEmpty() && node.hostRoute(a6).isEmpty());
            assertEquals(0, node.reservations());
            node.call("DEL", "c1", pod).args(K8S).config(conf).run().requireOk();
            pod.close();
            node.call("DEL", "c1", pod).args(K8S).config(conf).run().requireOk(); // the namespace is gone: nothing to do
        }
    }

    /** Pod routes as "dst via gw dev d scope s", for comparisons that read like {@code ip route}. */
    private static List<String> routes(String ns, int family) {
        return KernelState.routes(ns, family).stream()
                .map(x -> x.dst() + (x.gateway() == null ? "" : " via " + x.gateway()) + " dev " + x.dev() + " scope " + x.scope())
                .toList();
    }

    static String withPrev(String conf, JsonNode result) throws Exception {
        ObjectNode c = (ObjectNode) Json.read(conf.getBytes(StandardCharsets.UTF_8));
        c.set("prevResult", result);
        return c.toString();
    }

    @Test
    void everyVersionGetsItsResultShapeAndCheckWhereTheVersionHasIt() throws Exception {
        // A pod per version, removed with its namespace (no DEL each: each plugin start is a JVM start).
        List<String> versions = List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0");
        try (RoutedNode node = RoutedNode.create()) {
            for (String v : versions) {
                try (TestNetns pod = TestNetns.create("pod")) {
                    String conf = node.conf(v, ",\"mtu\":1400", "10.213.41.0/24");
                    JsonNode r = node.add("v" + v, pod, conf);
                    assertEquals(v, r.path("cniVersion").asText());
                    assertEquals(2, r.path("interfaces").size());
                    JsonNode ip = r.path("ips").get(0);
                    assertEquals(1, ip.path("interface").asInt(), r.toString());
                    assertEquals("169.254.1.1", ip.path("gateway").asText());
                    assertTrue(ip.path("address").asText().endsWith("/32"));
                    // Before 1.0.0 an address carries its family in "version".
                    assertEquals(v.startsWith("0.") ? "4" : "", ip.path("version").asText(), r.toString());
                    if (!v.startsWith("0.3")) {
                        node.call("CHECK", "v" + v, pod).config(withPrev(conf, r)).run().requireOk();
                    }
                }
            }
            // The kernel removes a gone namespace's devices, and their peers, from a work queue, after
            // the namespace's last reference is dropped: a moment later, not by the time ip returns.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!node.podLinks().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(List.of(), node.podLinks(), "each pod's veth went with its namespace");
            assertEquals(versions.size(), node.reservations());
        }
    }

    @Test
    void sameNameForTheSamePodSoARepeatedAddReplacesTheStaleLink() throws Exception {
        try (RoutedNode node = RoutedNode.create(); TestNetns first = TestNetns.create("pod"); TestNetns second = TestNetns.create("pod")) {
            String conf = node.conf("1.0.0", ",\"mtu\":1400,\"hostVethPrefix\":\"wtr\"", "10.213.42.0/24");
            // The runtime made a new sandbox of pod default/web without a DEL of the old one.
            JsonNode r1 = node.call("ADD", "c1", first).args(K8S).config(conf).run().requireOk().json();
            JsonNode r2 = node.call("ADD", "c2", second).args(K8S.replace("=c1", "=c2")).config(conf).run().requireOk().json();
            String name = "wtr" + sha1Prefix("default.web");
            assertEquals(name, r2.path("interfaces").get(0).path("name").asText());
            assertEquals(List.of(name), node.podLinks().stream().map(LinkInfo::ifname).toList());
            assertTrue(KernelState.link(first.name(), "eth0").isEmpty(), "the old sandbox's end went with its host end");
            assertTrue(node.hostRoute(RoutedNode.ip(r1.path("ips").get(0))).isEmpty(), "and its host route");
            assertEquals(name, node.hostRoute(RoutedNode.ip(r2.path("ips").get(0))).orElseThrow().dev());
            node.call("DEL", "c1", first).args(K8S).config(conf).run().requireOk();
            assertTrue(KernelState.link(node.name(), name).isPresent(), "DEL of the old sandbox leaves the new one");
            node.call("DEL", "c2", second).args(K8S).config(conf).run().requireOk();

            // Without Kubernetes names the container id is hashed.
            JsonNode r3 = node.add("plain-container", first, conf);
            assertEquals("wtr" + sha1Prefix("plain-container"), r3.path("interfaces").get(0).path("name").asText());
            node.del("plain-container", first, conf);
            assertEquals(0, node.reservations());
        }
    }

    @Test
    void statusAndGcGoToIpam() throws Exception {
        try (RoutedNode node = RoutedNode.create(); TestNetns a = TestNetns.create("pod"); TestNetns b = TestNetns.create("pod")) {
            String conf = node.conf("1.1.0", "", "10.213.49.0/24");
            node.add("keep", a, conf);
            node.add("stale", b, conf);
            assertEquals(2, node.reservations());
            node.call("STATUS", "", a).config(conf).run().requireOk();
            ObjectNode gc = (ObjectNode) Json.read(conf.getBytes(StandardCharsets.UTF_8));
            gc.putArray("cni.dev/valid-attachments").addObject().put("containerID", "keep").put("ifname", "eth0");
            node.call("GC", "", a).config(gc.toString()).run().requireOk();
            assertEquals(1, node.reservations(), "the stale attachment's address is released");
            node.del("keep", a, conf);
            node.del("stale", b, conf);
            assertEquals(0, node.reservations());
        }
    }

    @Test
    void mtuComesFromSubnetEnvUnlessTheConfigSetsOne() throws Exception {
        Path env = Files.createTempFile("wt-subnet", ".env");
        try (RoutedNode node = RoutedNode.create(); TestNetns pod = TestNetns.create("pod")) {
            Files.writeString(env, "FLANNEL_NETWORK=10.213.0.0/16\nFLANNEL_MTU=1370\nFLANNEL_IPMASQ=false\n");
            String fromEnv = node.conf("1.1.0", ",\"subnetFile\":\"" + env + "\"", "10.213.43.0/24");
            JsonNode r = node.add("m1", pod, fromEnv);
            assertEquals(1370, KernelState.requireLink(pod.name(), "eth0").mtu());
            assertEquals(1370, KernelState.requireLink(node.name(), r.path("interfaces").get(0).path("name").asText()).mtu());
            node.del("m1", pod, fromEnv);
            String both = node.conf("1.1.0", ",\"mtu\":1280,\"subnetFile\":\"" + env + "\"", "10.213.43.0/24");
            node.add("m2", pod, both);
            assertEquals(1280, KernelState.requireLink(pod.name(), "eth0").mtu(), "the config's mtu wins");
            node.del("m2", pod, both);
            Files.delete(env);
            node.del("m2", pod, fromEnv); // DEL needs no MTU: a subnet file gone with weftd does not block it
            var noEnv = node.call("ADD", "m3", pod).config(fromEnv).run();
            assertEquals(50, noEnv.errorCode(), noEnv.toString());
            assertTrue(noEnv.msg().contains(env.toString()), noEnv.msg());
            assertEquals(List.of(), node.podLinks());
        } finally {
            Files.deleteIfExists(env);
        }
    }
}
