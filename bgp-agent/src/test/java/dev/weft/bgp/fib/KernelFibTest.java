package dev.weft.bgp.fib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.libc.Errno;
import dev.weft.net.Cidr;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.RouteInfo;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** KernelFib against the real kernel in a wt- namespace, checked with {@code ip -j route}. */
@KernelTest
class KernelFibTest {
    private FibNetns net;
    private KernelFib fib;

    @BeforeAll
    static void names() {
        assertTrue(RtProtos.install(), "tests read protocol names: /etc/iproute2/rt_protos.d/weft.conf must be installable");
    }

    @BeforeEach
    void setUp() {
        net = new FibNetns();
        fib = net.startFib();
    }

    @AfterEach
    void tearDown() {
        try {
            if (fib != null) {
                fib.close();
            }
        } finally {
            net.close();
        }
    }

    private static Cidr p(String s) {
        return Cidr.parse(s);
    }

    private static List<String> gateways(RouteInfo r) {
        List<String> g = new ArrayList<>();
        for (JsonNode h : r.nexthops()) {
            g.add(h.path("gateway").asText());
        }
        return g;
    }

    @Test
    void singleRouteViaGateway() {
        assertEquals(List.of(), fib.install(p("10.244.1.0/24"), List.of(NextHop.via("192.168.213.2"))));
        RouteInfo r = net.route("10.244.1.0/24").orElseThrow();
        assertEquals("192.168.213.2", r.gateway());
        assertEquals("wt-a", r.dev());
        assertEquals("weft-bgp", r.protocol());
        assertTrue(r.nexthops().isMissingNode(), "one hop is a plain route: " + r.raw());
    }

    @Test
    void onlinkViaADeviceByName() {
        // Calico's IPIP shape: the gateway (another node) is on no local subnet.
        fib.install(p("10.96.5.128/26"), List.of(NextHop.via("10.100.99.22").dev("wt-a").withOnlink()));
        RouteInfo r = net.route("10.96.5.128/26").orElseThrow();
        assertEquals("10.100.99.22", r.gateway());
        assertEquals("wt-a", r.dev());
        assertTrue(r.flags().contains("onlink"), r.raw().toString());
    }

    @Test
    void ecmpWithTwoThenThreeThenOtherHops() {
        Cidr dst = p("10.244.2.0/24");
        fib.install(dst, List.of(NextHop.via("192.168.213.2"), NextHop.via("192.168.213.3")));
        assertEquals(List.of("192.168.213.2", "192.168.213.3"), gateways(net.route("10.244.2.0/24").orElseThrow()));

        fib.install(dst, List.of(NextHop.via("192.168.213.2"), NextHop.via("192.168.213.3"), NextHop.via("192.168.213.4")));
        assertEquals(List.of("192.168.213.2", "192.168.213.3", "192.168.213.4"), gateways(net.route("10.244.2.0/24").orElseThrow()));

        fib.install(dst, List.of(NextHop.via("192.168.213.5"), NextHop.via("192.168.213.4").withWeight(2)));
        RouteInfo r = net.route("10.244.2.0/24").orElseThrow();
        assertEquals(List.of("192.168.213.5", "192.168.213.4"), gateways(r));
        assertEquals(2, r.nexthops().get(1).path("weight").asInt());

        fib.install(dst, List.of(NextHop.via("192.168.213.6")));
        RouteInfo single = net.route("10.244.2.0/24").orElseThrow();
        assertEquals("192.168.213.6", single.gateway());
        assertTrue(single.nexthops().isMissingNode());
        assertEquals(List.of("10.244.2.0/24"), net.ours(), "still one route");
    }

    @Test
    void blackholeForAnOriginatedBlock() {
        fib.blackhole(p("10.96.66.192/26"));
        RouteInfo r = net.route("10.96.66.192/26").orElseThrow();
        assertEquals("blackhole", r.type());
        assertEquals("weft-bgp", r.protocol());
        fib.remove(p("10.96.66.192/26"));
        assertTrue(net.route("10.96.66.192/26").isEmpty());
    }

