package dev.weft.cni.routed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.testing.Cni;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Duplicate addresses, IPAM failures, failures half-way and bad configs: each a clear error, and
 * nothing left behind (no link in the node or the pod, no host route, no reservation).
 */
@KernelTest
class RoutedBadInputTest {

    private static void assertNothingLeft(RoutedNode node, TestNetns pod, List<String> nodeLinks) throws IOException {
        assertEquals(List.of("lo"), KernelState.links(pod.name()).stream().map(LinkInfo::ifname).toList(), "pod has only lo");
        assertEquals(nodeLinks, node.podLinks().stream().map(LinkInfo::ifname).toList(), "no host veth left");
    }

    @Test
    void anAddressAnotherPodHasIsRefusedNamingItsInterface() throws IOException {
        Path otherStore = Files.createTempDirectory("wt-routed-ipam2");
        try (RoutedNode node = RoutedNode.create(); TestNetns a = TestNetns.create("pod"); TestNetns b = TestNetns.create("pod")) {
            String conf = node.conf("1.1.0", "", "10.213.45.0/24");
            JsonNode ra = node.add("da", a, conf);
            String hostA = ra.path("interfaces").get(0).path("name").asText();
            String ipA = RoutedNode.ip(ra.path("ips").get(0));
            // A second IPAM store hands out the same first address: a duplicate IP.
            Cni.Outcome o = node.call("ADD", "db", b).config(conf.replace(node.dataDir.toString(), otherStore.toString())).run();
            assertFalse(o.ok());
            assertTrue(o.msg().contains(ipA) && o.msg().contains(hostA), o.toString());
            assertNothingLeft(node, b, List.of(hostA));
            assertEquals(List.of(), Files.list(otherStore.resolve("wtrouted")).filter(p -> p.getFileName().toString().startsWith("10.")).toList(),
                    "the duplicate's reservation was released");
            assertEquals(hostA, node.hostRoute(ipA).orElseThrow().dev(), "pod a's route is untouched");
            assertTrue(a.tryExec("ping", "-c", "1", "-W", "2", RoutedNode.NODE_V4).ok(), "pod a still works");

            // A host route on a link that is no pod's at all is refused the same way.
            node.ns.ip("route", "add", "10.213.45.3/32", "dev", RoutedNode.UPLINK);
            o = node.call("ADD", "dc", b).config(conf).run();
            assertTrue(o.msg().contains("10.213.45.3") && o.msg().contains(RoutedNode.UPLINK), o.toString());
            assertNothingLeft(node, b, List.of(hostA));
            assertEquals(RoutedNode.UPLINK, node.hostRoute("10.213.45.3").orElseThrow().dev());
            node.del("da", a, conf);
            node.call("DEL", "dc", b).config(conf).run().requireOk();
            assertEquals(0, node.reservations());
        } finally {
            try (var s = Files.walk(otherStore)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void anIpamFailureAndAFailureAfterTheVethLeaveNothing() throws IOException {
        try (RoutedNode node = RoutedNode.create(); TestNetns a = TestNetns.create("pod"); TestNetns b = TestNetns.create("pod")) {
            String oneAddress = "{\"cniVersion\":\"1.0.0\",\"name\":\"wtrouted\",\"type\":\"weft-routed\",\"ipam\":{\"type\":\"weft-host-local\","
                    + "\"ranges\":[[{\"subnet\":\"10.213.46.0/24\",\"rangeStart\":\"10.213.46.9\",\"rangeEnd\":\"10.213.46.9\"}]],"
                    + "\"dataDir\":\"" + node.dataDir + "\"}}";
            JsonNode ra = node.add("ia", a, oneAddress);
            Cni.Outcome o = node.call("ADD", "ib", b).config(oneAddress).run();
            assertFalse(o.ok());
            assertTrue(o.msg().contains("no IP addresses available"), o.toString());
            assertNothingLeft(node, b, List.of(ra.path("interfaces").get(0).path("name").asText()));
            node.del("ia", a, oneAddress);
            assertEquals(0, node.reservations());

            // IPAM succeeds and the veth is made, then a pod route fails (IPAM asks for a route to
            // the gateway itself): the undo takes back the link and the reservation.
            String clash = "{\"cniVersion\":\"1.0.0\",\"name\":\"wtrouted\",\"type\":\"weft-routed\",\"ipam\":{\"type\":\"weft-host-local\","
                    + "\"ranges\":[[{\"subnet\":\"10.213.46.0/24\"}]],\"routes\":[{\"dst\":\"169.254.1.1/32\"}],"
                    + "\"dataDir\":\"" + node.dataDir + "\"}}";
            o = node.call("ADD", "ic", b).config(clash).run();
            assertFalse(o.ok());
            assertTrue(o.msg().contains("169.254.1.1"), o.toString());
            assertNothingLeft(node, b, List.of());
            assertEquals(0, node.reservations());
            assertTrue(KernelState.routes(node.name(), 4).stream().noneMatch(r -> r.dst().startsWith("10.213.46.")), "no host route left");
        }
    }

    @Test
    void badConfigsAreClearErrors() throws IOException {
        try (RoutedNode node = RoutedNode.create(); TestNetns pod = TestNetns.create("pod")) {
            Cni.Outcome o = node.call("ADD", "x1", pod).config("{\"cniVersion\":\"1.0.0\",\"name\":").run();
            assertEquals(6, o.errorCode(), o.toString());
            o = node.call("ADD", "x2", pod).config(node.conf("1.0.0", ",\"hostVethPrefix\":\"toolong\"", "10.213.47.0/24")).run();
            assertEquals(7, o.errorCode(), o.toString());
            assertTrue(o.msg().contains("hostVethPrefix"), o.msg());
            o = node.call("ADD", "x3", pod).config(node.conf("1.0.0", ",\"ipMasq\":true", "10.213.47.0/24")).run();
            assertEquals(2, o.errorCode(), o.toString());
            o = node.call("ADD", "x4", pod).config("{\"cniVersion\":\"1.0.0\",\"name\":\"wtrouted\",\"type\":\"weft-routed\"}").run();
            assertEquals(7, o.errorCode(), o.toString());
            assertTrue(o.msg().contains("ipam"), o.msg());
            assertNothingLeft(node, pod, List.of());
            assertEquals(0, node.reservations());
        }
    }
}
