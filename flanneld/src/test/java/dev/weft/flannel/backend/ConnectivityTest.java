package dev.weft.flannel.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.net.Cidr;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.Underlay;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * flannel's functional test, in namespaces: two nodes on one L2 segment, each with the backend
 * programmed with the other's lease and a "pod" address (the .1 of its subnet on a bridge; this
 * kernel has no dummy driver); ping must work both ways.
 */
@KernelTest
class ConnectivityTest {

    /** Starts a backend on the node with its own lease; returns that lease. */
    private static Lease startNode(TestNode n, Backend b, String subnet, String subnetV6) {
        LeaseAttrs attrs = b.prepare();
        Lease own = subnetV6 == null ? TestLeases.own(subnet, attrs) : TestLeases.ownDual(subnet, subnetV6, attrs);
        b.start(own);
        Cidr s = Cidr.parse(subnet);
        n.sh("ip", "link", "add", "wt-pod", "type", "bridge");
        n.sh("ip", "addr", "add", s.networkAddress().next() + "/" + s.prefixLength(), "dev", "wt-pod");
        if (subnetV6 != null) {
            Cidr s6 = Cidr.parse(subnetV6);
            n.sh("ip", "addr", "add", s6.networkAddress().next() + "/" + s6.prefixLength(), "dev", "wt-pod", "nodad");
        }
        n.sh("ip", "link", "set", "wt-pod", "up");
        return own;
    }

    private static void ping(TestNode from, String src, String dst) {
        Cmd.Result r = from.node.tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", "-I", src, dst);
        assertTrue(r.ok(), "ping " + src + " -> " + dst + " failed:\n" + r);
    }

    private static long txPackets(TestNode n, String dev) {
        return KernelState.parse(n.node.exec("ip", "-j", "-s", "link", "show", "dev", dev)).path(0)
                .path("stats64").path("tx").path("packets").asLong(-1);
    }

    @Test
    void vxlanTunnelCarriesTrafficBothWays(Underlay ul, @TempDir Path sa, @TempDir Path sb) {
        String conf = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";
        try (TestNode a = TestNode.of(ul.addNode("a"), sa); TestNode b = TestNode.of(ul.addNode("b"), sb)) {
            Backend ba = a.backend(conf);
            Backend bb = b.backend(conf);
            Lease la = startNode(a, ba, "10.244.1.0/24", null);
            Lease lb = startNode(b, bb, "10.244.2.0/24", null);
            ba.handle(TestLeases.snapshot(List.of(lb)));
            bb.handle(TestLeases.added(la));

            ping(a, "10.244.1.1", "10.244.2.1");
            ping(b, "10.244.2.1", "10.244.1.1");
            ping(a, "10.244.1.0", "10.244.2.1"); // host -> remote pod, from the flannel.1 address
            assertTrue(txPackets(a, "flannel.1") > 0, "went through the tunnel");
        }
    }

    @Test
    void dualStackVxlanCarriesIpv6Too(@TempDir Path sa, @TempDir Path sb) {
        String conf = "{\"EnableIPv6\":true,\"Network\":\"10.244.0.0/16\",\"IPv6Network\":\"fd00:244::/56\","
                + "\"Backend\":{\"Type\":\"vxlan\"}}";
        try (Underlay ul = Underlay.builder().ipv6Subnet("fd00:213::/64").build();
             TestNode a = TestNode.of(ul.addNode("a"), sa); TestNode b = TestNode.of(ul.addNode("b"), sb)) {
            Backend ba = a.backend(conf);
            Backend bb = b.backend(conf);
            Lease la = startNode(a, ba, "10.244.1.0/24", "fd00:244:0:1::/64");
            Lease lb = startNode(b, bb, "10.244.2.0/24", "fd00:244:0:2::/64");
            assertTrue(la.attrs().backendV6Data().get("VtepMAC").isTextual());
            ba.handle(TestLeases.added(lb));
            bb.handle(TestLeases.snapshot(List.of(la)));

            ping(a, "10.244.1.1", "10.244.2.1");
            ping(a, "fd00:244:0:1::1", "fd00:244:0:2::1");
            ping(b, "fd00:244:0:2::1", "fd00:244:0:1::1");
            assertTrue(txPackets(a, "flannel-v6.1") > 0, "went through the v6 tunnel");
        }
    }

    @Test
    void hostGwRoutesCarryTrafficBothWays(Underlay ul, @TempDir Path sa, @TempDir Path sb) {
        String conf = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}";
        try (TestNode a = TestNode.of(ul.addNode("a"), sa); TestNode b = TestNode.of(ul.addNode("b"), sb)) {
            Backend ba = a.backend(conf);
            Backend bb = b.backend(conf);
            Lease la = startNode(a, ba, "10.244.1.0/24", null);
            Lease lb = startNode(b, bb, "10.244.2.0/24", null);
            ba.handle(TestLeases.snapshot(List.of(lb)));
            bb.handle(TestLeases.added(la));

            ping(a, "10.244.1.1", "10.244.2.1");
            ping(b, "10.244.2.1", "10.244.1.1");
        }
    }

    @Test
    void dualStackHostGwCarriesIpv6Too(@TempDir Path sa, @TempDir Path sb) {
        String conf = "{\"EnableIPv6\":true,\"Network\":\"10.244.0.0/16\",\"IPv6Network\":\"fd00:244::/56\","
                + "\"Backend\":{\"Type\":\"host-gw\"}}";
        try (Underlay ul = Underlay.builder().ipv6Subnet("fd00:213::/64").build();
             TestNode a = TestNode.of(ul.addNode("a"), sa); TestNode b = TestNode.of(ul.addNode("b"), sb)) {
            Backend ba = a.backend(conf);
            Backend bb = b.backend(conf);
            Lease la = startNode(a, ba, "10.244.1.0/24", "fd00:244:0:1::/64");
            Lease lb = startNode(b, bb, "10.244.2.0/24", "fd00:244:0:2::/64");
            ba.handle(TestLeases.snapshot(List.of(lb)));
            bb.handle(TestLeases.added(la));

            ping(a, "fd00:244:0:1::1", "fd00:244:0:2::1");
            ping(b, "fd00:244:0:2::1", "fd00:244:0:1::1");
            ping(a, "10.244.1.1", "10.244.2.1");
        }
    }
}