    @Test
    void replaceOfAnOwnRoute() {
        fib.install(p("10.244.3.0/24"), List.of(NextHop.via("192.168.213.2")));
        assertEquals(List.of(), fib.install(p("10.244.3.0/24"), List.of(NextHop.via("192.168.213.3"))));
        assertEquals("192.168.213.3", net.route("10.244.3.0/24").orElseThrow().gateway());
        assertEquals(List.of(), fib.blackhole(p("10.244.3.0/24")), "a forward route becomes a blackhole in place");
        assertEquals("blackhole", net.route("10.244.3.0/24").orElseThrow().type());
        assertEquals(List.of("10.244.3.0/24"), net.ours());
    }

    @Test
    void aForeignRouteWithTheSamePrefixIsLeftAlone() {
        net.ns.ip("route", "add", "10.244.9.0/24", "via", "192.168.213.5"); // proto boot
        List<FibProblem> problems = fib.install(p("10.244.9.0/24"), List.of(NextHop.via("192.168.213.2")));
        assertEquals(1, problems.size());
        assertEquals(FibProblem.Kind.CONFLICT, problems.get(0).kind());
        assertEquals(Errno.EEXIST, problems.get(0).errno());
        RouteInfo r = net.route("10.244.9.0/24").orElseThrow();
        assertEquals("192.168.213.5", r.gateway());
        assertEquals("boot", r.protocol());
        assertEquals(1, fib.status().conflicts());

        fib.remove(p("10.244.9.0/24"));
        assertEquals("192.168.213.5", net.route("10.244.9.0/24").orElseThrow().gateway(), "remove never deletes a foreign route");

        // Once the foreign route goes, a desired prefix is installed on the delete event.
        fib.install(p("10.244.9.0/24"), List.of(NextHop.via("192.168.213.2")));
        net.ns.ip("route", "del", "10.244.9.0/24");
        FibNetns.await("10.244.9.0/24 installed after the foreign route went",
                () -> net.route("10.244.9.0/24").map(x -> x.protocol().equals("weft-bgp")).orElse(false));
        assertEquals(0, fib.status().conflicts());
    }

    @Test
    void adoptOnRestartThenSweepWhatNoOneReannounced() {
        net.ns.ip("route", "add", "10.50.0.0/24", "via", "192.168.213.9", "proto", "87");
        net.ns.ip("route", "add", "10.51.0.0/24", "via", "192.168.213.9", "proto", "bird");
        net.ns.ip("route", "add", "10.52.0.0/24", "via", "192.168.213.9", "proto", "static");
        fib.apply(List.of(FibChange.install(p("10.244.10.0/24"), NextHop.via("192.168.213.2")),
                FibChange.install(p("10.244.11.0/24"), NextHop.via("192.168.213.2")),
                FibChange.install(p("fd00:244:12::/64"), NextHop.via("fd00:213::2")),
                FibChange.blackhole(p("10.244.13.0/24"))));
        fib.close(); // the routes persist, as BIRD's do with `persist`
        fib = null;
        assertEquals(List.of("10.244.10.0/24", "10.244.11.0/24", "10.244.13.0/24", "fd00:244:12::/64"), net.ours());

        fib = net.startFib();
        assertEquals(4, fib.status().stale());
        assertEquals(4, fib.status().installed());
        assertEquals(List.of("10.244.10.0/24", "10.244.11.0/24", "10.244.13.0/24", "fd00:244:12::/64"), net.ours(),
                "a start deletes nothing");
        fib.install(p("10.244.10.0/24"), List.of(NextHop.via("192.168.213.2"))); // unchanged
        fib.install(p("10.244.11.0/24"), List.of(NextHop.via("192.168.213.3"))); // changed
        assertEquals(2, fib.status().stale());

        assertEquals(2, fib.initialSyncDone());
        assertEquals(List.of("10.244.10.0/24", "10.244.11.0/24"), net.ours());
        assertEquals("192.168.213.3", net.route("10.244.11.0/24").orElseThrow().gateway());
        assertEquals("87", net.route("10.50.0.0/24").orElseThrow().protocol(), "the flannel backends' 87 (weft) is untouched");
        assertEquals("bird", net.route("10.51.0.0/24").orElseThrow().protocol());
        assertEquals("static", net.route("10.52.0.0/24").orElseThrow().protocol());
        assertEquals(new FibStatus(2, 2, 0, 0, 0, 0), fib.status());
    }

