package dev.weft.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.libc.Errno;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netns.NetNs;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.TestNetns;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import dev.weft.testkit.KernelTest;
import org.junit.jupiter.api.Test;

/** Routes: gateway, onlink, blackhole, table, metric, src, batches; checked against {@code ip -j route}. */
@KernelTest
class RouteOpsTest {
    private TestNetns ns;
    private NetNs handle;
    private RtNetlink nl;
    private int dev;

    @BeforeEach
    void setUp() {
        ns = TestNetns.create();
        handle = NetNs.open(ns.path().toString());
        nl = RtNetlink.open(handle);
        nl.create(new LinkSpec.Veth("wt-a", "wt-b"));
        dev = nl.requireLink("wt-a").index();
        nl.setUp(dev);
        nl.setUp(nl.requireLink("wt-b").index());
        nl.addAddress(Address.of(dev, Cidr.parse("192.168.213.1/24")));
        nl.addAddress(Address.of(dev, Cidr.parse("fd00:213::1/64")).withFlags(Rt.IFA_F_NODAD));
    }

    @AfterEach
    void tearDown() {
        nl.close();
        handle.close();
        ns.close();
    }

    private static boolean inBlock(String dst) {
        return !dst.equals("default") && Cidr.parse("10.64.0.0/14").contains(Cidr.parse(dst));
    }

    private Optional<RouteInfo> route(int family, String table, String dst) {
        return KernelState.routes(ns.name(), family, table).stream().filter(r -> dst.equals(r.dst())).findFirst();
    }

    @Test
    void ipv4GatewayMetricSrcAndReplace() {
        nl.addRoute(Route.to(Cidr.parse("10.244.1.0/24")).via(IpAddress.parse("192.168.213.2")).dev(dev)
                .withPriority(300).withSrc(IpAddress.parse("192.168.213.1")));
        RouteInfo r = route(4, "main", "10.244.1.0/24").orElseThrow();
        assertEquals("192.168.213.2", r.gateway());
        assertEquals("wt-a", r.dev());
        assertEquals(300, r.metric());
        assertEquals("192.168.213.1", r.prefsrc());
        assertEquals("boot", r.protocol());

        NetlinkException dup = assertThrows(NetlinkException.class,
                () -> nl.addRoute(Route.to(Cidr.parse("10.244.1.0/24")).via(IpAddress.parse("192.168.213.2")).dev(dev).withPriority(300)));
        assertEquals(Errno.EEXIST, dup.errno());

        nl.replaceRoute(Route.to(Cidr.parse("10.244.1.0/24")).via(IpAddress.parse("192.168.213.3")).dev(dev).withPriority(300));
        assertEquals("192.168.213.3", route(4, "main", "10.244.1.0/24").orElseThrow().gateway());

        Route mine = nl.routes(Linux.AF_INET, Rt.RT_TABLE_MAIN).stream()
                .filter(x -> x.dst().equals(Cidr.parse("10.244.1.0/24"))).findFirst().orElseThrow();
        assertEquals(IpAddress.parse("192.168.213.3"), mine.gateway());
        assertEquals(dev, mine.oif());
        assertEquals(300, mine.priority());
    }

    @Test
    void onlinkRouteToAGatewayOutsideEverySubnet() {
        // flannel's vxlan routes: the gateway (the peer's VTEP address) is not on any local subnet.
        nl.addRoute(Route.to(Cidr.parse("10.244.7.0/24")).via(IpAddress.parse("10.244.7.0")).dev(dev).onlink());
        RouteInfo r = route(4, "main", "10.244.7.0/24").orElseThrow();
        assertEquals("10.244.7.0", r.gateway());
        assertTrue(r.flags().contains("onlink"), "ip must show onlink: " + r.flags());
        assertTrue(nl.routes(Linux.AF_INET, Rt.RT_TABLE_MAIN).stream()
                .anyMatch(x -> x.dst().equals(Cidr.parse("10.244.7.0/24")) && x.isOnlink()));
        // Without onlink the kernel refuses the same route.
        NetlinkException e = assertThrows(NetlinkException.class,
                () -> nl.addRoute(Route.to(Cidr.parse("10.244.8.0/24")).via(IpAddress.parse("10.244.8.0")).dev(dev)));
        assertEquals(Errno.ENETUNREACH, e.errno());
    }

