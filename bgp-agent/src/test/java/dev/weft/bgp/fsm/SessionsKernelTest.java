package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.Nlri;
import dev.weft.bgp.wire.Notification;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import dev.weft.testkit.VethPair;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static dev.weft.bgp.fsm.TestSpeaker.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two (or three) of our speakers in wt- namespaces on one veth: sessions come up, carry UPDATEs,
 * keep their keepalives going while the listener is stuck, and peers come and go at runtime.
 */
@KernelTest
class SessionsKernelTest {
    static final long AS = 64512;
    static final String A = "10.77.0.1";
    static final String B = "10.77.0.2";
    static final String C = "10.77.0.3";

    static VethPair link(TestNetns a, TestNetns b) {
        return VethPair.builder().a("eth0", a).b("eth0", b).addressA(A + "/24").addressB(B + "/24").create();
    }

    /** Configures a and b as iBGP peers of each other and waits until both see the session Established. */
    static void peerUp(TestSpeaker a, TestSpeaker b) {
        a.sessions.addPeer(a.peer(b, AS));
        b.sessions.addPeer(b.peer(a, AS));
        a.awaitState(b, SessionState.ESTABLISHED);
        b.awaitState(a, SessionState.ESTABLISHED);
    }

    static Update route(int i, String nextHop) {
        return new Update(List.of(), List.of(new PathAttribute.Origin(0), new PathAttribute.AsPath(List.of()),
                new PathAttribute.NextHop(IpAddress.parse(nextHop)), new PathAttribute.LocalPref(100)),
                List.of(Nlri.of(Cidr.parse("10.244." + i + ".0/26"))));
    }

    /** The established TCP connections in a namespace, as "local peer" pairs. */
    static List<String> connections(TestNetns ns) {
        return ns.exec("ss", "-Htn", "state", "established").lines().stream()
                .map(l -> l.trim().split("\\s+")).map(f -> f[f.length - 2] + " " + f[f.length - 1]).sorted().toList();
    }

    /** The established connections of {@code ns} whose remote end is {@code peer} (also as an IPv4-mapped address). */
    static List<String> connections(TestNetns ns, String peer) {
        return connections(ns).stream().filter(c -> c.substring(c.indexOf(' ') + 1).replace("[::ffff:", "").replace("]", "").startsWith(peer + ":")).toList();
    }

    @Test
    void twoSpeakersEstablishAndExchangeAnUpdate(TestNetns na, TestNetns nb) {
        try (VethPair veth = link(na, nb);
             TestSpeaker a = TestSpeaker.start("a", na, A, AS);
             TestSpeaker b = TestSpeaker.start("b", nb, B, AS)) {
            peerUp(a, b);
            assertEquals(Sessions.SendResult.OK, a.sessions.send(new PeerId(b.address), route(1, A)));
            await("b gets the UPDATE", Duration.ofSeconds(10), () -> !b.updates.isEmpty());
            Update got = b.updates.get(0);
            assertEquals(List.of(Nlri.of(Cidr.parse("10.244.1.0/26"))), got.nlri());
            assertEquals(IpAddress.parse(A), got.attribute(PathAttribute.NextHop.class).orElseThrow().address());
            assertEquals(1, connections(na).size(), "collision detection left one connection");
            Negotiated n = a.firstEstablished();
            assertEquals(9, n.holdTime());
            assertTrue(n.fourOctetAs() && n.routeRefresh());
        }
    }

    @Test
    void keepalivesGoOnWhileTheListenerIsBlocked(TestNetns na, TestNetns nb) {
        // b's listener (its RIB thread) is stuck for 10 s and reads at most 8 queued UPDATEs; hold is 3 s.
        try (VethPair veth = link(na, nb);
             TestSpeaker a = TestSpeaker.start("a", na, A, AS);
             TestSpeaker b = TestSpeaker.start("b", nb, B, AS, 8)) {
            CountDownLatch stuck = new CountDownLatch(1);
            b.blockListener = stuck;
            a.sessions.addPeer(a.peer(b, AS).withTimers(3, 0, Duration.ofSeconds(1)));
            b.sessions.addPeer(b.peer(a, AS).withTimers(3, 0, Duration.ofSeconds(1)));
            a.awaitState(b, SessionState.ESTABLISHED);
            b.awaitState(a, SessionState.ESTABLISHED);
            await("b's listener is blocked in established()", Duration.ofSeconds(10), () -> b.established.size() == 1);
            for (int i = 0; i < 40; i++) {
                assertNotEquals(Sessions.SendResult.NOT_ESTABLISHED, a.sessions.send(new PeerId(b.address), route(i, A)));
            }
            long keepalivesBefore = a.status(b).messagesIn();
            long start = System.nanoTime();
            while (System.nanoTime() - start < Duration.ofSeconds(15).toNanos()) {
                if (System.nanoTime() - start > Duration.ofSeconds(10).toNanos()) {
                    stuck.countDown();
                }
                assertEquals(SessionState.ESTABLISHED, a.state(b), a.status(b).lastError());
                assertEquals(SessionState.ESTABLISHED, b.state(a), b.status(a).lastError());
                sleep(100);
            }
            long keepalives = a.status(b).messagesIn() - keepalivesBefore;
            assertTrue(keepalives >= 10, "a got only " + keepalives + " KEEPALIVEs from b in 15 s");
            // (lastError may tell of a connection b refused before it knew a: not of a hold timer)
            assertFalse(a.status(b).lastError().contains("hold timer"), a.status(b).lastError());
            assertFalse(b.status(a).lastError().contains("hold timer"), b.status(a).lastError());
            assertTrue(a.downs.isEmpty() && b.downs.isEmpty());
            assertTrue(b.status(a).readPauses() > 0, "b stopped reading while its listener was stuck");
            await("b applies all 40 UPDATEs", Duration.ofSeconds(20), () -> b.updates.size() == 40);
        }
    }

