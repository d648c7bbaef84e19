package dev.weft.testkit.bgp;

import dev.weft.testkit.KernelTest;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.Underlay;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kit's peers against each other on a real L2 segment: what later proves the agent's interop. */
@KernelTest
class BgpPeersTest {
    private static final Duration UP = Duration.ofSeconds(40);
    private static final long AS = 64512;

    @Test
    void twoBirdsOverIbgpInstallEachOthersStaticRouteInTheKernel() {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node a = lan.addSpeaker("a");
            Underlay.Node b = lan.addSpeaker("b");
            try (BirdPeer ba = BirdPeer.start(a.netns(), BirdConfig.of(a.address(), AS)
                         .neighbour(BirdConfig.Neighbour.of("b", b.address())).staticRoute("10.244.1.0/26"));
                 BirdPeer bb = BirdPeer.start(b.netns(), BirdConfig.of(b.address(), AS)
                         .neighbour(BirdConfig.Neighbour.of("a", a.address())).staticRoute("10.244.2.0/26"))) {
                Instant since = ba.waitEstablished("b", UP);
                bb.waitEstablished("a", UP);
                assertTrue(Math.abs(Duration.between(since, Instant.now()).toMinutes()) < 5,
                        "since is parsed from BIRD's epoch time format: " + since);

                RouteInfo r = awaitRoute(() -> bb.routes(4), "10.244.1.0/26");
                assertEquals(a.address(), r.gateway());
                assertEquals("eth0", r.dev());
                assertEquals(b.address(), awaitRoute(() -> ba.routes(4), "10.244.2.0/26").gateway());

                // withdraw through a reconfigure, announce another
                ba.removeStatic("10.244.1.0/26");
                ba.addStatic("10.244.3.0/26");
                awaitRoute(() -> bb.routes(4), "10.244.3.0/26");
                awaitAbsent(() -> bb.routes(4), "10.244.1.0/26");

                ba.disable("b");
                // BIRD can show the protocol as "stop" for a moment on its way down
                await(() -> "down".equals(ba.protocol("b").state()) ? Boolean.TRUE : null, "b's protocol down");
                awaitAbsent(() -> bb.routes(4), "10.244.3.0/26");
                ba.enable("b");
                ba.waitEstablished("b", UP);
                awaitRoute(() -> bb.routes(4), "10.244.3.0/26");
            }
        }
    }

    @Test
    void birdAndGobgpExchangeIpv4AndIpv6RoutesOverIbgp() {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node b = lan.addSpeaker("bird");
            Underlay.Node g = lan.addSpeaker("gobgp");
            BirdConfig bc = BirdConfig.of(b.address(), AS).localV6(b.address6())
                    .neighbour(BirdConfig.Neighbour.of("g4", g.address()))
                    .neighbour(BirdConfig.Neighbour.of("g6", g.address6()))
                    .staticRoute("10.244.1.0/26").staticRoute("fd00:244:1::/64");
            GobgpConfig gc = GobgpConfig.of(g.address(), AS).listen(g.address6())
                    .neighbour(GobgpConfig.Neighbour.of(b.address()))
                    .neighbour(GobgpConfig.Neighbour.of(b.address6()).localAddress(g.address6()));
            try (BirdPeer bird = BirdPeer.start(b.netns(), bc); GobgpPeer gobgp = GobgpPeer.start(g.netns(), gc)) {
                bird.waitEstablished("g4", UP);
                bird.waitEstablished("g6", UP);
                gobgp.waitEstablished(b.address(), UP);
                assertEquals("ESTABLISHED", gobgp.neighborState(b.address6()));

                gobgp.addRoute("10.244.2.0/26", g.address(), "community", "64512:100");
                gobgp.addRoute("fd00:244:2::/64", g.address6());
                assertEquals(g.address(), awaitRoute(() -> bird.routes(4), "10.244.2.0/26").gateway());
                assertEquals(g.address6(), awaitRoute(() -> bird.routes(6), "fd00:244:2::/64").gateway());

                GobgpPeer.RibPath v4 = await(() -> find(gobgp.adjIn(b.address(), 4), "10.244.1.0/26"), "adj-in v4");
                assertEquals(b.address(), v4.nexthop());
                GobgpPeer.RibPath v6 = await(() -> find(gobgp.rib(6), "fd00:244:1::/64"), "rib v6");
                assertEquals(b.address6(), v6.nexthop());

                gobgp.delRoute("10.244.2.0/26");
                awaitAbsent(() -> bird.routes(4), "10.244.2.0/26");
                gobgp.reset(b.address());
                gobgp.waitEstablished(b.address(), UP);
            }
        }
    }

    @Test
    void tcpMd5SessionComesUpWithTheSameKeyAndNeverWithAnother() {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node a = lan.addSpeaker("a");
            Underlay.Node b = lan.addSpeaker("b");
            Underlay.Node c = lan.addSpeaker("c");
            // a peers with b (same key) and with c (c has another key)
            BirdConfig ca = BirdConfig.of(a.address(), AS)
                    .neighbour(BirdConfig.Neighbour.of("b", b.address()).password("right-key"))
                    .neighbour(BirdConfig.Neighbour.of("c", c.address()).password("right-key"))
                    .staticRoute("10.244.1.0/26");
            try (BirdPeer pa = BirdPeer.start(a.netns(), ca);
                 BirdPeer pb = BirdPeer.start(b.netns(), BirdConfig.of(b.address(), AS)
                         .neighbour(BirdConfig.Neighbour.of("a", a.address()).password("right-key")));
                 BirdPeer pc = BirdPeer.start(c.netns(), BirdConfig.of(c.address(), AS)
                         .neighbour(BirdConfig.Neighbour.of("a", a.address()).password("wrong-key")))) {
                pa.waitEstablished("b", UP);
                awaitRoute(() -> pb.routes(4), "10.244.1.0/26");
                // connect delay 1 s + connect retry 5 s: within 12 s both sides have tried more than once
                long end = System.nanoTime() + Duration.ofSeconds(12).toNanos();
                while (System.nanoTime() < end) {
                    assertFalse(pa.protocol("c").established(), "session with the wrong MD5 key came up");
                    assertFalse(pc.protocol("a").established(), "session with the wrong MD5 key came up");
                    Daemon.sleep(200);
                }
                assertTrue(pc.routes(4).isEmpty(), "no route crosses a session with the wrong key");
            }
        }
    }

    private static GobgpPeer.RibPath find(List<GobgpPeer.RibPath> paths, String prefix) {
        return paths.stream().filter(p -> p.prefix().equals(prefix)).findFirst().orElse(null);
    }

    static RouteInfo awaitRoute(Supplier<List<RouteInfo>> routes, String dst) {
        return await(() -> routes.get().stream().filter(r -> r.dst().equals(dst)).findFirst().orElse(null),
                "route " + dst);
    }

    static void awaitAbsent(Supplier<List<RouteInfo>> routes, String dst) {
        await(() -> routes.get().stream().noneMatch(r -> r.dst().equals(dst)) ? Boolean.TRUE : null, "no route " + dst);
    }

    /** Polls until the supplier gives non-null; protocol convergence has no event to wait on. */
    static <T> T await(Supplier<T> s, String what) {
        long deadline = System.nanoTime() + UP.toNanos();
        T v;
        while ((v = s.get()) == null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Daemon.sleep(100);
        }
        return v;
    }
}
