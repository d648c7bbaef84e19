package dev.weft.bgp.fsm;

import dev.weft.bgp.status.KeepaliveStats;
import dev.weft.bgp.fsm.FakeWorld.Conn;
import dev.weft.bgp.status.KeepaliveStats;
import dev.weft.bgp.wire.BgpWireException;
import dev.weft.bgp.wire.Capability;
import dev.weft.bgp.wire.Keepalive;
import dev.weft.bgp.wire.Notification;
import dev.weft.bgp.wire.Open;
import dev.weft.bgp.wire.RouteRefresh;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Update;
import dev.weft.net.IpAddress;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.weft.bgp.fsm.FakeWorld.open;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeerFsmTest {
    static final int OUR_ID = 0x0A000001; // 10.0.0.1
    static final int PEER_ID = 0x0A000002; // 10.0.0.2
    static final long AS = 64512;
    static final SpeakerConfig SPEAKER = SpeakerConfig.of(IpAddress.parse("10.0.0.1"), AS)
            .withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
    static final PeerConfig PEER = PeerConfig.of(IpAddress.parse("10.0.0.2"), AS)
            .withTimers(90, 0, Duration.ofSeconds(5));

    final FakeWorld world = new FakeWorld();

    PeerFsm fsm(PeerConfig peer) {
        PeerFsm f = new PeerFsm(SPEAKER, peer, world, world);
        f.handle(new FsmEvent.Start());
        return f;
    }

    /** Start, connect out, exchange OPENs and KEEPALIVEs. */
    Conn establish(PeerFsm f, Open theirs) {
        Conn c = new Conn(true);
        f.handle(new FsmEvent.TcpConnected(c));
        f.handle(new FsmEvent.Received(c, theirs));
        f.handle(new FsmEvent.Received(c, Keepalive.INSTANCE));
        assertEquals(SessionState.ESTABLISHED, f.state());
        return c;
    }

    @Test
    void activePeerConnectsFallsBackToActiveAndRetries() {
        PeerFsm f = fsm(PEER);
        assertEquals(SessionState.CONNECT, f.state());
        assertEquals(1, world.connects);
        f.handle(new FsmEvent.TcpFailed("connection refused"));
        assertEquals(SessionState.ACTIVE, f.state());
        assertTrue(f.status().lastError().contains("connection refused"));
        world.advanceSeconds(5);
        assertEquals(SessionState.CONNECT, f.state());
        assertEquals(2, world.connects);
    }

    @Test
    void passivePeerNeverConnectsButAccepts() {
        PeerFsm f = fsm(PEER.withPassive(true));
        assertEquals(SessionState.ACTIVE, f.state());
        world.advanceSeconds(600);
        assertEquals(0, world.connects);
        Conn in = new Conn(false);
        f.handle(new FsmEvent.TcpConnected(in));
        assertEquals(SessionState.OPEN_SENT, f.state());
        assertInstanceOf(Open.class, in.sent.get(0));
    }

    @Test
    void fullHandshakeSendsOpenThenKeepaliveAndReportsEstablished() {
        PeerFsm f = fsm(PEER);
        Conn c = new Conn(true);
        f.handle(new FsmEvent.TcpConnected(c));
        assertEquals(SessionState.OPEN_SENT, f.state());
        Open ours = (Open) c.sent.get(0);
        assertEquals(90, ours.holdTime());
        assertEquals(OUR_ID, ours.bgpIdentifier());
        assertEquals(AS, ours.as());
        f.handle(new FsmEvent.Received(c, open(AS, 90, PEER_ID)));
        assertEquals(SessionState.OPEN_CONFIRM, f.state());
        assertInstanceOf(Keepalive.class, c.last());
        assertTrue(c.codec.fourOctetAs());
        f.handle(new FsmEvent.Received(c, Keepalive.INSTANCE));
        assertEquals(SessionState.ESTABLISHED, f.state());
        assertEquals(1, world.established.size());
        Update u = new Update(List.of(), List.of(), List.of());
        f.handle(new FsmEvent.Received(c, u));
        f.handle(new FsmEvent.Received(c, RouteRefresh.request(Family.IPV4_UNICAST)));
        assertEquals(2, world.delivered.size());
        assertEquals(4, f.status().messagesIn());
        assertEquals(new PeerStatus.Messages(1, 1, 0, 1, 1), f.status().received());
        assertEquals(new PeerStatus.Messages(1, 0, 0, 1, 0), f.status().sent());
    }

    @Test
    void aKeepaliveTheLoopRunsMoreThanAThirdOfTheIntervalLateCountsAsLate() {
        PeerFsm f = fsm(PEER);
        Conn c = establish(f, open(AS, 9, PEER_ID)); // keepalive every 3 s
        world.advanceSeconds(3);                       // t=3: on time
        world.stall(3_999);                            // due at 6, runs at 6.999: within a third
        world.advance(0);
        f.handle(new FsmEvent.Received(c, Keepalive.INSTANCE)); // keeps the hold timer away
        assertEquals(new KeepaliveStats(2, 0, 0.999), f.status().keepalives());
        world.stall(4_001);                            // due at 9.999, runs at 11: 1.001 s > 1 s late
        world.advance(0);
        assertEquals(new KeepaliveStats(3, 1, 1.001), f.status().keepalives());
        assertEquals(SessionState.ESTABLISHED, f.state());
        assertEquals(4, f.status().sent().keepalive()); // plus the one answering the OPEN, not timed
    }

    @Test
    void openSentHoldTimerIs240Seconds() {
        PeerFsm f = fsm(PEER);
        Conn c = new Conn(true);
        f.handle(new FsmEvent.TcpConnected(c));
        world.advance(239_999);
        assertFalse(c.closed);
        world.advance(1);
        assertTrue(c.closed);
        assertEquals(Notification.of(4, 0), c.notification());
        assertEquals(SessionState.IDLE, f.state());
    }

    @Test
    void holdTimeIsTheSmallerOfferAndKeepaliveAThird() {
        Negotiated n = negotiate(PEER, open(AS, 30, PEER_ID));
        assertEquals(30, n.holdTime());
        assertEquals(10, n.keepaliveTime());
        n = negotiate(PEER.withTimers(9, 0, Duration.ofSeconds(5)), open(AS, 240, PEER_ID));
        assertEquals(9, n.holdTime());
        assertEquals(3, n.keepaliveTime());
        n = negotiate(PEER.withTimers(90, 5, Duration.ofSeconds(5)), open(AS, 240, PEER_ID));
        assertEquals(90, n.holdTime());
        assertEquals(5, n.keepaliveTime(), "a configured keepalive below hold/3 wins");
        n = negotiate(PEER.withTimers(90, 60, Duration.ofSeconds(5)), open(AS, 240, PEER_ID));
        assertEquals(30, n.keepaliveTime(), "but never above hold/3");
    }

    @Test
    void holdTimeZeroMeansNoKeepalivesAndNoHoldTimer() {
        PeerFsm f = fsm(PEER);
        Conn c = establish(f, open(AS, 0, PEER_ID));
        long before = c.count(Keepalive.class);
        world.advanceSeconds(3600);
        assertEquals(before, c.count(Keepalive.class));
        assertEquals(SessionState.ESTABLISHED, f.state());
    }

    @Test
    void holdTimeOneOrTwoIsRefusedWith2_6() {
        for (int hold : new int[] {1, 2}) {
            assertEquals(Notification.of(2, 6), refusal(PEER, open(AS, hold, PEER_ID)));
        }
        assertEquals(3, negotiate(PEER, open(AS, 3, PEER_ID)).holdTime());
    }

    @Test
    void keepalivesAreSentEveryThirdOfTheHoldTimeAndTheHoldTimerExpires() {
        PeerFsm f = fsm(PEER);
        Conn c = establish(f, open(AS, 9, PEER_ID));
        long before = c.count(Keepalive.class);
        world.advanceSeconds(6);
        f.handle(new FsmEvent.Received(c, Keepalive.INSTANCE)); // heard at t=6: hold runs to t=15
        world.advance(8_999);
        assertEquals(before + 4, c.count(Keepalive.class)); // t = 3, 6, 9, 12
        assertEquals(SessionState.ESTABLISHED, f.state());
        world.advance(1);
        assertEquals(Notification.of(4, 0), c.notification());
        assertTrue(c.closed);
        assertEquals(1, world.downs.size());
        assertFalse(world.downs.get(0).graceful());
        assertEquals(Notification.of(4, 0), world.downs.get(0).sent().orElseThrow());
        assertTrue(f.status().lastError().contains("hold timer expired"), f.status().lastError());
    }

    @Test
    void keepaliveLatenessCountsOnlyThoseSentAThirdOfTheIntervalAfterDue() {
        PeerFsm f = fsm(PEER);
        Conn c = establish(f, open(AS, 9, PEER_ID));   // keepalive every 3 s: late = more than 1 s after due
        long before = c.count(Keepalive.class);
        world.advanceSeconds(3);                        // due at 3 s, sent at 3 s
        busyUntilDuePlus(f, c, 500);                    // due at 6 s, sent at 6.5 s
        busyUntilDuePlus(f, c, 700);                    // due at 9.5 s, sent at 10.2 s
        busyUntilDuePlus(f, c, 1_300);                  // due at 13.2 s, sent at 14.5 s: late
        assertEquals(before + 4, c.count(Keepalive.class));
        assertEquals(new KeepaliveStats(4, 1, 1.3), f.status().keepalives());
    }

    /** The FSM's thread is busy from 1 s before the next KEEPALIVE is due until {@code lateMillis} after. */
    private void busyUntilDuePlus(PeerFsm f, Conn c, long lateMillis) {
        f.handle(new FsmEvent.Received(c, Keepalive.INSTANCE));   // the peer's, so the hold timer never runs out
        world.advance(2_000);
        world.stall(1_000 + lateMillis);
        world.advance(0);
    }

    @Test
    void openChecksRefuseWithTheExactNotification() {
        assertEquals(Notification.of(2, 2), refusal(PEER, open(65000, 90, PEER_ID)));
        assertEquals(Notification.of(2, 3), refusal(PEER, open(AS, 90, 0)));
        assertEquals(Notification.of(2, 3), refusal(PEER, open(AS, 90, OUR_ID)), "iBGP with our own id");
        Open v3 = new Open(3, (int) AS, 90, PEER_ID, List.of(), false);
        Notification n = refusal(PEER, v3);
        assertEquals(2, n.code());
        assertEquals(1, n.subcode());
        // eBGP may share our identifier (RFC 6286 §2.2)
        PeerConfig ebgp = PeerConfig.of(IpAddress.parse("10.0.0.2"), 65003);
        assertEquals(65003, negotiate(ebgp, open(65003, 90, OUR_ID)).peerAs());
    }

    @Test
    void theAsOfTheFourOctetCapabilityIsTheRealOne() {
        PeerConfig big = PeerConfig.of(IpAddress.parse("10.0.0.2"), 4_200_000_000L);
        assertEquals(4_200_000_000L, negotiate(big, open(4_200_000_000L, 90, PEER_ID)).peerAs());
        // AS_TRANS in the 2-octet field without the capability is AS 23456, not the configured AS
        Open noCap = new Open(4, Open.AS_TRANS, 90, PEER_ID, List.of(), false);
        assertEquals(Notification.of(2, 2), refusal(big, noCap));
        // our own OPEN for a 4-octet AS carries AS_TRANS and the capability
        Open ours = new OpenNegotiation(SPEAKER, big.withLocalAs(4_200_000_001L)).ourOpen();
        assertEquals(Open.AS_TRANS, ours.asField());
        assertEquals(4_200_000_001L, ours.as());
    }

    @Test
    void unexpectedMessagesAreFsmErrorsPerState() {
        Update u = new Update(List.of(), List.of(), List.of());
        PeerFsm f = fsm(PEER);
        Conn c = new Conn(true);
        f.handle(new FsmEvent.TcpConnected(c));
        f.handle(new FsmEvent.Received(c, u));
        assertEquals(Notification.of(5, 1), c.notification());

        world.advanceSeconds(60);
        c = new Conn(true);
        f.handle(new FsmEvent.TcpConnected(c));
        f.handle(new FsmEvent.Received(c, open(AS, 90, PEER_ID)));
        f.handle(new FsmEvent.Received(c, open(AS, 90, PEER_ID)));
        assertEquals(Notification.of(5, 2), c.notification());

        world.advanceSeconds(60);
        c = establish(f, open(AS, 90, PEER_ID));
        f.handle(new FsmEvent.Received(c, open(AS, 90, PEER_ID)));
        assertEquals(Notification.of(5, 3), c.notification());
        assertEquals(SessionState.IDLE, f.state());
    }

    @Test
    void aMalformedMessageSendsTheCodecsNotification() {
        PeerFsm f = fsm(PEER);
        Conn c = establish(f, open(AS, 90, PEER_ID));
        f.handle(new FsmEvent.Malformed(c, new BgpWireException(3, 11, "malformed AS_PATH")));
        assertEquals(Notification.of(3, 11), c.notification());
        assertTrue(c.closed);
        assertEquals(Notification.of(3, 11), world.downs.get(0).sent().orElseThrow());
    }

    @Test
    void collisionKeepsTheConnectionOfTheHigherIdentifier() {
        // We are 10.0.0.1: the peer 10.0.0.2 is higher, so its (incoming) connection wins.
        PeerFsm f = fsm(PEER);
        Conn out = new Conn(true);
        Conn in = new Conn(false);
        f.handle(new FsmEvent.TcpConnected(out));
        f.handle(new FsmEvent.TcpConnected(in));
        f.handle(new FsmEvent.Received(out, open(AS, 90, PEER_ID)));
        assertEquals(Notification.of(6, 7), out.notification());
        assertTrue(out.closed);
        assertFalse(in.closed);
        f.handle(new FsmEvent.Received(in, open(AS, 90, PEER_ID)));
        f.handle(new FsmEvent.Received(in, Keepalive.INSTANCE));
        assertEquals(SessionState.ESTABLISHED, f.state());
    }

    @Test
    void collisionTheOtherWayKeepsOurs() {
        // A peer with a lower identifier (9.0.0.9) than ours: our outgoing connection wins.
        PeerFsm f = fsm(PEER);
        Conn out = new Conn(true);
        Conn in = new Conn(false);
        f.handle(new FsmEvent.TcpConnected(out));
        f.handle(new FsmEvent.TcpConnected(in));
        f.handle(new FsmEvent.Received(out, open(AS, 90, 0x09000009)));
        assertEquals(SessionState.OPEN_CONFIRM, f.state());
        f.handle(new FsmEvent.Received(in, open(AS, 90, 0x09000009)));
        assertEquals(Notification.of(6, 7), in.notification());
        assertTrue(in.closed);
        assertFalse(out.closed);
        f.handle(new FsmEvent.Received(out, Keepalive.INSTANCE));
        assertEquals(SessionState.ESTABLISHED, f.state());
        assertTrue(world.downs.isEmpty());
    }

    @Test
    void collisionWithEqualIdentifiersGoesToTheLargerAs() {
        // eBGP with the same identifier (RFC 6286): our AS 64512 < 65003, so the peer's connection wins.
        PeerConfig ebgp = PeerConfig.of(IpAddress.parse("10.0.0.2"), 65003);
        PeerFsm f = fsm(ebgp);
        Conn out = new Conn(true);
        Conn in = new Conn(false);
        f.handle(new FsmEvent.TcpConnected(out));
        f.handle(new FsmEvent.TcpConnected(in));
        f.handle(new FsmEvent.Received(in, open(65003, 90, OUR_ID)));
        assertEquals(Notification.of(6, 7), out.notification());
        assertFalse(in.closed);
        // and with a smaller peer AS ours wins
        PeerConfig small = PeerConfig.of(IpAddress.parse("10.0.0.2"), 64000);
        PeerFsm g = fsm(small);
        Conn out2 = new Conn(true);
        Conn in2 = new Conn(false);
        g.handle(new FsmEvent.TcpConnected(out2));
        g.handle(new FsmEvent.TcpConnected(in2));
        g.handle(new FsmEvent.Received(in2, open(64000, 90, OUR_ID)));
        assertEquals(Notification.of(6, 7), in2.notification());
        assertFalse(out2.closed);
    }

    @Test
    void aNewConnectionWhileEstablishedWithoutGrIsRefusedWithCease7() {
        PeerFsm f = fsm(PEER);
        Conn c = establish(f, open(AS, 90, PEER_ID));
        Conn in = new Conn(false);
        f.handle(new FsmEvent.TcpConnected(in));
        f.handle(new FsmEvent.Received(in, open(AS, 90, PEER_ID)));
        assertEquals(Notification.of(6, 7), in.notification());
        assertFalse(c.closed);
        assertEquals(SessionState.ESTABLISHED, f.state());
        assertTrue(world.downs.isEmpty());
    }

    static final Capability.GracefulRestart GR = new Capability.GracefulRestart(false, false, 120, List.of());

    @Test
    void withGrATcpDropIsGracefulAndANotificationIsNot() {
        PeerFsm f = fsm(PEER.withGracefulRestart(120));
        Conn c = establish(f, open(AS, 90, PEER_ID, GR));
        assertEquals(120, world.established.get(0).gracefulRestart().orElseThrow().restartTime());
        f.handle(new FsmEvent.TcpClosed(c, "reset by peer"));
        assertTrue(world.downs.get(0).graceful());

        world.advanceSeconds(60);
        c = establish(f, open(AS, 90, PEER_ID, GR));
        f.handle(new FsmEvent.Received(c, Notification.of(6, 9))); // hard reset
        assertFalse(world.downs.get(1).graceful());
        assertEquals(Notification.of(6, 9), world.downs.get(1).received().orElseThrow());

        world.advanceSeconds(60);
        c = establish(f, open(AS, 90, PEER_ID, GR));
        f.handle(new FsmEvent.Received(c, Notification.of(6, 4)));
        assertFalse(world.downs.get(2).graceful(), "without the N bit any NOTIFICATION ends the session for real");
    }

    @Test
    void withoutOurGrConfigADropIsNeverGraceful() {
        PeerFsm f = fsm(PEER);
        Conn c = establish(f, open(AS, 90, PEER_ID, GR));
        assertTrue(world.established.get(0).gracefulRestart().isEmpty());
        f.handle(new FsmEvent.TcpClosed(c, "reset by peer"));
        assertFalse(world.downs.get(0).graceful());
    }

    @Test
    void aNewOpenWhileEstablishedWithGrClosesTheOldSessionGracefully() {
        PeerFsm f = fsm(PEER.withGracefulRestart(120));
        Conn old = establish(f, open(AS, 90, PEER_ID, GR));
        Conn in = new Conn(false);
        f.handle(new FsmEvent.TcpConnected(in));
        Capability.GracefulRestart restarting = new Capability.GracefulRestart(true, false, 120, List.of());
        f.handle(new FsmEvent.Received(in, open(AS, 90, PEER_ID, restarting)));
        assertTrue(old.closed);
        assertEquals(0, old.count(Notification.class));
        assertEquals(1, world.downs.size());
        assertTrue(world.downs.get(0).graceful());
        assertEquals(SessionState.OPEN_CONFIRM, f.state());
        f.handle(new FsmEvent.Received(in, Keepalive.INSTANCE));
        assertEquals(SessionState.ESTABLISHED, f.state());
        assertTrue(world.established.get(1).gracefulRestart().orElseThrow().restarting());
    }

    /**
     * The connect the peer started while we were down, arriving just after our own connection got
     * Established, is a collision, not a restart: its OPEN lacks the Restart State bit. Taking it
     * for a restart closed the live session, the peer then refused the new one (Cease/7, its
     * session being Established) and, with both gone, BIRD flushed our routes (seen in
     * GracefulRestartTrafficTest: ~1 s without the route in the helper's kernel).
     */
    @Test
    void aNewOpenWithoutTheRestartBitWhileEstablishedWithGrIsACollisionRefusedWithCease7() {
        PeerFsm f = fsm(PEER.withGracefulRestart(120));
        Conn c = establish(f, open(AS, 90, PEER_ID, GR));
        Conn in = new Conn(false);
        f.handle(new FsmEvent.TcpConnected(in));
        f.handle(new FsmEvent.Received(in, open(AS, 90, PEER_ID, GR)));
        assertEquals(Notification.of(6, 7), in.notification());
        assertFalse(c.closed);
        assertEquals(SessionState.ESTABLISHED, f.state());
        assertTrue(world.downs.isEmpty());
    }

    @Test
    void backoffDoublesUpToMaxAndResetsAfterAStableSession() {
        PeerFsm f = fsm(PEER.withTimers(90, 0, Duration.ofSeconds(600)));
        long[] expected = {1, 2, 4, 8, 16, 30, 30};
        for (long wait : expected) {
            Conn c = new Conn(true);
            f.handle(new FsmEvent.TcpConnected(c));
            f.handle(new FsmEvent.Received(c, open(65000, 90, PEER_ID))); // wrong AS: fails
            assertEquals(SessionState.IDLE, f.state());
            int connects = world.connects;
            world.advance(wait * 1000 - 1);
            assertEquals(connects, world.connects, "no connect during the back-off of " + wait + " s");
            world.advance(1);
            assertEquals(SessionState.CONNECT, f.state());
            assertEquals(connects + 1, world.connects);
        }
        Conn c = establish(f, open(AS, 90, PEER_ID));
        world.advanceSeconds(30); // stable for the maximum wait
        f.handle(new FsmEvent.Received(c, Keepalive.INSTANCE));
        f.handle(new FsmEvent.TcpClosed(c, "reset"));
        world.advance(999);
        assertEquals(SessionState.IDLE, f.state());
        world.advance(1);
        assertEquals(SessionState.CONNECT, f.state(), "back to the minimum wait");
    }

    @Test
    void thePeersConnectionIsAcceptedDuringOurBackoff() {
        PeerFsm f = fsm(PEER);
        Conn c = new Conn(true);
        f.handle(new FsmEvent.TcpConnected(c));
        f.handle(new FsmEvent.TcpClosed(c, "reset"));
        assertEquals(SessionState.IDLE, f.state());
        Conn in = new Conn(false);
        f.handle(new FsmEvent.TcpConnected(in));
        assertInstanceOf(Open.class, in.sent.get(0));
        f.handle(new FsmEvent.Received(in, open(AS, 90, PEER_ID)));
        f.handle(new FsmEvent.Received(in, Keepalive.INSTANCE));
        assertEquals(SessionState.ESTABLISHED, f.state());
        int connects = world.connects;
        world.advanceSeconds(5);
        assertEquals(connects, world.connects, "the end of the back-off starts nothing while a session is up");
    }

    @Test
    void stopSendsTheCeaseAndRefusesConnectionsAfterwards() {
        PeerFsm f = fsm(PEER);
        Conn c = establish(f, open(AS, 90, PEER_ID));
        f.handle(new FsmEvent.Stop(Notification.of(6, 3)));
        assertEquals(Notification.of(6, 3), c.notification());
        assertTrue(c.closed);
        assertEquals(SessionState.IDLE, f.state());
        assertEquals(Notification.of(6, 3), world.downs.get(0).sent().orElseThrow());
        assertTrue(f.status().lastError().contains("peer de-configured"), f.status().lastError());
        Conn late = new Conn(true);
        f.handle(new FsmEvent.TcpConnected(late));
        assertTrue(late.closed);
        world.advanceSeconds(600);
        assertEquals(1, world.connects);
    }

    @Test
    void ourBacklogPausesTheHoldTimer() {
        PeerFsm f = fsm(PEER);
        Conn c = establish(f, open(AS, 9, PEER_ID));
        f.handle(new FsmEvent.Backlog(c, true));
        long before = c.count(Keepalive.class);
        world.advanceSeconds(60);
        assertEquals(SessionState.ESTABLISHED, f.state());
        assertEquals(before + 20, c.count(Keepalive.class), "our keepalives go on while we do not read");
        assertEquals(1, f.status().readPauses());
        f.handle(new FsmEvent.Backlog(c, false));
        world.advance(8_999);
        assertEquals(SessionState.ESTABLISHED, f.state());
        world.advance(1);
        assertEquals(Notification.of(4, 0), c.notification(), "the full hold time after resuming, then it expires");
    }

    private Negotiated negotiate(PeerConfig peer, Open theirs) {
        try {
            return new OpenNegotiation(SPEAKER, peer).accept(theirs);
        } catch (BgpWireException e) {
            throw new AssertionError(e.getMessage());
        }
    }

    private Notification refusal(PeerConfig peer, Open theirs) {
        FakeWorld w = new FakeWorld();
        PeerFsm f = new PeerFsm(SPEAKER, peer, w, w);
        f.handle(new FsmEvent.Start());
        Conn c = new Conn(true);
        f.handle(new FsmEvent.TcpConnected(c));
        f.handle(new FsmEvent.Received(c, theirs));
        assertTrue(c.closed);
        assertEquals(SessionState.IDLE, f.state());
        return c.notification();
    }
}
