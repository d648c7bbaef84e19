package dev.weft.cni.routed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import org.junit.jupiter.api.Test;

/**
 * Two routed pods on one node talk to each other and to the node, over IPv4 and IPv6, through
 * host routes alone: no bridge, no address on a host veth, the pods' gateways answered by proxy
 * ARP (169.254.1.1) and by the host end's link-local address.
 */
@KernelTest
class RoutedConnectivityTest {

    @Test
    void podsReachEachOtherAndTheNodeThroughHostRoutes() {
        try (RoutedNode node = RoutedNode.create(); TestNetns a = TestNetns.create("pod"); TestNetns b = TestNetns.create("pod")) {
            String conf = node.conf("1.1.0", "", "10.213.44.0/24", "fd00:213:44::/64");
            JsonNode ra = node.add("pa", a, conf);
            JsonNode rb = node.add("pb", b, conf);
            String a4 = RoutedNode.ip(ra.path("ips").get(0));
            String b4 = RoutedNode.ip(rb.path("ips").get(0));
            String b6 = RoutedNode.ip(rb.path("ips").get(1));
            assertTrue(a.tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", b4).ok(), "pod a -> pod b");
            assertTrue(b.tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", a4).ok(), "pod b -> pod a");
            assertTrue(a.tryExec("ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", b6).ok(), "pod a -> pod b over IPv6");
            assertTrue(a.tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", RoutedNode.NODE_V4).ok(), "pod -> node");
            assertTrue(a.tryExec("ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", RoutedNode.NODE_V6).ok(), "pod -> node over IPv6");
            assertTrue(node.ns.tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", b4).ok(), "node -> pod");
            // The pod reached its gateway through proxy ARP: the host end's MAC, for an address nobody has.
            assertTrue(KernelState.neighbours(a.name(), 4, "eth0").stream()
                    .anyMatch(n -> "169.254.1.1".equals(n.dst()) && "ee:ee:ee:ee:ee:ee".equals(n.lladdr())), "169.254.1.1 is at ee:ee:ee:ee:ee:ee");
            assertTrue(KernelState.links(node.name()).stream().noneMatch(l -> "bridge".equals(l.kind())), "no bridge");
            assertEquals(2, node.podLinks().size());
            node.del("pa", a, conf);
            node.del("pb", b, conf);
            assertEquals(0, node.podLinks().size());
        }
    }
}