    @Test
    void blackholeAndTableAndIpv6() {
        nl.addRoute(Route.blackhole(Cidr.parse("10.244.0.0/16")));
        RouteInfo bh = route(4, "main", "10.244.0.0/16").orElseThrow();
        assertEquals("blackhole", bh.type());
        assertNull(bh.dev());

        nl.addRoute(Route.to(Cidr.parse("0.0.0.0/0")).via(IpAddress.parse("192.168.213.9")).dev(dev).inTable(100));
        RouteInfo def = route(4, "100", "default").orElseThrow();
        assertEquals("192.168.213.9", def.gateway());
        assertTrue(route(4, "main", "default").isEmpty(), "table 100 route must not land in main");
        assertTrue(nl.routes(Linux.AF_INET, 100).stream().anyMatch(x -> x.dst().prefixLength() == 0 && x.table() == 100));

        nl.addRoute(Route.to(Cidr.parse("fd00:244:1::/64")).via(IpAddress.parse("fd00:213::2")).dev(dev).withPriority(50));
        RouteInfo v6 = route(6, "main", "fd00:244:1::/64").orElseThrow();
        assertEquals("fd00:213::2", v6.gateway());
        assertEquals(50, v6.metric());
        nl.addRoute(Route.blackhole(Cidr.parse("fd00:244::/48")));
        assertEquals("blackhole", route(6, "main", "fd00:244::/48").orElseThrow().type());
        nl.addRoute(Route.to(Cidr.parse("fd00:245::/64")).via(IpAddress.parse("fd00:213::3")).dev(dev).inTable(2000));
        assertEquals("fd00:213::3", route(6, "2000", "fd00:245::/64").orElseThrow().gateway());

        nl.deleteRoute(Route.to(Cidr.parse("fd00:244:1::/64")).via(IpAddress.parse("fd00:213::2")).dev(dev).withPriority(50));
        assertTrue(route(6, "main", "fd00:244:1::/64").isEmpty());
        nl.deleteRoute(Route.blackhole(Cidr.parse("10.244.0.0/16")));
        assertTrue(route(4, "main", "10.244.0.0/16").isEmpty());
    }