    @Test
    void passivePeersNeverConnect(TestNetns na, TestNetns nb) {
        try (VethPair veth = link(na, nb);
             TestSpeaker a = TestSpeaker.start("a", na, A, AS);
             TestSpeaker b = TestSpeaker.start("b", nb, B, AS)) {
            a.sessions.addPeer(a.peer(b, AS).withPassive(true));
            b.sessions.addPeer(b.peer(a, AS).withPassive(true));
            sleep(4000); // four connect-retry periods
            assertEquals(SessionState.ACTIVE, a.state(b));
            assertEquals(SessionState.ACTIVE, b.state(a));
            assertEquals(List.of(), connections(na));
            assertEquals(0, a.status(b).messagesIn() + b.status(a).messagesIn());
            // one active side is enough
            b.sessions.removePeer(new PeerId(a.address));
            b.sessions.addPeer(b.peer(a, AS));
            a.awaitState(b, SessionState.ESTABLISHED);
        }
    }

    @Test
    void aPeerAddedAtRuntimeLeavesTheOthersAlone(TestNetns na, TestNetns nb) {
        try (VethPair veth = link(na, nb)) {
            nb.ip("addr", "add", C + "/24", "dev", "eth0");
            try (TestSpeaker a = TestSpeaker.start("a", na, A, AS);
                 TestSpeaker b = TestSpeaker.start("b", nb, B, AS);
                 TestSpeaker c = TestSpeaker.start("c", nb, C, AS)) {
                a.sessions.addPeer(a.peer(b, AS));
                b.sessions.addPeer(b.peer(a, AS));
                a.awaitState(b, SessionState.ESTABLISHED);
                c.sessions.addPeer(c.peer(a, AS));
                await("c tried and was refused by a", Duration.ofSeconds(10), () -> !c.status(a).lastError().isEmpty()
                        || c.status(a).messagesIn() > 0);
                // only a-b's connection is compared: a refused c (or a collision's spare connection)
                // can show as established in ss for the few ms before a closes it
                List<String> before = connections(na, B);
                assertEquals(1, before.size(), before.toString());
                long uptime = a.status(b).uptimeMillis();
                a.sessions.addPeer(a.peer(c, AS));
                a.awaitState(c, SessionState.ESTABLISHED);
                assertEquals(before, connections(na, B), "a-b's TCP connection is the same");
                await("one a-c connection", Duration.ofSeconds(10), () -> connections(na, C).size() == 1);
                assertTrue(a.status(b).uptimeMillis() > uptime);
                assertTrue(a.downs.isEmpty() && b.downs.isEmpty());
            }
        }
    }

    @Test
    void aRemovedPeerGetsCease3(TestNetns na, TestNetns nb) {
        try (VethPair veth = link(na, nb);
             TestSpeaker a = TestSpeaker.start("a", na, A, AS);
             TestSpeaker b = TestSpeaker.start("b", nb, B, AS)) {
            peerUp(a, b);
            a.sessions.removePeer(new PeerId(b.address));
            await("b sees the session end", Duration.ofSeconds(10), () -> !b.downs.isEmpty());
            assertEquals(Notification.of(6, 3), b.downs.get(0).received().orElseThrow());
            // a's listener runs on its own executor, so b can see the close before a's report arrives.
            await("a reports the session down", Duration.ofSeconds(10), () -> !a.downs.isEmpty());
            assertTrue(a.sessions.status().isEmpty());
            assertEquals(Notification.of(6, 3), a.downs.get(0).sent().orElseThrow());
        }
    }

    @Test
    void md5MatchingEstablishesAndWrongNever(TestNetns na, TestNetns nb) {
        try (VethPair veth = link(na, nb);
             TestSpeaker a = TestSpeaker.start("a", na, A, AS);
             TestSpeaker b = TestSpeaker.start("b", nb, B, AS)) {
            a.sessions.addPeer(a.peer(b, AS).withPassword("s3cret"));
            b.sessions.addPeer(b.peer(a, AS).withPassword("other"));
            sleep(5000);
            assertNotEquals(SessionState.ESTABLISHED, a.state(b));
            assertEquals(0, a.status(b).messagesIn() + b.status(a).messagesIn(), "no BGP message passes a wrong key");
            b.sessions.removePeer(new PeerId(a.address));
            b.sessions.addPeer(b.peer(a, AS).withPassword("s3cret"));
            a.awaitState(b, SessionState.ESTABLISHED);
            b.awaitState(a, SessionState.ESTABLISHED);
        }
    }

    @Test
    void gtsmDropsAPeerThatDoesNotSendTtl255(TestNetns na, TestNetns nb) {
        try (VethPair veth = link(na, nb);
             TestSpeaker a = TestSpeaker.start("a", na, A, AS);
             TestSpeaker b = TestSpeaker.start("b", nb, B, AS)) {
            // a requires TTL 255 (one hop) and waits; b connects with the default TTL of 64.
            a.sessions.addPeer(a.peer(b, AS).withTtlSecurity(1).withPassive(true));
            b.sessions.addPeer(b.peer(a, AS));
            sleep(5000);
            assertNotEquals(SessionState.ESTABLISHED, a.state(b));
            assertEquals(0, a.status(b).messagesIn(), "b's segments with TTL 64 never reach a's BGP");
            b.sessions.removePeer(new PeerId(a.address));
            b.sessions.addPeer(b.peer(a, AS).withTtlSecurity(1));
            a.awaitState(b, SessionState.ESTABLISHED);
            b.awaitState(a, SessionState.ESTABLISHED);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
