package dev.weft.bgp.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.bgp.rib.PeerInfo;
import dev.weft.bgp.rib.PeerKey;
import dev.weft.bgp.rib.Rib;
import dev.weft.bgp.rib.RibConfig;
import dev.weft.bgp.rib.RibEntry;
import dev.weft.bgp.rib.SessionParams;
import dev.weft.bgp.status.RouteView.PathView;
import dev.weft.bgp.wire.AsPathSegment;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Nlri;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A real RIB's dump, as the agent would turn it into views. */
class RibViewsTest {
    static final PeerKey A = PeerKey.of("10.99.0.2");
    static final PeerKey B = PeerKey.of("10.99.0.3");

    static Rib ribWithTwoPeers() {
        Rib rib = new Rib(RibConfig.of(64512, 0x0a630001).withMultipath(true));
        SessionParams v4 = SessionParams.of(Family.IPV4_UNICAST, IpAddress.parse("10.99.0.1"));
        rib.peerUp(new PeerInfo(A, 65001, 64512, 0x0a630002, false), v4);
        rib.peerUp(new PeerInfo(B, 65003, 64512, 0x0a630003, false), v4);
        rib.originate(Cidr.parse("10.244.1.0/26"), List.of());
        for (PeerKey k : List.of(A, B)) {
            long first = k.equals(A) ? 65001 : 65003;
            rib.apply(k, new Update(List.of(), List.of(new PathAttribute.Origin(PathAttribute.Origin.IGP),
                    new PathAttribute.AsPath(List.of(AsPathSegment.sequence(List.of(first, 65010L)),
                            new AsPathSegment(AsPathSegment.AS_SET, List.of(65020L, 65021L)))),
                    new PathAttribute.NextHop(k.address()), new PathAttribute.MultiExitDisc(5),
                    new PathAttribute.Communities(List.of(65000 << 16 | 100, PathAttribute.Communities.NO_EXPORT))),
                    List.of(Nlri.of(Cidr.parse("10.1.0.0/16")), Nlri.of(Cidr.parse("10.2.0.0/16")))));
        }
        return rib;
    }

    @Test
    void viewsOfARealDump() {
        List<RibEntry> dump = ribWithTwoPeers().dump(Family.IPV4_UNICAST);
        RoutePage all = RibViews.page(dump, null, 100, p -> 42L);
        assertFalse(all.more());
        assertEquals(List.of("10.1.0.0/16", "10.2.0.0/16", "10.244.1.0/26"),
                all.routes().stream().map(RouteView::prefix).toList());
        List<PathView> paths = all.routes().get(0).paths();
        assertEquals(2, paths.size());
        PathView best = paths.get(0);
        assertTrue(best.best());
        assertFalse(best.multipath());
        assertTrue(paths.get(1).multipath(), "equal eBGP paths with multipath on are ECMP");
        assertEquals("65001 65010 {65020 65021}", best.asPath());
        assertEquals("10.99.0.2", best.nextHop());
        assertEquals("10.99.0.2", best.fromPeer());
        assertEquals(5L, best.med());
        assertEquals("i", best.origin());
        assertEquals(List.of("65000:100", "no-export"), best.communities());
        assertEquals(42L, best.learnedAtMillis());
        PathView local = all.routes().get(2).paths().get(0);
        assertEquals("local", local.fromPeer());
        assertEquals("", local.asPath());
    }

    @Test
    void pagesFollowTheCursor() {
        List<RibEntry> dump = ribWithTwoPeers().dump(Family.IPV4_UNICAST);
        RoutePage first = RibViews.page(dump, null, 2, p -> 0);
        assertTrue(first.more());
        assertEquals(2, first.routes().size());
        RoutePage second = RibViews.page(dump, Cidr.parse(first.routes().get(1).prefix()), 2, p -> 0);
        assertFalse(second.more());
        assertEquals(List.of("10.244.1.0/26"), second.routes().stream().map(RouteView::prefix).toList());
        // a cursor that is no longer in the table (withdrawn meanwhile) still finds its place
        RoutePage gap = RibViews.page(dump, Cidr.parse("10.1.5.0/24"), 10, p -> 0);
        assertEquals("10.2.0.0/16", gap.routes().get(0).prefix());
    }

    @Test
    void wellKnownCommunitiesByName() {
        assertEquals("no-advertise", RibViews.community(PathAttribute.Communities.NO_ADVERTISE));
        assertEquals("blackhole", RibViews.community(0xFFFF029A));
        assertEquals("1:2", RibViews.community(1 << 16 | 2));
    }
}
