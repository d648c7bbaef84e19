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
            assertTrue(events.kernelFiltered(), "this kernel takes socket filters on netlink: the echoes never reach us");
            ns.ip("link", "del", "wt-ev");
        }
    }

    @Test
    void theKernelDropsTheIgnoredProtocolsAddsBeforeTheSocketSeesThem() {
        // Read raw, with no decoding or filtering of ours: what arrives is what the kernel let through.
        try (TestNetns ns = TestNetns.create(); NetNs handle = NetNs.open(ns.path().toString());
             NetlinkSocket socket = handle.run(() -> NetlinkSocket.open(0, 0))) {
            socket.joinGroup(Rt.RTNLGRP_IPV4_ROUTE);
            assertTrue(socket.attachFilter(RouteEchoFilter.program(88, java.nio.ByteOrder.nativeOrder())));
            ns.ip("link", "add", "wt-ev", "type", "bridge");
            ns.ip("link", "set", "wt-ev", "up");
            ns.ip("route", "add", "10.213.70.0/24", "dev", "wt-ev", "proto", "88");
            ns.ip("route", "add", "10.213.71.0/24", "dev", "wt-ev", "proto", "89");
            ns.ip("route", "del", "10.213.70.0/24", "dev", "wt-ev", "proto", "88");
            java.nio.ByteBuffer rx = NetlinkSocket.allocate(64 * 1024);
            long address = NetlinkSocket.pointerTo(rx);
            java.util.List<String> seen = new java.util.ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (seen.size() < 2 && System.nanoTime() < deadline) {
                if (!socket.receive(rx, address, true)) {
                    sleep(10);
                    continue;
                }
                // one notification per datagram: type at 4, rtm_dst_len at 17, rtm_protocol at 21
                int type = Short.toUnsignedInt(rx.getShort(4));
                int protocol = Byte.toUnsignedInt(rx.get(RouteEchoFilter.RTM_PROTOCOL_OFFSET));
                seen.add((type == Rt.RTM_NEWROUTE ? "add" : type == Rt.RTM_DELROUTE ? "del" : "type " + type) + " proto " + protocol);
            }
            // the proto 88 add never came; the other protocol's add and our deletion did, in order
            assertEquals(java.util.List.of("add proto 89", "del proto 88"), seen);
            ns.ip("link", "del", "wt-ev");
        }
    }

    @Test
    void theFilterProgramIsSixInstructionsThatCompareTheHostOrderType() {
        java.nio.ByteBuffer le = RouteEchoFilter.program(88, java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(6 * RouteEchoFilter.INSN_BYTES, le.remaining());
        // BPF loads the half-word big-endian: 24 stored little-endian reads back as 0x1800
        assertEquals(0x1800, le.order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(RouteEchoFilter.INSN_BYTES + 4));
        java.nio.ByteBuffer be = RouteEchoFilter.program(88, java.nio.ByteOrder.BIG_ENDIAN);
        assertEquals(24, be.getInt(RouteEchoFilter.INSN_BYTES + 4));
        assertEquals(88, be.getInt(3 * RouteEchoFilter.INSN_BYTES + 4));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> RouteEchoFilter.program(0, java.nio.ByteOrder.LITTLE_ENDIAN));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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

    /** A watcher may wait for minutes: wakeUp and close from another thread end the wait at once. */
    @Test
    void wakeUpAndCloseEndALongWaitAtOnce() throws Exception {
        try (TestNetns ns = TestNetns.create(); NetNs handle = NetNs.open(ns.path().toString())) {
            RtEvents events = RtEvents.subscribe(handle, Rt.RTNLGRP_LINK);
            for (Runnable stop : new Runnable[] {events::wakeUp, events::close}) {
                java.util.concurrent.CompletableFuture<Optional<RtEvent>> waiting =
                        java.util.concurrent.CompletableFuture.supplyAsync(() -> events.next(Duration.ofMinutes(5)));
                Thread.sleep(200);
                assertTrue(!waiting.isDone(), "still waiting before it is woken");
                long t0 = System.nanoTime();
                stop.run();
                assertEquals(Optional.empty(), waiting.get(5, java.util.concurrent.TimeUnit.SECONDS));
                assertTrue(System.nanoTime() - t0 < 2_000_000_000L, "woken within 2 s, not at the 5 min timeout");
            }
            events.close(); // a second close touches nothing
            events.wakeUp();
        }
    }
}
