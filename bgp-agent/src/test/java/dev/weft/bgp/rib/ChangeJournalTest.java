package dev.weft.bgp.rib;

import static dev.weft.bgp.rib.Fx.announced;
import static dev.weft.bgp.rib.Fx.attrs;
import static dev.weft.bgp.rib.Fx.ebgp;
import static dev.weft.bgp.rib.Fx.ibgp;
import static dev.weft.bgp.rib.Fx.withdrawn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.bgp.wire.Nlri;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shared change journal behind the Adj-RIBs-Out: readers at different positions, and its bound. */
class ChangeJournalTest {
    private static final PeerInfo FAST = ibgp("10.0.0.2");
    private static final PeerInfo SLOW = ibgp("10.0.0.3");

    private static Cidr block(int i) {
        return new Cidr(IpAddress.ofV4(0x0AF40000 | (i << 6)), 26);
    }

    private static Rib ribWithTwoPeers() {
        Rib rib = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID));
        rib.peerUp(FAST, Fx.v4());
        rib.peerUp(SLOW, Fx.v4());
        return rib;
    }

    @Test
    void aPeerThatNeverDrainsCostsABoundedJournal() {
        Rib rib = ribWithTwoPeers();
        for (int i = 0; i < 100_000; i++) {
            rib.originate(block(i % 10), List.of(new PathAttribute.MultiExitDisc(i)));
            if (i % 1000 == 0) {
                rib.outbound(FAST.key()).drain(1 << 20);
            }
        }
        assertTrue(rib.journalSize(Family.IPV4_UNICAST) <= 2048,
                "100,000 changes to 10 prefixes are compacted: " + rib.journalSize(Family.IPV4_UNICAST));
        assertEquals(10, rib.outbound(SLOW.key()).pendingCount());
        List<Update> late = rib.outbound(SLOW.key()).drain(1 << 20);
        assertEquals(10, new HashSet<>(announced(late)).size());
        for (Update u : late) {
            if (u.endOfRibFamily().isEmpty()) {
                assertTrue(u.attribute(PathAttribute.MultiExitDisc.class).orElseThrow().value() >= 99_990, "latest state only");
            }
        }
        rib.outbound(FAST.key()).drain(1 << 20);
        assertEquals(0, rib.journalSize(Family.IPV4_UNICAST), "entries every reader has passed are dropped");
    }

    @Test
    void readersAtDifferentPositionsEachGetEveryChange() {
        Rib rib = ribWithTwoPeers();
        Set<Cidr> fast = new HashSet<>();
        for (int i = 0; i < 3000; i++) {
            rib.originate(block(i), List.of());
            if (i % 7 == 0) {
                fast.addAll(announced(rib.outbound(FAST.key()).drain(200)));
            }
        }
        while (rib.outbound(FAST.key()).hasPending()) {
            fast.addAll(announced(rib.outbound(FAST.key()).drain(200)));
        }
        assertEquals(3000, fast.size());
        Set<Cidr> slow = new HashSet<>(announced(rib.outbound(SLOW.key()).drain(1 << 20)));
        assertEquals(3000, slow.size());
    }

    @Test
    void aClosedReaderReleasesItsEntries() {
        Rib rib = ribWithTwoPeers();
        for (int i = 0; i < 100; i++) {
            rib.originate(block(i), List.of());
        }
        rib.outbound(FAST.key()).drain(1 << 20);
        assertEquals(100, rib.journalSize(Family.IPV4_UNICAST));
        rib.peerDown(SLOW.key(), false, java.time.Duration.ZERO);
        assertEquals(0, rib.journalSize(Family.IPV4_UNICAST));
    }

    /** One UPDATE announcing {@code count} blocks from {@code from} with the given attributes. */
    private static Update table(int from, int count, List<PathAttribute> attributes, String nextHop) {
        List<Nlri> nlri = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            nlri.add(Nlri.of(block(i)));
        }
        return Fx.announce(attributes, nextHop, nlri);
    }

    private static final PeerInfo EXTERNAL = ebgp("10.0.0.9", 65001);

    /** FAST and SLOW (iBGP), and EXTERNAL too when asked, each past its initial dump (End-of-RIB). */
    private static Rib ribPastTheDumps(boolean external) {
        Rib rib = ribWithTwoPeers();
        if (external) {
            rib.peerUp(EXTERNAL, Fx.v4());
        }
        for (AdjRibOut out : rib.outbound()) {
            while (out.hasPending()) {
                out.drain(1 << 20);
            }
        }
        return rib;
    }

    @Test
    void iBgpRoutesInAMeshWithoutReflectionCostTheOtherPeersNothing() {
        Rib rib = ribPastTheDumps(false);
        rib.apply(FAST.key(), table(0, 3000, attrs(), "10.0.0.2"));
        assertEquals(3000, rib.prefixCount(Family.IPV4_UNICAST));
        assertFalse(rib.outbound(SLOW.key()).hasPending(), "split horizon: SLOW can be sent none of FAST's routes");
        assertEquals(0, rib.outbound(SLOW.key()).pendingCount());
        assertEquals(0, rib.journalSize(Family.IPV4_UNICAST), "nothing stored that no reader can hear of");
        assertTrue(rib.outbound(SLOW.key()).drain(1 << 20).isEmpty());
        // a route of our own still goes to both
        rib.originate(block(4000), List.of());
        assertEquals(List.of(block(4000)), announced(rib.outbound(SLOW.key()).drain(1 << 20)));
        assertEquals(List.of(block(4000)), announced(rib.outbound(FAST.key()).drain(1 << 20)));
    }

    @Test
    void aReaderWithNothingForItsKindHoldsNoEntriesOfTheOthers() {
        Rib rib = ribPastTheDumps(true);
        rib.apply(FAST.key(), table(0, 3000, attrs(), "10.0.0.2"));
        assertFalse(rib.outbound(SLOW.key()).hasPending());
        assertEquals(3000, rib.journalSize(Family.IPV4_UNICAST), "kept for the eBGP peer");
        assertEquals(3000, new HashSet<>(announced(rib.outbound(EXTERNAL.key()).drain(1 << 20))).size());
        assertEquals(0, rib.journalSize(Family.IPV4_UNICAST), "the iBGP readers did not hold the entries back");
    }

    @Test
    void aPrefixAdvertisedToAPeerIsWithdrawnWhenItsNewBestCannotGoThere() {
        Rib rib = ribPastTheDumps(true);
        rib.apply(EXTERNAL.key(), table(0, 10, attrs(65001), "10.0.0.9"));
        assertEquals(10, announced(rib.outbound(SLOW.key()).drain(1 << 20)).size(), "eBGP-learned goes to iBGP peers");
        // FAST's iBGP path wins on LOCAL_PREF: SLOW may not be sent it, so what it had goes
        rib.apply(FAST.key(), table(0, 10, Fx.with(attrs(), new PathAttribute.LocalPref(200)), "10.0.0.2"));
        assertTrue(rib.outbound(SLOW.key()).hasPending());
        List<Update> sent = rib.outbound(SLOW.key()).drain(1 << 20);
        assertEquals(10, withdrawn(sent).size());
        assertTrue(announced(sent).isEmpty());
        assertEquals(0, rib.outbound(SLOW.key()).advertisedCount(Family.IPV4_UNICAST));
    }

    @Test
    void aPeerThatCanBeSentNothingOfTheTableSkipsTheWalkAndGetsEndOfRib() {
        Rib rib = ribPastTheDumps(false);
        rib.apply(FAST.key(), table(0, 3000, attrs(), "10.0.0.2"));
        rib.originate(block(4000), List.of());
        rib.withdrawOriginated(block(4000));
        PeerInfo late = ibgp("10.0.0.4");
        rib.peerUp(late, Fx.v4());
        assertEquals(0, rib.outbound(late.key()).pendingCount(), "no table walk queued for an iBGP peer");
        List<Update> sent = rib.outbound(late.key()).drain(1 << 20);
        assertEquals(1, sent.size());
        assertEquals(Family.IPV4_UNICAST, sent.get(0).endOfRibFamily().orElseThrow());
        // an eBGP peer may be sent all of them, so it walks the table
        rib.peerUp(EXTERNAL, Fx.v4());
        assertEquals(3000, rib.outbound(EXTERNAL.key()).pendingCount());
        assertEquals(3000, new HashSet<>(announced(rib.outbound(EXTERNAL.key()).drain(1 << 20))).size());
        // once one route may go to iBGP peers, a new one walks again
        rib.originate(block(4001), List.of());
        PeerInfo later = ibgp("10.0.0.5");
        rib.peerUp(later, Fx.v4());
        assertEquals(List.of(block(4001)), announced(rib.outbound(later.key()).drain(1 << 20)));
    }
}