    @Test
    void deletingAMissingRouteGivesEnoent() {
        NetlinkException e = assertThrows(NetlinkException.class,
                () -> nl.deleteRoute(Route.to(Cidr.parse("10.99.0.0/24")).dev(dev)));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.isNotFound());
        NetlinkException e6 = assertThrows(NetlinkException.class,
                () -> nl.deleteRoute(Route.to(Cidr.parse("fd00:99::/64")).dev(dev)));
        assertEquals(Errno.ENOENT, e6.errno());
    }

    @Test
    void batchProgramsHundredsAndReportsEachFailureByIndex() {
        RtNetlink.Batch b = nl.batch();
        for (int i = 0; i < 600; i++) {
            b.addRoute(Route.to(Cidr.of(IpAddress.ofV4(0x0a400000 + (i << 8)), 24)).via(IpAddress.parse("192.168.213.2")).dev(dev));
        }
        b.addRoute(Route.to(Cidr.parse("10.64.5.0/24")).via(IpAddress.parse("192.168.213.2")).dev(dev)); // duplicate of #5
        b.addRoute(Route.to(Cidr.parse("10.200.0.0/24")).via(IpAddress.parse("192.168.213.2")).dev(dev));
        List<BatchFailure> failures = b.execute();
        assertEquals(1, failures.size(), () -> failures.size() + " failures, first: " + failures.get(0));
        assertEquals(600, failures.get(0).index());
        assertEquals(Errno.EEXIST, failures.get(0).error().errno());

        long inKernel = KernelState.routes(ns.name(), 4, "main").stream()
                .filter(r -> inBlock(r.dst()) || r.dst().equals("10.200.0.0/24")).count();
        assertEquals(601, inKernel, "every request after the failing one must still be applied");

        RtNetlink.Batch del = nl.batch();
        for (int i = 0; i < 600; i++) {
            del.deleteRoute(Route.to(Cidr.of(IpAddress.ofV4(0x0a400000 + (i << 8)), 24)).via(IpAddress.parse("192.168.213.2")).dev(dev));
        }
        del.executeOrThrow();
        assertEquals(0, KernelState.routes(ns.name(), 4, "main").stream().filter(r -> inBlock(r.dst())).count());
    }

    @Test
    void multipathRoutesInstallReplaceAndDumpIpv4AndIpv6() {
        Route ecmp = Route.to(Cidr.parse("10.96.5.128/26")).withProtocol(88).multipath(List.of(
                Route.NextHop.via(IpAddress.parse("192.168.213.2"), dev),
                Route.NextHop.via(IpAddress.parse("192.168.213.3"), dev).withWeight(3),
                Route.NextHop.via(IpAddress.parse("10.100.99.22"), dev).onlink()));
        nl.replaceRoute(ecmp);
        RouteInfo r = route(4, "main", "10.96.5.128/26").orElseThrow();
        assertEquals(3, r.nexthops().size(), () -> "ip shows " + r.raw());
        assertEquals("192.168.213.2", r.nexthops().get(0).path("gateway").asText());
        assertEquals(3, r.nexthops().get(1).path("weight").asInt());
        assertTrue(r.nexthops().get(2).path("flags").toString().contains("onlink"), () -> r.raw().toString());
        Route back = nl.routes(Linux.AF_INET, Rt.RT_TABLE_MAIN, 88).get(0);
        assertEquals(ecmp.nexthops(), back.nexthops().stream().map(h -> new Route.NextHop(h.gateway(), h.oif(), h.weight(),
                h.flags() & Rt.RTNH_F_ONLINK)).toList());

        // Replace with two hops: the set shrinks in place, the route stays one route.
        nl.replaceRoute(ecmp.multipath(ecmp.nexthops().subList(0, 2)));
        assertEquals(2, route(4, "main", "10.96.5.128/26").orElseThrow().nexthops().size());

        Route v6 = Route.to(Cidr.parse("fd00:244:2::/64")).withProtocol(88).multipath(List.of(
                Route.NextHop.via(IpAddress.parse("fd00:213::2"), dev), Route.NextHop.via(IpAddress.parse("fd00:213::3"), dev)));
        nl.replaceRoute(v6);
        assertEquals(2, route(6, "main", "fd00:244:2::/64").orElseThrow().nexthops().size());
        List<Route> ours6 = nl.routes(Linux.AF_INET6, Rt.RT_TABLE_MAIN, 88);
        assertEquals(1, ours6.size(), () -> "" + ours6);
        assertEquals(2, ours6.get(0).nexthops().size(), () -> "" + ours6);
        nl.deleteRoute(v6);
        assertTrue(route(6, "main", "fd00:244:2::/64").isEmpty());
    }

    @Test
    void routesOfOneProtocolAndTable() {
        nl.addRoute(Route.to(Cidr.parse("10.70.0.0/24")).via(IpAddress.parse("192.168.213.2")).dev(dev).withProtocol(88));
        nl.addRoute(Route.to(Cidr.parse("10.70.1.0/24")).via(IpAddress.parse("192.168.213.2")).dev(dev).withProtocol(87));
        nl.addRoute(Route.to(Cidr.parse("10.70.2.0/24")).via(IpAddress.parse("192.168.213.2")).dev(dev).withProtocol(88).inTable(100));
        assertEquals(List.of(Cidr.parse("10.70.0.0/24")),
                nl.routes(Linux.AF_INET, Rt.RT_TABLE_MAIN, 88).stream().map(Route::dst).toList());
        assertEquals(List.of(Cidr.parse("10.70.2.0/24")), nl.routes(Linux.AF_INET, 100, 88).stream().map(Route::dst).toList());
        assertEquals(2, nl.routes(Linux.AF_UNSPEC, Rt.RT_TABLE_UNSPEC, 88).size());
        assertTrue(nl.routes(Linux.AF_INET, 4242, 88).isEmpty(), "a table that does not exist holds no routes");
        assertTrue(nl.routes(Linux.AF_INET6, Rt.RT_TABLE_MAIN, 88).isEmpty());
        // Other dumps on the same socket still work after the strict one (the option is switched back off).
        assertTrue(nl.links().size() >= 3);
        assertTrue(nl.routes(Linux.AF_INET, Rt.RT_TABLE_MAIN).size() >= 3);
    }
}
