package dev.weft.flannel.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.Underlay;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend refuses to start (prepare) when its Network collides with the host: the external
 * interface's subnet, or a route Weft did not make. It then touches nothing; Weft's own routes
 * and the pod bridge's connected route are no collision.
 */
@KernelTest
class HostRoutesTest {

    private static String conf(String network, String type) {
        return "{\"Network\":\"" + network + "\",\"Backend\":{\"Type\":\"" + type + "\"}}";
    }

    private static List<String> routes(TestNode n) {
        return KernelState.routes(n.netns(), 4, "main").stream()
                .map(r -> r.dst() + " " + r.gateway() + " " + r.dev() + " " + r.protocol()).sorted().toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"vxlan", "host-gw"})
    void aNetworkOverlappingTheExternalSubnetIsRefused(String type, Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            List<String> before = routes(n);
            Backend b = n.backend(conf("192.168.0.0/16", type));
            BackendException e = assertThrows(BackendException.class, b::prepare);
            assertEquals("Network 192.168.0.0/16 overlaps 192.168.213.0/24 of the external interface eth0 (address "
                    + n.node.address() + "/24)", e.getMessage());
            assertTrue(KernelState.link(n.netns(), "flannel.1").isEmpty(), "no device made");
            assertEquals(before, routes(n));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vxlan", "host-gw"})
    void aForeignRouteIntoTheNetworkIsRefusedAndLeftAlone(String type, Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            n.sh("ip", "route", "add", "10.244.7.0/24", "via", "192.168.213.7", "dev", "eth0", "proto", "static");
            List<String> before = routes(n);
            Backend b = n.backend(conf("10.244.0.0/16", type));
            BackendException e = assertThrows(BackendException.class, b::prepare);
            assertTrue(e.getMessage().startsWith("Network 10.244.0.0/16 overlaps the route 10.244.7.0/24 via 192.168.213.7 dev eth0 "
                    + "that Weft did not make (protocol 4, not 87)"), e.getMessage());
            assertTrue(KernelState.link(n.netns(), "flannel.1").isEmpty(), "no device made");
            assertEquals(before, routes(n));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vxlan", "host-gw"})
    void weftsRoutesThePodBridgeAndWiderRoutesAreNoCollision(String type, Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            n.sh("ip", "route", "add", "10.244.8.0/24", "via", "192.168.213.8", "dev", "eth0", "proto", "87"); // Weft's
            n.sh("ip", "link", "add", "wt-cni0", "type", "bridge");                                            // a pod bridge
            n.sh("ip", "addr", "add", "10.244.1.1/24", "dev", "wt-cni0");
            n.sh("ip", "link", "set", "wt-cni0", "up");
            n.sh("ip", "route", "add", "10.0.0.0/8", "via", "192.168.213.254", "dev", "eth0");                 // wider than the Network
            Backend b = n.backend(conf("10.244.0.0/16", type));
            b.prepare();
            RouteInfo bridge = KernelState.routes(n.netns(), 4, "main").stream().filter(r -> "10.244.1.0/24".equals(r.dst()))
                    .findFirst().orElseThrow();
            assertEquals("kernel", bridge.protocol());
        }
    }

    /** With block IPAM the node's routed pods have /32s from the Network: weftd restarting there must start. */
    @org.junit.jupiter.api.Test
    void routedPodsHostRoutesAreNoCollisionAnOrdinaryHostRouteIs(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            n.sh("ip", "link", "add", "wt-pod0", "address", "ee:ee:ee:ee:ee:ee", "type", "veth", "peer", "name", "wt-pod0p");
            n.sh("ip", "link", "set", "wt-pod0", "up");
            n.sh("ip", "link", "set", "wt-pod0p", "up");
            n.sh("ip", "route", "add", "10.244.3.5/32", "dev", "wt-pod0", "scope", "link"); // as weft-routed makes it
            n.backend(conf("10.244.0.0/16", "host-gw")).prepare();

            n.sh("ip", "route", "add", "10.244.3.6/32", "dev", "wt-pod0p", "scope", "link"); // not a routed pod's veth
            BackendException e = assertThrows(BackendException.class, () -> n.backend(conf("10.244.0.0/16", "host-gw")).prepare());
            assertTrue(e.getMessage().startsWith("Network 10.244.0.0/16 overlaps the route 10.244.3.6/32"), e.getMessage());
        }
    }

    /** The same for a dual-stack pod's /128, which the kernel reports with scope universe (IPv6 routes have no scope). */
    @org.junit.jupiter.api.Test
    void routedPodsIpv6HostRoutesAreNoCollision(@TempDir Path state) {
        String conf = "{\"EnableIPv6\":true,\"Network\":\"10.244.0.0/16\",\"IPv6Network\":\"fd00:244::/56\","
                + "\"Backend\":{\"Type\":\"vxlan\"}}";
        try (Underlay ul = Underlay.builder().ipv6Subnet("fd00:213::/64").build(); TestNode n = TestNode.of(ul.addNode("a"), state)) {
            n.sh("ip", "link", "add", "wt-pod0", "address", "ee:ee:ee:ee:ee:ee", "type", "veth", "peer", "name", "wt-pod0p");
            n.sh("ip", "link", "set", "wt-pod0", "up");
            n.sh("ip", "link", "set", "wt-pod0p", "up");
            n.sh("ip", "-6", "route", "add", "fd00:244::5/128", "dev", "wt-pod0"); // as weft-routed makes it
            n.backend(conf).prepare();

            n.sh("ip", "-6", "route", "add", "fd00:244::6/128", "dev", "wt-pod0p"); // not a routed pod's veth
            BackendException e = assertThrows(BackendException.class, () -> n.backend(conf).prepare());
            assertTrue(e.getMessage().startsWith("Network fd00:244::/56 overlaps the route fd00:244::6/128"), e.getMessage());
        }
    }
}