    @Test
    void anUnreachableNextHopIsKeptAndInstalledWhenTheAddressAppears() {
        List<FibProblem> problems = fib.install(p("10.244.20.0/24"), List.of(NextHop.via("192.168.77.2")));
        assertEquals(1, problems.size());
        assertEquals(FibProblem.Kind.UNREACHABLE, problems.get(0).kind());
        assertEquals(Errno.ENETUNREACH, problems.get(0).errno());
        assertTrue(net.route("10.244.20.0/24").isEmpty());
        assertEquals(1, fib.status().unreachable());

        net.ns.ip("addr", "add", "192.168.77.1/24", "dev", "wt-a");
        FibNetns.await("10.244.20.0/24 installed after 192.168.77.1/24 appeared", () -> net.route("10.244.20.0/24").isPresent());
        assertEquals("192.168.77.2", net.route("10.244.20.0/24").orElseThrow().gateway());
        FibNetns.await("the problem cleared", () -> fib.status().unreachable() == 0);
    }

    @Test
    void aMissingDeviceIsRetriedWhenTheLinkAppears() {
        List<FibProblem> problems = fib.install(p("10.96.7.0/26"), List.of(NextHop.via("10.100.99.23").dev("wt-tun").withOnlink()));
        assertEquals(FibProblem.Kind.UNREACHABLE, problems.get(0).kind());
        assertEquals(Errno.ENODEV, problems.get(0).errno());
        net.ns.ip("link", "add", "wt-tun", "type", "veth", "peer", "name", "wt-tun-p");
        net.ns.ip("link", "set", "wt-tun", "up");
        net.ns.ip("link", "set", "wt-tun-p", "up");
        FibNetns.await("10.96.7.0/26 via wt-tun", () -> net.route("10.96.7.0/26").map(r -> "wt-tun".equals(r.dev())).orElse(false));
    }

    @Test
    void anOwnRouteDeletedBySomeoneElseComesBack() {
        fib.install(p("10.244.30.0/24"), List.of(NextHop.via("192.168.213.2")));
        net.ns.ip("route", "del", "10.244.30.0/24", "proto", "weft-bgp");
        FibNetns.await("10.244.30.0/24 reinstalled", () -> net.route("10.244.30.0/24").isPresent());
        assertEquals("weft-bgp", net.route("10.244.30.0/24").orElseThrow().protocol());
    }

    @Test
    void ipv6RoutesEcmpAndBlackhole() {
        fib.apply(List.of(FibChange.install(p("fd00:244:1::/64"), NextHop.via("fd00:213::2")),
                FibChange.install(p("fd00:244:2::/64"), List.of(NextHop.via("fd00:213::2"), NextHop.via("fd00:213::3"))),
                FibChange.blackhole(p("fd00:244:3::/64")),
                FibChange.install(p("fd00:244:4::/64"), NextHop.via("fd00:99::1").dev("wt-a").withOnlink())));
        assertEquals("fd00:213::2", net.route("fd00:244:1::/64").orElseThrow().gateway());
        assertEquals(List.of("fd00:213::2", "fd00:213::3"), gateways(net.route("fd00:244:2::/64").orElseThrow()));
        assertEquals("blackhole", net.route("fd00:244:3::/64").orElseThrow().type());
        assertTrue(net.route("fd00:244:4::/64").orElseThrow().flags().contains("onlink"));

        fib.install(p("fd00:244:2::/64"), List.of(NextHop.via("fd00:213::4"), NextHop.via("fd00:213::5"), NextHop.via("fd00:213::6")));
        assertEquals(List.of("fd00:213::4", "fd00:213::5", "fd00:213::6"), gateways(net.route("fd00:244:2::/64").orElseThrow()));
        assertEquals(4, net.ours().size(), "a replace leaves one route per prefix");

        fib.apply(List.of(FibChange.remove(p("fd00:244:1::/64")), FibChange.remove(p("fd00:244:2::/64"))));
        assertEquals(List.of("fd00:244:3::/64", "fd00:244:4::/64"), net.ours());
        assertNull(fib.desired(p("fd00:244:1::/64")).orElse(null));
    }
}
