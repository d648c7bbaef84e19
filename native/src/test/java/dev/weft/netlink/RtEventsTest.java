package dev.weft.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import dev.weft.netns.NetNs;
import dev.weft.testkit.TestNetns;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;
import dev.weft.testkit.KernelTest;
import org.junit.jupiter.api.Test;

/** Event subscription: changes made by an independent tool ({@code ip}) arrive as typed events. */
@KernelTest
class RtEventsTest {

    @Test
    void linkAndRouteChangesMadeByIpArriveAsEvents() {
        try (TestNetns ns = TestNetns.create(); NetNs handle = NetNs.open(ns.path().toString());
             RtEvents events = RtEvents.subscribe(handle, Rt.RTNLGRP_LINK, Rt.RTNLGRP_IPV4_ROUTE)) {
            ns.ip("link", "add", "wt-ev", "type", "bridge");
            RtEvent.LinkChange added = await(events, RtEvent.LinkChange.class, e -> "wt-ev".equals(e.link().name()) && !e.removed());
            assertEquals("bridge", added.link().kind());

            ns.ip("link", "set", "wt-ev", "up");
            ns.ip("addr", "add", "10.213.9.1/24", "dev", "wt-ev");
            ns.ip("route", "add", "10.213.50.0/24", "via", "10.213.9.2", "dev", "wt-ev", "onlink");
            RtEvent.RouteChange route = await(events, RtEvent.RouteChange.class,
                    e -> !e.removed() && e.route().dst().equals(Cidr.parse("10.213.50.0/24")));
            assertEquals(added.link().index(), route.route().oif());
            assertTrue(route.route().isOnlink());

            ns.ip("link", "del", "wt-ev");
            RtEvent.LinkChange removed = await(events, RtEvent.LinkChange.class, e -> "wt-ev".equals(e.link().name()) && e.removed());
            assertEquals(added.link().index(), removed.link().index());
        }
    }

    @Test
    void ignoredProtocolsRouteAddsAreDroppedButItsDeletionsArrive() {
        try (TestNetns ns = TestNetns.create(); NetNs handle = NetNs.open(ns.path().toString());
             RtEvents events = RtEvents.subscribe(handle, Rt.RTNLGRP_IPV4_ROUTE).ignoringRouteAddsOf(88)) {
            ns.ip("link", "add", "wt-ev", "type", "bridge");
            ns.ip("link", "set", "wt-ev", "up");
            ns.ip("route", "add", "10.213.60.0/24", "dev", "wt-ev", "proto", "88");
            ns.ip("route", "add", "10.213.61.0/24", "dev", "wt-ev", "proto", "static");
            ns.ip("route", "del", "10.213.60.0/24", "dev", "wt-ev", "proto", "88");
            // in order: the other protocol's add, then our route's deletion; never our route's add
            RtEvent.RouteChange first = await(events, RtEvent.RouteChange.class,
                    e -> e.route().dst().toString().startsWith("10.213.6"));
            assertEquals(Cidr.parse("10.213.61.0/24"), first.route().dst());
            RtEvent.RouteChange second = await(events, RtEvent.RouteChange.class,
                    e -> e.route().dst().toString().startsWith("10.213.6"));
            assertEquals(Cidr.parse("10.213.60.0/24"), second.route().dst());
            assertTrue(second.removed());
            ns.ip("link", "del", "wt-ev");
        }
    }

    @Test
    void noEventMeansAnEmptyAnswerAfterTheTimeout() {
        try (TestNetns ns = TestNetns.create(); NetNs handle = NetNs.open(ns.path().toString());
             RtEvents events = RtEvents.subscribe(handle, Rt.RTNLGRP_LINK)) {
            long t0 = System.nanoTime();
            assertTrue(events.next(Duration.ofMillis(200)).isEmpty());
            assertTrue(System.nanoTime() - t0 >= 150_000_000L, "next must wait for the timeout");
        }
    }

    private static <T extends RtEvent> T await(RtEvents events, Class<T> type, Predicate<T> match) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<RtEvent> e = events.next(Duration.ofMillis(500));
            if (e.isPresent() && type.isInstance(e.get()) && match.test(type.cast(e.get()))) {
                return type.cast(e.get());
            }
        }
        throw new AssertionError("no matching " + type.getSimpleName() + " within 5 s");
    }
}
