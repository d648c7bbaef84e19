package dev.weft.flannel.backend.hostgw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.BackendRegistry;
import dev.weft.flannel.backend.TestLeases;
import dev.weft.flannel.backend.TestNode;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.net.IpAddress;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.Underlay;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** host-gw: routes via the peer's PublicIP on eth0, the NAT refusal, the route check, reconciliation. */
@KernelTest
class HostGwBackendTest {
    static final String CONF = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}";

    private static Backend started(TestNode n) {
        Backend b = n.backend(CONF);
        LeaseAttrs attrs = b.prepare();
        b.start(TestLeases.own("10.244.1.0/24", attrs));
        return b;
    }

    static Optional<RouteInfo> route(TestNode n, String dst) {
        return KernelState.routes(n.netns(), 4).stream().filter(r -> dst.equals(r.dst())).findFirst();
    }

    @Test
    void refusesToStartBehindNat(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            BackendException e = assertThrows(BackendException.class, () -> BackendRegistry.standard()
                    .create(n.context(CONF, n.ext.withPublicIp(IpAddress.parse("203.0.113.7")))));
            assertEquals("your PublicIP differs from interface IP, meaning that probably you're on a NAT, "
                    + "which is not supported by host-gw backend", e.getMessage());
        }
    }

    @Test
    void leaseAttrsAndMtu(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = n.backend(CONF);
            LeaseAttrs a = b.prepare();
            assertEquals("host-gw", a.backendType());
            assertEquals(n.node.address(), a.publicIp().toString());
            assertNull(a.backendData());
            assertEquals("{\"PublicIP\":\"" + n.node.address() + "\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\"}", a.toJson());
            assertEquals(1500, b.mtu());
        }
    }

    @Test
    void addedRoutesViaPublicIpAndRemovedDeletes(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = started(n);
            Lease peer = TestLeases.hostGw("10.244.2.0/24", "192.168.213.2");
            b.handle(TestLeases.added(peer));
            RouteInfo r = route(n, "10.244.2.0/24").orElseThrow();
            assertEquals("192.168.213.2", r.gateway());
            assertEquals("eth0", r.dev());
            assertEquals("87", r.protocol());
            // vxlan leases are not for host-gw
            b.handle(TestLeases.added(TestLeases.vxlan("10.244.3.0/24", "192.168.213.3", "0a:00:00:00:00:03")));
            assertTrue(route(n, "10.244.3.0/24").isEmpty());

            b.handle(TestLeases.removed(peer));
            assertTrue(route(n, "10.244.2.0/24").isEmpty());
        }
    }

    @Test
    void routesWeftDidNotMakeAreNeverReplacedOrDeleted(Underlay ul, @TempDir Path state) throws Exception {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = started(n); // route check every 300 ms in tests
            n.sh("ip", "route", "add", "10.244.2.0/24", "via", "192.168.213.9", "dev", "eth0");                   // foreign, metric 0
            n.sh("ip", "route", "add", "10.244.3.0/24", "via", "192.168.213.9", "dev", "eth0", "metric", "50");   // foreign, metric 50
            n.sh("ip", "route", "add", "10.244.4.0/24", "via", "192.168.213.9", "dev", "eth0", "metric", "50", "proto", "87"); // ours, stale
            Lease l2 = TestLeases.hostGw("10.244.2.0/24", "192.168.213.2");
            b.handle(TestLeases.added(l2));
            b.handle(TestLeases.added(TestLeases.hostGw("10.244.3.0/24", "192.168.213.3")));
            b.handle(TestLeases.added(TestLeases.hostGw("10.244.4.0/24", "192.168.213.4")));
            Thread.sleep(700); // two rounds of the route check: it must not put "missing" routes over foreign ones
            assertEquals(List.of("192.168.213.9 boot 0"), routesTo(n, "10.244.2.0/24"));
            assertEquals(List.of("192.168.213.9 boot 50"), routesTo(n, "10.244.3.0/24"));
            assertEquals(List.of("192.168.213.4 87 0"), routesTo(n, "10.244.4.0/24"), "our own stale route is replaced");

            b.handle(TestLeases.snapshot(List.of(l2)));
            assertEquals(List.of("192.168.213.9 boot 0"), routesTo(n, "10.244.2.0/24"));
            assertEquals(List.of("192.168.213.9 boot 50"), routesTo(n, "10.244.3.0/24"));
            b.handle(TestLeases.removed(l2));
            assertEquals(List.of("192.168.213.9 boot 0"), routesTo(n, "10.244.2.0/24"), "Removed deletes only a tagged route");
        }
    }

    /** "gateway protocol metric" of every main-table route to {@code dst}, from ip -j route. */
    static List<String> routesTo(TestNode n, String dst) {
        return KernelState.routes(n.netns(), 4).stream().filter(r -> dst.equals(r.dst()))
                .map(r -> r.gateway() + " " + r.protocol() + " " + r.metric()).sorted().toList();
    }

    @Test
    void routeCheckPutsBackDeletedRoutes(Underlay ul, @TempDir Path state) throws Exception {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = started(n); // check interval 300 ms in tests
            b.handle(TestLeases.added(TestLeases.hostGw("10.244.2.0/24", "192.168.213.2")));
            // sh fails unless the route was there and is gone now; no read-back here: the 300 ms
            // check can put it back before a separate ip process has read the table
            n.sh("ip", "route", "del", "10.244.2.0/24");
            long deadline = System.currentTimeMillis() + 3_000;
            while (route(n, "10.244.2.0/24").isEmpty() && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertEquals("192.168.213.2", route(n, "10.244.2.0/24").orElseThrow().gateway());

            // A removed lease is not put back.
            b.handle(TestLeases.removed(TestLeases.hostGw("10.244.2.0/24", "192.168.213.2")));
            Thread.sleep(700);
            assertTrue(route(n, "10.244.2.0/24").isEmpty());
        }
    }

    @Test
    void snapshotRemovesOnlyItsOwnStaleRoutes(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = started(n);
            n.sh("ip", "route", "add", "10.244.7.0/24", "via", "192.168.213.7", "dev", "eth0");                  // foreign
            n.sh("ip", "route", "add", "10.244.6.0/24", "via", "192.168.213.6", "dev", "eth0", "proto", "static"); // foreign
            n.sh("ip", "route", "add", "10.244.8.0/24", "via", "192.168.213.8", "dev", "eth0", "proto", "87");     // ours, stale
            n.sh("ip", "route", "add", "10.97.0.0/16", "via", "192.168.213.8", "dev", "eth0", "proto", "87");      // another network's

            b.handle(TestLeases.snapshot(List.of(TestLeases.hostGw("10.244.2.0/24", "192.168.213.2"),
                    TestLeases.vxlan("10.244.5.0/24", "192.168.213.5", "0a:00:00:00:00:05"))));
            assertTrue(route(n, "10.244.2.0/24").isPresent(), "missing route added");
            assertTrue(route(n, "10.244.8.0/24").isEmpty(), "own stale route removed");
            assertTrue(route(n, "10.244.7.0/24").isPresent(), "foreign route kept");
            assertTrue(route(n, "10.244.6.0/24").isPresent(), "foreign route kept");
            assertTrue(route(n, "10.97.0.0/16").isPresent(), "route outside the network kept");
            assertTrue(route(n, "10.244.5.0/24").isEmpty(), "vxlan lease ignored");

            // A restarted daemon refuses to start while foreign routes lead into the network ...
            b.close();
            assertTrue(route(n, "10.244.2.0/24").isPresent(), "close() leaves the routes");
            BackendException e = assertThrows(BackendException.class, () -> started(n));
            assertTrue(e.getMessage().matches("Network 10\\.244\\.0\\.0/16 overlaps the route 10\\.244\\.[67]\\.0/24 via 192\\.168\\.213\\.[67] "
                    + "dev eth0 that Weft did not make .*"), e.getMessage());
            // ... and once they are gone keeps what is valid.
            n.sh("ip", "route", "del", "10.244.7.0/24");
            n.sh("ip", "route", "del", "10.244.6.0/24");
            Backend again = started(n);
            again.handle(TestLeases.snapshot(List.of()));
            assertTrue(route(n, "10.244.2.0/24").isEmpty());
            assertTrue(route(n, "10.97.0.0/16").isPresent());
        }
    }
}
