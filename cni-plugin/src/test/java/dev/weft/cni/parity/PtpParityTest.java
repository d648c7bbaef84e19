package dev.weft.cni.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.routed.RoutedNode;
import dev.weft.cni.testing.Cni;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.TestNetns;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * weft-routed against the reference ptp (/usr/lib/cni/ptp), both with the reference host-local
 * from CNI_PATH, for what the two share (spec notes §4.1): the result's shape, a pod whose every
 * route goes through the host, one host route per pod address on the host end, the MTU, and DEL
 * taking it all back. Where they differ by design (Calico's /32 and 169.254.1.1 against ptp's
 * subnet prefix and gateway address on the host end) each side is pinned too.
 */
@KernelTest
class PtpParityTest {

    private static String conf(String type, RoutedNode node) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"wtrouted\",\"type\":\"" + type + "\",\"mtu\":1400,\"ipam\":{\"type\":\"host-local\","
                + "\"ranges\":[[{\"subnet\":\"10.213.48.0/24\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"192.168.240.0/24\"}],"
                + "\"dataDir\":\"" + node.dataDir + "\"}}";
    }

    @Test
    void sharedBehaviourMatchesTheReferencePtp() throws Exception {
        try (RoutedNode refNode = RoutedNode.create(); RoutedNode weftNode = RoutedNode.create();
             TestNetns refPod = TestNetns.create("rp"); TestNetns weftPod = TestNetns.create("wp")) {
            JsonNode ref = Cni.plugin("ptp").in(refNode.name()).attachment("ADD", "par1", refPod.path().toString())
                    .config(conf("ptp", refNode)).run().requireOk().json();
            JsonNode weft = weftNode.add("par1", weftPod, conf("weft-routed", weftNode));

            // The result: [host end, pod end], the address on interface 1, IPAM's route destinations.
            assertEquals(shape(ref, refPod), shape(weft, weftPod));
            String ip = RoutedNode.ip(ref.path("ips").get(0));
            assertEquals(ip, RoutedNode.ip(weft.path("ips").get(0)));

            // Every pod route goes through the host: a gateway, or the gateway's own on-link host route.
            for (TestNetns pod : List.of(refPod, weftPod)) {
                for (RouteInfo r : KernelState.routes(pod.name(), 4)) {
                    assertTrue(r.gateway() != null || !r.dst().contains("/") && !r.dst().equals("default") && r.scope().equals("link"),
                            pod.name() + ": " + r.raw());
                }
                for (String dst : List.of("10.213.48.200", "192.168.240.5", "203.0.113.9")) {
                    JsonNode got = KernelState.parse(pod.exec("ip", "-j", "route", "get", dst)).get(0);
                    assertTrue(got.hasNonNull("gateway") && "eth0".equals(got.path("dev").asText()), pod.name() + " " + dst + ": " + got);
                }
            }
            // One host route per pod address, on the host end the result names; the same MTU on both ends.
            for (RoutedNode node : List.of(refNode, weftNode)) {
                JsonNode r = node == refNode ? ref : weft;
                String hostEnd = r.path("interfaces").get(0).path("name").asText();
                assertEquals(hostEnd, node.hostRoute(ip).orElseThrow().dev(), node.name());
                assertEquals(1400, KernelState.requireLink(node.name(), hostEnd).mtu());
                assertEquals("1", node.ns.sysctl("net.ipv4.ip_forward"));
            }
            assertEquals(1400, KernelState.requireLink(refPod.name(), "eth0").mtu());
            assertEquals(1400, KernelState.requireLink(weftPod.name(), "eth0").mtu());

            // Where they differ by design.
            assertEquals(List.of(ip + "/24"), RoutedNode.globalAddresses(refPod.name(), "eth0"), "ptp keeps IPAM's prefix");
            assertEquals(List.of(ip + "/32"), RoutedNode.globalAddresses(weftPod.name(), "eth0"), "Calico narrows to /32");
            assertEquals(List.of("10.213.48.1/32"), RoutedNode.globalAddresses(refNode.name(), ref.path("interfaces").get(0).path("name").asText()));
            assertEquals(List.of(), RoutedNode.globalAddresses(weftNode.name(), weft.path("interfaces").get(0).path("name").asText()));
            assertEquals("host", refNode.hostRoute(ip).orElseThrow().scope());
            assertEquals("link", weftNode.hostRoute(ip).orElseThrow().scope());

            Cni.plugin("ptp").in(refNode.name()).attachment("DEL", "par1", refPod.path().toString()).config(conf("ptp", refNode)).run().requireOk();
            weftNode.del("par1", weftPod, conf("weft-routed", weftNode));
            for (RoutedNode node : List.of(refNode, weftNode)) {
                assertEquals(List.of(), node.podLinks().stream().map(LinkInfo::ifname).toList());
                assertTrue(node.hostRoute(ip).isEmpty());
                assertEquals(0, node.reservations());
            }
            assertEquals(List.of("lo"), KernelState.links(refPod.name()).stream().map(LinkInfo::ifname).toList());
            assertEquals(List.of("lo"), KernelState.links(weftPod.name()).stream().map(LinkInfo::ifname).toList());
        }
    }

    /** What the two results share: interface order and sandboxes, each IP's interface, route destinations. */
    private static String shape(JsonNode r, TestNetns pod) {
        StringBuilder s = new StringBuilder("cniVersion " + r.path("cniVersion").asText() + "\n");
        for (JsonNode i : r.path("interfaces")) {
            String sandbox = i.path("sandbox").asText();
            s.append("if ").append(sandbox.isEmpty() ? "host-end" : i.path("name").asText()).append(" sandbox ")
                    .append(sandbox.equals(pod.path().toString()) ? "POD" : sandbox).append(" mac ").append(i.hasNonNull("mac")).append('\n');
        }
        for (JsonNode ip : r.path("ips")) {
            s.append("ip on interface ").append(ip.path("interface").asInt()).append(" gateway ").append(ip.hasNonNull("gateway")).append('\n');
        }
        Set<String> dsts = new TreeSet<>();
        r.path("routes").forEach(rt -> dsts.add(rt.path("dst").asText()));
        return s.append("routes ").append(dsts).toString();
    }
}
