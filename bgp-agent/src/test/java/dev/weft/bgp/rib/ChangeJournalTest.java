package dev.weft.bgp.rib;

import static dev.weft.bgp.rib.Fx.announced;
import static dev.weft.bgp.rib.Fx.ibgp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
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
}
