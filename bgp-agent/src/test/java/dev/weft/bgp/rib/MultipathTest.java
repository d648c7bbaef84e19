package dev.weft.bgp.rib;

import static dev.weft.bgp.rib.Fx.P1;
import static dev.weft.bgp.rib.Fx.announce;
import static dev.weft.bgp.rib.Fx.attrs;
import static dev.weft.bgp.rib.Fx.ibgp;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.bgp.wire.Nlri;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ECMP sets and the changes the FIB sees as they grow and shrink. */
class MultipathTest {
    private final List<RouteChange> changes = new ArrayList<>();

    private Rib rib(boolean multipath) {
        Rib rib = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID).withMultipath(multipath));
        rib.addListener(changes::addAll);
        for (String p : List.of("10.0.0.2", "10.0.0.3", "10.0.0.4")) {
            rib.peerUp(ibgp(p), Fx.v4());
        }
        return rib;
    }

    private List<IpAddress> lastNextHops() {
        return changes.get(changes.size() - 1).selected().stream().map(p -> p.attrs().nextHop()).toList();
    }

    @Test
    void equalPathsFormASetThatFollowsAnnouncementsAndWithdrawals() {
        Rib rib = rib(true);
        rib.apply(PeerKey.of("10.0.0.3"), announce(attrs(), "10.0.0.3", P1));
        rib.apply(PeerKey.of("10.0.0.2"), announce(attrs(), "10.0.0.2", P1));
        assertEquals(List.of(Fx.ip("10.0.0.2"), Fx.ip("10.0.0.3")), lastNextHops(), "best first, in decision order");
        int before = changes.size();
        rib.apply(PeerKey.of("10.0.0.4"), announce(attrs(65001), "10.0.0.4", P1));
        assertEquals(before, changes.size(), "a longer AS_PATH does not join, and changes nothing");
        rib.apply(PeerKey.of("10.0.0.2"), Fx.withdraw(P1));
        assertEquals(List.of(Fx.ip("10.0.0.3")), lastNextHops());
        rib.apply(PeerKey.of("10.0.0.3"), Fx.withdraw(P1));
        assertEquals(List.of(Fx.ip("10.0.0.4")), lastNextHops(), "the longer path is all that is left");
    }

    @Test
    void withoutMultipathOnlyTheBest() {
        Rib rib = rib(false);
        rib.apply(PeerKey.of("10.0.0.3"), announce(attrs(), "10.0.0.3", P1));
        rib.apply(PeerKey.of("10.0.0.2"), announce(attrs(), "10.0.0.2", P1));
        assertEquals(List.of(Fx.ip("10.0.0.2")), lastNextHops());
        assertEquals(2, changes.size());
    }

    /**
     * Listeners get one change per prefix per UPDATE, its latest state, in the order of those
     * latest changes: whether a prefix changes twice in one entry's life or its entry died between.
     */
    @Test
    void listenersGetTheLatestChangeOfEachPrefixOnce() {
        Rib rib = rib(false);
        PeerKey a = PeerKey.of("10.0.0.2");
        rib.apply(PeerKey.of("10.0.0.3"), announce(attrs(65001), "10.0.0.3", Fx.P2)); // a worse path to P2
        rib.apply(a, announce(attrs(), "10.0.0.2", P1, Fx.P2));
        changes.clear();
        // P2 withdrawn and announced again: its best goes to 10.0.0.3 and back, one entry changing twice
        rib.apply(a, new Update(List.of(Nlri.of(Fx.P2)), Fx.with(attrs(), new PathAttribute.NextHop(Fx.ip("10.0.0.2"))),
                List.of(Nlri.of(Fx.P2))));
        assertEquals(List.of(Fx.P2), changes.stream().map(RouteChange::prefix).toList());
        assertEquals(List.of(Fx.ip("10.0.0.2")), lastNextHops());
        // P1's entry dies and a new one comes, in one UPDATE
        changes.clear();
        rib.apply(a, new Update(List.of(Nlri.of(P1)), Fx.with(attrs(), new PathAttribute.NextHop(Fx.ip("10.0.0.2"))),
                List.of(Nlri.of(P1))));
        assertEquals(List.of(P1), changes.stream().map(RouteChange::prefix).toList());
        assertEquals(List.of(Fx.ip("10.0.0.2")), lastNextHops());
        // both at once: latest of each, in order of the latest
        changes.clear();
        rib.apply(a, new Update(List.of(Nlri.of(P1), Nlri.of(Fx.P2)),
                Fx.with(attrs(), new PathAttribute.NextHop(Fx.ip("10.0.0.2"))), List.of(Nlri.of(Fx.P2), Nlri.of(P1))));
        assertEquals(List.of(Fx.P2, P1), changes.stream().map(RouteChange::prefix).toList());
        assertEquals(List.of(Fx.ip("10.0.0.2")), lastNextHops(), "P1 announced again");
        // no repeats: every prefix once, in order, and the next UPDATE is judged afresh
        changes.clear();
        Cidr p3 = Cidr.parse("10.244.3.0/26");
        rib.apply(a, Fx.withdraw(Fx.P2));
        rib.apply(a, announce(attrs(), "10.0.0.2", p3, Fx.P2));
        assertEquals(List.of(Fx.P2, p3, Fx.P2), changes.stream().map(RouteChange::prefix).toList());
    }
}
