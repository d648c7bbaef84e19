package dev.weft.bgp.rib;

import static dev.weft.bgp.rib.Fx.P1;
import static dev.weft.bgp.rib.Fx.P2;
import static dev.weft.bgp.rib.Fx.announce;
import static dev.weft.bgp.rib.Fx.announced;
import static dev.weft.bgp.rib.Fx.attrs;
import static dev.weft.bgp.rib.Fx.ebgp;
import static dev.weft.bgp.rib.Fx.ibgp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Graceful restart, helper side (RFC 4724), and route refresh. */
class GracefulRestartTest {
    private static final Duration RESTART = Duration.ofSeconds(120);
    private final Rib rib = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID));
    private final PeerInfo a = ibgp("10.0.0.2");
    private final PeerInfo e = ebgp("10.0.0.9", 65003);
    private final List<RouteChange> changes = new ArrayList<>();

    @BeforeEach
    void twoRoutesFromA() {
        rib.addListener(changes::addAll);
        rib.peerUp(a, Fx.v4());
        rib.peerUp(e, Fx.v4());
        rib.apply(a.key(), announce(attrs(), "10.0.0.2", P1, P2));
        rib.outbound(e.key()).drain(1 << 20);
        changes.clear();
    }

    private boolean stale(Cidr p) {
        return rib.selected(p).get(0).stale();
    }

    @Test
    void gracefulLossKeepsRoutesStaleWithoutTellingTheFibOrPeers() {
        StaleTimer t = rib.peerDown(a.key(), true, RESTART).orElseThrow();
        assertEquals(RESTART, t.restartTime());
        assertEquals(List.of(), changes, "no change reaches the FIB");
        assertTrue(stale(P1) && stale(P2));
        assertFalse(rib.outbound(e.key()).hasPending(), "nothing is withdrawn from other peers");
        assertEquals(Set.of(Family.IPV4_UNICAST), rib.adjRibIn(a.key()).staleFamilies());
    }

    @Test
    void endOfRibSweepsWhatTheNewSessionDidNotReannounce() {
        rib.peerDown(a.key(), true, RESTART);
        rib.peerUp(a, Fx.v4());
        rib.apply(a.key(), announce(attrs(), "10.0.0.2", P1));
        assertFalse(stale(P1), "re-announced: fresh again");
        assertTrue(stale(P2));
        assertEquals(List.of(), changes, "same route again is no change for the FIB");
        rib.apply(a.key(), Update.endOfRib(Family.IPV4_UNICAST));
        assertEquals(List.of(new RouteChange(Family.IPV4_UNICAST, P2, List.of())), changes);
        assertEquals(List.of(), rib.selected(P2));
        assertEquals(1, rib.adjRibIn(a.key()).routeCount());
    }

    @Test
    void timerExpirySweepsStaleRoutes() {
        StaleTimer t = rib.peerDown(a.key(), true, RESTART).orElseThrow();
        assertTrue(rib.sweepStale(t));
        assertEquals(2, changes.size());
        assertEquals(List.of(), rib.selected(P1));
        assertNull(rib.adjRibIn(a.key()), "a peer that is down with nothing left is forgotten");
        assertEquals(0, rib.attributeSetCount());
    }

    /**
     * calico#1423: the peer restarts again before its End-of-RIB. Its routes stay (RFC 4724 would
     * delete them); the first loss's timer does nothing; the second loss's timer or a later
     * End-of-RIB decides.
     */
    @Test
    void consecutiveRestartsKeepStaleRoutesUntilTheLatestTimer() {
        StaleTimer first = rib.peerDown(a.key(), true, RESTART).orElseThrow();
        rib.peerUp(a, Fx.v4());
        rib.apply(a.key(), announce(attrs(), "10.0.0.2", P1)); // then it dies again, no End-of-RIB
        StaleTimer second = rib.peerDown(a.key(), true, RESTART).orElseThrow();
        assertTrue(stale(P1) && stale(P2), "what the short session re-announced is stale again too");
        assertFalse(rib.sweepStale(first), "the first loss's timer is superseded");
        assertEquals(List.of(), changes);
        assertEquals(2, rib.prefixCount(Family.IPV4_UNICAST));

        rib.peerUp(a, Fx.v4());
        rib.apply(a.key(), announce(attrs(), "10.0.0.2", P1, P2));
        rib.apply(a.key(), Update.endOfRib(Family.IPV4_UNICAST));
        assertEquals(List.of(), changes, "a third session that re-announces everything loses nothing");
        assertTrue(rib.sweepStale(second));
        assertEquals(2, rib.prefixCount(Family.IPV4_UNICAST), "nothing stale was left for the timer");
    }

    @Test
    void aTimerOutlivingAHardResetDoesNotSweepALaterRestart() {
        StaleTimer old = rib.peerDown(a.key(), true, RESTART).orElseThrow();
        rib.peerUp(a, Fx.v4());
        rib.peerDown(a.key(), false, RESTART); // hard reset: everything goes, the peer is forgotten
        rib.peerUp(a, Fx.v4());
        rib.apply(a.key(), announce(attrs(), "10.0.0.2", P1));
        rib.peerDown(a.key(), true, RESTART).orElseThrow();
        assertFalse(rib.sweepStale(old));
        assertEquals(1, rib.prefixCount(Family.IPV4_UNICAST));
    }

    @Test
    void latestTimerSweepsAfterConsecutiveRestarts() {
        rib.peerDown(a.key(), true, RESTART);
        rib.peerUp(a, Fx.v4());
        StaleTimer second = rib.peerDown(a.key(), true, RESTART).orElseThrow();
        assertTrue(rib.sweepStale(second));
        assertEquals(0, rib.prefixCount(Family.IPV4_UNICAST));
    }

    @Test
    void nonGracefulLossWithdrawsEverythingAndTellsPeers() {
        assertTrue(rib.peerDown(a.key(), false, RESTART).isEmpty());
        assertEquals(2, changes.size());
        assertTrue(changes.stream().allMatch(RouteChange::removed));
        assertEquals(List.of(P1, P2), Fx.withdrawn(rib.outbound(e.key()).drain(1 << 20)).stream().sorted().toList());
    }

    @Test
    void familyTheNewSessionDoesNotPreserveIsSweptAtOnce() {
        rib.peerDown(a.key(), true, RESTART);
        rib.peerUp(a, Fx.v4().withGrPreserved(Set.of())); // no F bit for IPv4 this time
        assertEquals(0, rib.prefixCount(Family.IPV4_UNICAST));
    }

    @Test
    void routeRefreshResendsTheWholeAdjRibOutThenEndOfRib() {
        rib.outbound(e.key()).drain(1 << 20);
        rib.routeRefresh(e.key(), Family.IPV4_UNICAST);
        List<Update> again = rib.outbound(e.key()).drain(1 << 20);
        assertEquals(List.of(P1, P2), announced(again).stream().sorted().toList());
        assertEquals(Family.IPV4_UNICAST, again.get(again.size() - 1).endOfRibFamily().orElseThrow());
    }

    /**
     * The restarting speaker's side: its UPDATEs wait for its peers' End-of-RIB, then a new session's
     * first drain must hold every route the peer may be sent before End-of-RIB (BIRD as helper deletes
     * what End-of-RIB did not refresh), whether the node's block came before the session (the table
     * walk) or after it, while only iBGP-learned routes were there (End-of-RIB without a walk: the
     * block comes through the change journal), and after the other peer's routes were flushed.
     */
    @Test
    void aNewSessionGetsEveryRouteItMayBeSentBeforeEndOfRib() {
        Cidr block = Cidr.parse("10.244.9.0/26");
        PeerInfo b = ibgp("10.0.0.3");
        rib.peerUp(b, Fx.v4()); // a's routes only: nothing b may be sent
        rib.originate(block, List.of());
        assertEquals(List.of(block), announcedBeforeEndOfRib(b));
        rib.peerDown(b.key(), false, RESTART);
        rib.peerDown(a.key(), false, RESTART);
        rib.peerUp(b, Fx.v4());
        assertEquals(List.of(block), announcedBeforeEndOfRib(b));
    }

    private List<Cidr> announcedBeforeEndOfRib(PeerInfo to) {
        List<Update> sent = rib.outbound(to.key()).drain(1 << 20);
        assertEquals(Family.IPV4_UNICAST, sent.get(sent.size() - 1).endOfRibFamily().orElseThrow(), sent.toString());
        return announced(sent.subList(0, sent.size() - 1));
    }
}
