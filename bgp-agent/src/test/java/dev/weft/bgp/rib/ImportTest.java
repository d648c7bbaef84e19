package dev.weft.bgp.rib;

import static dev.weft.bgp.rib.Fx.P1;
import static dev.weft.bgp.rib.Fx.P2;
import static dev.weft.bgp.rib.Fx.announce;
import static dev.weft.bgp.rib.Fx.attrs;
import static dev.weft.bgp.rib.Fx.ebgp;
import static dev.weft.bgp.rib.Fx.ibgp;
import static dev.weft.bgp.rib.Fx.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Nlri;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Adj-RIB-In: applying UPDATEs and the import checks. */
class ImportTest {
    private final Rib rib = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID));

    @Test
    void ebgpRouteWithOurAsIsDropped() {
        PeerInfo frr = ebgp("10.0.0.9", 65003);
        rib.peerUp(frr, Fx.v4());
        // FRR echoes our own route back with path 65003 64512 (bgp.md §1.6).
        rib.apply(frr.key(), announce(attrs(65003, Fx.AS), "10.0.0.9", P1));
        rib.apply(frr.key(), announce(attrs(65003), "10.0.0.9", P2));
        assertEquals(List.of(), rib.selected(P1));
        assertEquals(1, rib.selected(P2).size());
        assertEquals(Map.of("AS_LOOP", 1L), rib.adjRibIn(frr.key()).rejections());
    }

    @Test
    void receivedCountsWhatImportRefusedUntilThePeerWithdrawsOrReplacesIt() {
        PeerInfo frr = ebgp("10.0.0.9", 65003);
        rib.peerUp(frr, Fx.v4());
        AdjRibIn in = rib.adjRibIn(frr.key());
        rib.apply(frr.key(), announce(attrs(65003, Fx.AS), "10.0.0.9", P1)); // refused: our AS
        rib.apply(frr.key(), announce(attrs(65003), "10.0.0.9", P2));
        assertEquals(2, in.receivedCount(Family.IPV4_UNICAST));
        assertEquals(1, in.routeCount(Family.IPV4_UNICAST));
        // the same refusal again is still one prefix
        rib.apply(frr.key(), announce(attrs(65003, Fx.AS), "10.0.0.9", P1));
        assertEquals(2, in.receivedCount(Family.IPV4_UNICAST));
        // a clean replacement moves P1 from refused to accepted
        rib.apply(frr.key(), announce(attrs(65003), "10.0.0.9", P1));
        assertEquals(2, in.receivedCount(Family.IPV4_UNICAST));
        assertEquals(2, in.routeCount(Family.IPV4_UNICAST));
        // refused again replaces the accepted path (treat-as-withdraw), then the peer's session ends
        rib.apply(frr.key(), announce(attrs(65003, Fx.AS), "10.0.0.9", P1));
        assertEquals(2, in.receivedCount(Family.IPV4_UNICAST));
        assertEquals(1, in.routeCount(Family.IPV4_UNICAST));
        rib.peerDown(frr.key(), false, java.time.Duration.ZERO);
        assertEquals(0, in.receivedCount(Family.IPV4_UNICAST));
    }

    @Test
    void allowOwnAsAcceptsThatManyOccurrences() {
        Rib lenient = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID).withAllowOwnAs(1));
        PeerInfo frr = ebgp("10.0.0.9", 65003);
        lenient.peerUp(frr, Fx.v4());
        lenient.apply(frr.key(), announce(attrs(65003, Fx.AS), "10.0.0.9", P1));
        lenient.apply(frr.key(), announce(attrs(65003, Fx.AS, 65004, Fx.AS), "10.0.0.9", P2));
        assertEquals(1, lenient.selected(P1).size());
        assertEquals(List.of(), lenient.selected(P2));
    }

    @Test
    void ourOwnOriginatorIdIsDropped() {
        PeerInfo rr = ibgp("10.0.0.2");
        rib.peerUp(rr, Fx.v4());
        rib.apply(rr.key(), announce(with(attrs(), new PathAttribute.OriginatorId(Fx.OUR_ID)), "10.0.0.1", P1));
        assertEquals(List.of(), rib.selected(P1));
        assertEquals(Map.of("ORIGINATOR_LOOP", 1L), rib.adjRibIn(rr.key()).rejections());
    }

    @Test
    void ourClusterIdInClusterListIsDroppedOnlyWhenWeAreAReflector() {
        Update u = announce(with(attrs(), new PathAttribute.OriginatorId(Fx.rid("10.0.0.7")),
                new PathAttribute.ClusterList(List.of(9, 1))), "10.0.0.7", P1);
        Rib reflector = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID).withClusterId(1));
        PeerInfo other = ibgp("10.0.0.2");
        reflector.peerUp(other, Fx.v4());
        reflector.apply(other.key(), u);
        assertEquals(List.of(), reflector.selected(P1));
        rib.peerUp(other, Fx.v4());
        rib.apply(other.key(), u);
        assertEquals(1, rib.selected(P1).size(), "a client does not check CLUSTER_LIST");
    }

    @Test
    void rejectedReplacementWithdrawsTheEarlierPath() {
        PeerInfo frr = ebgp("10.0.0.9", 65003);
        rib.peerUp(frr, Fx.v4());
        rib.apply(frr.key(), announce(attrs(65003), "10.0.0.9", P1));
        assertEquals(1, rib.selected(P1).size());
        rib.apply(frr.key(), announce(attrs(65003, Fx.AS), "10.0.0.9", P1));
        assertEquals(List.of(), rib.selected(P1));
        assertEquals(0, rib.adjRibIn(frr.key()).routeCount());
    }

    @Test
    void localPrefDefaultsTo100OnIbgpAndIsKeptWhenSent() {
        PeerInfo a = ibgp("10.0.0.2");
        rib.peerUp(a, Fx.v4());
        rib.apply(a.key(), announce(attrs(), "10.0.0.2", P1));
        rib.apply(a.key(), announce(with(attrs(), new PathAttribute.LocalPref(2147482623L)), "10.0.0.2", P2));
        assertEquals(100L, rib.selected(P1).get(0).attrs().get(PathAttribute.LocalPref.class).value());
        assertEquals(2147482623L, rib.selected(P2).get(0).attrs().get(PathAttribute.LocalPref.class).value());
    }

    @Test
    void receivedDefaultStays100WhenWeSendAnotherLocalPref() {
        Rib calico = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID).withLocalPref(2147482623L));
        PeerInfo a = ibgp("10.0.0.2");
        calico.peerUp(a, Fx.v4());
        calico.apply(a.key(), announce(attrs(), "10.0.0.2", P1));
        assertEquals(100L, calico.selected(P1).get(0).attrs().get(PathAttribute.LocalPref.class).value());
    }

    @Test
    void ebgpLocalPrefIsReplacedByOurDefault() {
        PeerInfo e = ebgp("10.0.0.9", 65003);
        rib.peerUp(e, Fx.v4());
        rib.apply(e.key(), announce(with(attrs(65003), new PathAttribute.LocalPref(999)), "10.0.0.9", P1));
        assertEquals(100L, rib.selected(P1).get(0).attrs().get(PathAttribute.LocalPref.class).value());
    }

    @Test
    void withdrawalsAndMpReachUnreach() {
        PeerInfo a = ibgp("10.0.0.2");
        SessionParams both = new SessionParams(Set.of(Family.IPV4_UNICAST, Family.IPV6_UNICAST), Set.of(), 4096,
                Set.of(), Map.of(Family.IPV4_UNICAST, Fx.ip("10.0.0.1")));
        rib.peerUp(a, both);
        Cidr v6 = Cidr.parse("fd00:10:244:1::/64");
        Update mp = new Update(List.of(), with(attrs(), new PathAttribute.MpReach(Family.IPV6_UNICAST,
                List.of(Fx.ip("fd00::2"), Fx.ip("fe80::2")), List.of(Nlri.of(v6)))), List.of());
        rib.apply(a.key(), mp);
        Path p = rib.selected(v6).get(0);
        assertEquals(Fx.ip("fd00::2"), p.attrs().nextHop());
        assertEquals(Fx.ip("fe80::2"), p.attrs().linkLocalNextHop());
        rib.apply(a.key(), new Update(List.of(), List.of(new PathAttribute.MpUnreach(Family.IPV6_UNICAST, List.of(Nlri.of(v6)))), List.of()));
        assertEquals(List.of(), rib.selected(v6));
        rib.apply(a.key(), announce(attrs(), "10.0.0.2", P1));
        rib.apply(a.key(), Fx.withdraw(P1));
        assertEquals(List.of(), rib.selected(P1));
        assertEquals(0, rib.attributeSetCount(), "attribute sets are released with their last path");
    }

    @Test
    void familyNotNegotiatedIsIgnored() {
        PeerInfo a = ibgp("10.0.0.2");
        rib.peerUp(a, Fx.v4());
        Cidr v6 = Cidr.parse("fd00:10:244:1::/64");
        rib.apply(a.key(), new Update(List.of(), with(attrs(), new PathAttribute.MpReach(Family.IPV6_UNICAST,
                List.of(Fx.ip("fd00::2")), List.of(Nlri.of(v6)))), List.of()));
        assertEquals(0, rib.prefixCount(Family.IPV6_UNICAST));
    }

    @Test
    void addPathIdsFromOnePeerAreKeptApart() {
        PeerInfo rr = ibgp("10.0.0.2");
        rib.peerUp(rr, Fx.v4());
        rib.apply(rr.key(), announce(attrs(), "10.0.0.7", List.of(new Nlri(P1, 1))));
        rib.apply(rr.key(), announce(with(attrs(), new PathAttribute.LocalPref(200)), "10.0.0.8", List.of(new Nlri(P1, 2))));
        List<RibEntry> dump = rib.dump(Family.IPV4_UNICAST);
        assertEquals(2, dump.get(0).paths().size());
        assertEquals(2, rib.selected(P1).get(0).pathId());
        rib.apply(rr.key(), new Update(List.of(new Nlri(P1, 2)), List.of(), List.of()));
        assertEquals(1, rib.selected(P1).get(0).pathId(), "withdrawing id 2 leaves id 1");
        assertEquals(1, rib.adjRibIn(rr.key()).routeCount());
    }

    @Test
    void prefixesOfOneUpdateShareOneAttributeSet() {
        PeerInfo a = ibgp("10.0.0.2");
        rib.peerUp(a, Fx.v4());
        rib.apply(a.key(), announce(attrs(), "10.0.0.2", P1, P2));
        PeerInfo b = ibgp("10.0.0.3");
        rib.peerUp(b, Fx.v4());
        rib.apply(b.key(), announce(attrs(), "10.0.0.2", Cidr.parse("10.244.3.0/26")));
        Attrs first = rib.selected(P1).get(0).attrs();
        assertSame(first, rib.selected(P2).get(0).attrs());
        assertSame(first, rib.selected(Cidr.parse("10.244.3.0/26")).get(0).attrs(), "equal sets from two peers are shared too");
        assertEquals(1, rib.attributeSetCount());
        assertNotNull(first.get(PathAttribute.LocalPref.class));
        assertTrue(rib.adjRibIn(a.key()).isUp());
    }
}
