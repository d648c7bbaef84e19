package dev.weft.flannel.backend.vxlan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.TestLeases;
import dev.weft.flannel.backend.TestNode;
import dev.weft.flannel.lease.Lease;
import dev.weft.testkit.FdbInfo;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.NeighInfo;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.Underlay;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lease events become neighbour + FDB + on-link route on flannel.1 (or a direct route), checked with ip/bridge -j. */
@KernelTest
class VtepProgrammingTest {
    static final String CONF = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";
    static final String MAC_B = "0a:00:00:00:00:02";

    private static Backend started(TestNode n, String conf) {
        Backend b = n.backend(conf);
        b.start(TestLeases.own("10.244.1.0/24", b.prepare()));
        return b;
    }

    @Test
    void addedProgramsNeighbourFdbAndRouteRemovedDeletesThem(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = started(n, CONF);
            Lease peer = TestLeases.vxlan("10.244.2.0/24", "192.168.213.50", MAC_B);
            b.handle(TestLeases.added(peer));

            NeighInfo neigh = single(KernelState.neighbours(n.netns(), 4, "flannel.1"));
            assertEquals("10.244.2.0", neigh.dst());
            assertEquals(MAC_B, neigh.lladdr());
            assertTrue(neigh.isPermanent());

            FdbInfo fdb = single(vteps(n));
            assertEquals(MAC_B, fdb.mac());
            assertEquals("192.168.213.50", fdb.dst());
            assertTrue(fdb.flags().contains("self"), fdb.raw().toString());
            assertTrue(fdb.isPermanent());

            RouteInfo r = route(n, "10.244.2.0/24").orElseThrow();
            assertEquals("10.244.2.0", r.gateway());
            assertEquals("flannel.1", r.dev());
            assertTrue(r.flags().contains("onlink"), r.raw().toString());
            assertEquals("87", r.protocol());

            b.handle(TestLeases.removed(peer));
            assertEquals(List.of(), KernelState.neighbours(n.netns(), 4, "flannel.1"));
            assertEquals(List.of(), vteps(n));
            assertTrue(route(n, "10.244.2.0/24").isEmpty());
        }
    }

    /**
     * Block IPAM: a node's blocks and borrowed addresses are leases whose BackendData carries the
     * node's TunnelAddr, so they are all routed on-link via that one address and share its one
     * neighbour and FDB entry, which stay until the last of them goes.
     */
    @Test
    void blocksOfOneNodeShareItsTunnelAddressNeighbourAndFdbEntry(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = started(n, CONF);
            String data = "{\"VNI\":1,\"VtepMAC\":\"" + MAC_B + "\",\"TunnelAddr\":\"10.244.7.5\"}";
            Lease block1 = TestLeases.lease("10.244.7.0/26", "192.168.213.50", "vxlan", data);
            Lease block2 = TestLeases.lease("10.244.7.192/26", "192.168.213.50", "vxlan", data);
            Lease borrowed = TestLeases.lease("10.244.3.9/32", "192.168.213.50", "vxlan", data);
            b.handle(TestLeases.snapshot(List.of(block1, block2, borrowed)));
            for (String dst : List.of("10.244.7.0/26", "10.244.7.192/26", "10.244.3.9")) {
                RouteInfo r = route(n, dst).orElseThrow(() -> new AssertionError("no route to " + dst));
                assertEquals("10.244.7.5", r.gateway(), r.raw().toString());
                assertTrue(r.flags().contains("onlink") && "flannel.1".equals(r.dev()), r.raw().toString());
            }
            NeighInfo neigh = single(KernelState.neighbours(n.netns(), 4, "flannel.1"));
            assertEquals("10.244.7.5 " + MAC_B, neigh.dst() + " " + neigh.lladdr());
            assertEquals("192.168.213.50", single(vteps(n)).dst());

            b.handle(TestLeases.removed(block1));
            assertTrue(route(n, "10.244.7.0/26").isEmpty());
            assertEquals(1, KernelState.neighbours(n.netns(), 4, "flannel.1").size(), "still used by the other block");
            assertEquals(1, vteps(n).size(), "still used by the other block");
            b.handle(TestLeases.snapshot(List.of()));
            assertEquals(List.of(), KernelState.neighbours(n.netns(), 4, "flannel.1"));
            assertEquals(List.of(), vteps(n));
            assertTrue(route(n, "10.244.7.192/26").isEmpty() && route(n, "10.244.3.9").isEmpty());
        }
    }

    @Test
    void changedMacReplacesTheEntries(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = started(n, CONF);
            b.handle(TestLeases.added(TestLeases.vxlan("10.244.2.0/24", "192.168.213.50", MAC_B)));
            b.handle(TestLeases.added(TestLeases.vxlan("10.244.2.0/24", "192.168.213.60", "0a:00:00:00:00:99")));
            assertEquals("0a:00:00:00:00:99", single(KernelState.neighbours(n.netns(), 4, "flannel.1")).lladdr());
            FdbInfo fdb = single(vteps(n));
            assertEquals("0a:00:00:00:00:99", fdb.mac());
            assertEquals("192.168.213.60", fdb.dst());
            assertEquals("10.244.2.0", route(n, "10.244.2.0/24").orElseThrow().gateway());
        }
    }

    @Test
    void snapshotRemovesStaleEntriesKeepsForeignOnesAddsMissing(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = started(n, CONF);
            // Left over from a lease that expired while the daemon was down (flannel-made: proto boot).
            n.sh("ip", "neigh", "add", "10.244.9.0", "lladdr", "0a:00:00:00:00:09", "dev", "flannel.1", "nud", "permanent");
            n.sh("bridge", "fdb", "add", "0a:00:00:00:00:09", "dev", "flannel.1", "dst", "192.168.213.99", "self", "permanent");
            n.sh("ip", "route", "add", "10.244.9.0/24", "via", "10.244.9.0", "dev", "flannel.1", "onlink");
            // ... and one Weft made (tagged).
            n.sh("ip", "route", "add", "10.244.8.0/24", "via", "10.244.8.0", "dev", "flannel.1", "onlink", "proto", "87");
            // Not ours: a route on eth0 into the network, a device route on flannel.1, a tagged route outside the network.
            n.sh("ip", "route", "add", "10.244.10.0/24", "via", "192.168.213.77", "dev", "eth0");
            n.sh("ip", "route", "add", "10.99.0.0/16", "dev", "flannel.1");
            n.sh("ip", "route", "add", "10.98.0.0/16", "via", "192.168.213.78", "dev", "eth0", "proto", "87");

            Lease keep = TestLeases.vxlan("10.244.2.0/24", "192.168.213.50", MAC_B);
            b.handle(TestLeases.snapshot(List.of(keep)));

            assertEquals(List.of("10.244.2.0"), dsts(KernelState.neighbours(n.netns(), 4, "flannel.1")));
            assertEquals(List.of(MAC_B), vteps(n).stream().map(FdbInfo::mac).collect(Collectors.toList()));
            assertTrue(route(n, "10.244.9.0/24").isEmpty(), "stale flannel route (S via S0 onlink on flannel.1) taken over and removed");
            assertTrue(route(n, "10.244.8.0/24").isEmpty(), "stale tagged route removed");
            assertTrue(route(n, "10.244.2.0/24").isPresent(), "missing route added");
            assertTrue(route(n, "10.244.10.0/24").isPresent(), "foreign route on eth0 untouched");
            assertTrue(route(n, "10.99.0.0/16").isPresent(), "foreign device route untouched");
            assertTrue(route(n, "10.98.0.0/16").isPresent(), "tagged route outside the network untouched");

            // A restart refuses while an untagged route (not flannel's own shape) leads into the network,
            // naming the Network and the route; flannel's own shape on flannel.1 does not stop it ...
            b.close();
            n.sh("ip", "route", "add", "10.244.9.0/24", "via", "10.244.9.0", "dev", "flannel.1", "onlink");
            BackendException e = assertThrows(BackendException.class, () -> started(n, CONF));
            assertTrue(e.getMessage().contains("10.244.0.0/16") && e.getMessage().contains("10.244.10.0/24 via 192.168.213.77 dev eth0"),
                    e.getMessage());
            // ... and once it is gone, with the same leases, writes nothing and removes nothing but flannel's.
            n.sh("ip", "route", "del", "10.244.10.0/24");
            Backend again = started(n, CONF);
            again.handle(TestLeases.snapshot(List.of(keep)));
            assertEquals(1, vteps(n).size());
            assertTrue(route(n, "10.244.2.0/24").isPresent());
            assertTrue(route(n, "10.244.9.0/24").isEmpty(), "flannel's route taken over on restart too");
        }
    }

    @Test
    void aRouteWeftDidNotMakeIsNeverReplaced(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = started(n, CONF);
            n.sh("ip", "route", "add", "10.244.2.0/24", "via", "192.168.213.9", "dev", "eth0");
            n.sh("ip", "route", "add", "10.244.3.0/24", "via", "10.244.3.0", "dev", "flannel.1", "onlink"); // flannel-made: taken over
            Lease l2 = TestLeases.vxlan("10.244.2.0/24", "192.168.213.50", MAC_B);
            Lease l3 = TestLeases.vxlan("10.244.3.0/24", "192.168.213.60", "0a:00:00:00:00:03");
            b.handle(TestLeases.added(l2));
            b.handle(TestLeases.added(l3));
            assertEquals(List.of("10.244.2.0/24 192.168.213.9 eth0 boot"), routesTo(n, "10.244.2.0/24"));
            assertEquals(List.of("10.244.3.0/24 10.244.3.0 flannel.1 87"), routesTo(n, "10.244.3.0/24"));
            b.handle(TestLeases.snapshot(List.of(l2, l3)));
            assertEquals(List.of("10.244.2.0/24 192.168.213.9 eth0 boot"), routesTo(n, "10.244.2.0/24"));
            assertEquals(List.of("10.244.3.0/24 10.244.3.0 flannel.1 87"), routesTo(n, "10.244.3.0/24"));
            b.handle(TestLeases.removed(l2));
            b.handle(TestLeases.removed(l3));
            assertEquals(List.of("10.244.2.0/24 192.168.213.9 eth0 boot"), routesTo(n, "10.244.2.0/24"));
            assertEquals(List.of(), routesTo(n, "10.244.3.0/24"));
        }
    }

    private static List<String> routesTo(TestNode n, String dst) {
        return KernelState.routes(n.netns(), 4, "main").stream().filter(r -> dst.equals(r.dst()))
                .map(r -> r.dst() + " " + r.gateway() + " " + r.dev() + " " + r.protocol()).sorted().toList();
    }

    @Test
    void directRoutingRoutesPeersOnTheSameSegmentWithoutEncapsulation(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = started(n, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"DirectRouting\":true}}");
            Lease near = TestLeases.vxlan("10.244.2.0/24", "192.168.213.2", MAC_B);
            Lease far = TestLeases.vxlan("10.244.3.0/24", "172.31.0.3", "0a:00:00:00:00:03"); // no route at all: encapsulate
            b.handle(TestLeases.added(near));
            b.handle(TestLeases.added(far));

            RouteInfo direct = route(n, "10.244.2.0/24").orElseThrow();
            assertEquals("192.168.213.2", direct.gateway());
            assertEquals("eth0", direct.dev());
            assertEquals("87", direct.protocol());
            assertEquals(List.of("10.244.3.0"), dsts(KernelState.neighbours(n.netns(), 4, "flannel.1")));
            assertEquals(List.of("0a:00:00:00:00:03"), vteps(n).stream().map(FdbInfo::mac).collect(Collectors.toList()));
            assertEquals("flannel.1", route(n, "10.244.3.0/24").orElseThrow().dev());

            // Snapshot keeps both as they are; Removed takes the direct route away.
            b.handle(TestLeases.snapshot(List.of(near, far)));
            assertEquals("eth0", route(n, "10.244.2.0/24").orElseThrow().dev());
            assertEquals("flannel.1", route(n, "10.244.3.0/24").orElseThrow().dev());
            b.handle(TestLeases.removed(near));
            assertTrue(route(n, "10.244.2.0/24").isEmpty());
        }
    }

    @Test
    void malformedBackendDataIsIgnored(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = started(n, CONF);
            List<Lease> bad = List.of(
                    TestLeases.lease("10.244.2.0/24", "192.168.213.50", "vxlan", "{\"VNI\":1,\"VtepMAC\":\"zz:00:00:00:00:02\"}"),
                    TestLeases.lease("10.244.3.0/24", "192.168.213.51", "vxlan", "{\"VtepMAC\":\"0a:00:00:00:00:03\"}"),
                    TestLeases.lease("10.244.4.0/24", "192.168.213.52", "vxlan", "{\"VNI\":1,\"VtepMAC\":\"ff:ff:ff:ff:ff:ff\"}"),
                    TestLeases.lease("10.244.5.0/24", "192.168.213.53", "vxlan", "{\"VNI\":\"one\",\"VtepMAC\":\"0a:00:00:00:00:05\"}"),
                    TestLeases.lease("10.244.6.0/24", "192.168.213.54", "vxlan", "[1,2]"),
                    TestLeases.lease("10.244.7.0/24", "192.168.213.55", "vxlan", null));
            for (Lease l : bad) {
                b.handle(TestLeases.added(l));
                b.handle(TestLeases.removed(l));
            }
            b.handle(TestLeases.snapshot(bad));
            assertEquals(List.of(), KernelState.neighbours(n.netns(), 4, "flannel.1"));
            assertEquals(List.of(), vteps(n));
            assertEquals(List.of(), VxlanDeviceTest.routesVia(n.netns(), "flannel.1"));

            // Still working.
            b.handle(TestLeases.added(TestLeases.vxlan("10.244.8.0/24", "192.168.213.56", MAC_B)));
            assertTrue(route(n, "10.244.8.0/24").isPresent());
        }
    }

    @Test
    void leasesOfOtherBackendsAndTheOwnLeaseAreIgnored(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = started(n, CONF);
            b.handle(TestLeases.added(TestLeases.hostGw("10.244.2.0/24", "192.168.213.2")));
            b.handle(TestLeases.added(TestLeases.lease("10.244.3.0/24", "192.168.213.3", "", null)));
            b.handle(TestLeases.added(TestLeases.vxlan("10.244.1.0/24", "192.168.213.1", MAC_B)));
            assertEquals(List.of(), KernelState.neighbours(n.netns(), 4, "flannel.1"));
            assertTrue(route(n, "10.244.2.0/24").isEmpty());
            assertTrue(route(n, "10.244.3.0/24").isEmpty());
            assertTrue(route(n, "10.244.1.0/24").isEmpty());
        }
    }

    static Optional<RouteInfo> route(TestNode n, String dst) {
        return KernelState.routes(n.netns(), 4).stream().filter(r -> dst.equals(r.dst())).findFirst();
    }

    static List<FdbInfo> vteps(TestNode n) {
        return KernelState.fdb(n.netns(), "flannel.1").stream().filter(f -> f.dst() != null).collect(Collectors.toList());
    }

    static List<String> dsts(List<NeighInfo> l) {
        return l.stream().map(NeighInfo::dst).sorted().collect(Collectors.toList());
    }

    static <T> T single(List<T> l) {
        assertEquals(1, l.size(), l.toString());
        return l.get(0);
    }
}
