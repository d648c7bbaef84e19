package dev.weft.bgp.rib;

import static dev.weft.bgp.rib.Fx.P1;
import static dev.weft.bgp.rib.Fx.announce;
import static dev.weft.bgp.rib.Fx.announced;
import static dev.weft.bgp.rib.Fx.attrs;
import static dev.weft.bgp.rib.Fx.client;
import static dev.weft.bgp.rib.Fx.ebgp;
import static dev.weft.bgp.rib.Fx.ibgp;
import static dev.weft.bgp.rib.Fx.with;
import static dev.weft.bgp.rib.Fx.withdrawn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.bgp.wire.AsPathSegment;
import dev.weft.bgp.wire.BgpCodec;
import dev.weft.bgp.wire.BgpWireException;
import dev.weft.bgp.wire.CodecContext;
import dev.weft.bgp.wire.DecodedUpdate;
import dev.weft.bgp.wire.UpdateAction;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Set;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Adj-RIB-Out export rules and attribute rewriting. */
class ExportTest {
    /** The UPDATEs (End-of-RIB excluded) a peer gets on its next drain. */
    private static List<Update> sent(Rib rib, PeerInfo to) {
        return rib.outbound(to.key()).drain(1 << 20).stream().filter(u -> u.endOfRibFamily().isEmpty()).toList();
    }

    private static boolean gets(Rib rib, PeerInfo to, Cidr prefix) {
        return announced(sent(rib, to)).contains(prefix);
    }

    private static <A extends PathAttribute> A attr(Update u, Class<A> kind) {
        return u.attribute(kind).orElse(null);
    }

    @Test
    void ibgpSplitHorizonWithoutReflector() {
        Rib rib = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID));
        PeerInfo a = ibgp("10.0.0.2"), b = ibgp("10.0.0.3"), e = ebgp("10.0.0.9", 65003);
        for (PeerInfo p : List.of(a, b, e)) {
            rib.peerUp(p, Fx.v4());
        }
        rib.apply(a.key(), announce(attrs(), "10.0.0.2", P1));
        assertFalse(gets(rib, b, P1), "iBGP-learned is not passed to another iBGP peer");
        assertFalse(gets(rib, a, P1), "never back to where it came from");
        assertTrue(gets(rib, e, P1), "iBGP-learned goes to eBGP");
    }

    /** In a mesh, a change to a route a peer never got must not send it a withdrawal. */
    @Test
    void noWithdrawalWhereNothingWasAnnounced() {
        Rib rib = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID));
        PeerInfo a = ibgp("10.0.0.2"), b = ibgp("10.0.0.3"), c = ibgp("10.0.0.4");
        for (PeerInfo p : List.of(a, b, c)) {
            rib.peerUp(p, Fx.v4());
            rib.outbound(p.key()).drain(1 << 20);
        }
        rib.apply(a.key(), announce(attrs(), "10.0.0.2", P1));
        rib.apply(c.key(), announce(attrs(), "10.0.0.4", P1));
        rib.apply(a.key(), Fx.withdraw(P1)); // best moves from a's path to c's
        assertEquals(List.of(), rib.outbound(b.key()).drain(1 << 20));
    }

    @Test
    void ebgpLearnedGoesToIbgpUnchangedExceptLocalPref() {
        Rib rib = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID));
        PeerInfo e = ebgp("10.0.0.9", 65003), a = ibgp("10.0.0.2");
        rib.peerUp(e, Fx.v4());
        rib.peerUp(a, Fx.v4());
        rib.apply(e.key(), announce(with(attrs(65003), new PathAttribute.MultiExitDisc(0)), "10.99.0.3", P1));
        Update u = sent(rib, a).get(0);
        // bgp.md §1.6: BIRD passed FRR's route on with next hop, AS_PATH and MED unchanged.
        assertEquals(Fx.ip("10.99.0.3"), attr(u, PathAttribute.NextHop.class).address());
        assertEquals(List.of(AsPathSegment.sequence(List.of(65003L))), attr(u, PathAttribute.AsPath.class).segments());
        assertEquals(0, attr(u, PathAttribute.MultiExitDisc.class).value());
        assertEquals(100, attr(u, PathAttribute.LocalPref.class).value());
    }

    @Test
    void ebgpExportRewritesAttributes() {
        Rib rib = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID).withClusterId(1));
        PeerInfo a = client("10.0.0.2"), e = ebgp("10.0.0.9", 65003);
        rib.peerUp(a, Fx.v4());
        rib.peerUp(e, Fx.v4());
        rib.apply(a.key(), announce(with(attrs(65010), new PathAttribute.LocalPref(300), new PathAttribute.MultiExitDisc(5),
                new PathAttribute.OriginatorId(7), new PathAttribute.ClusterList(List.of(4)),
                new PathAttribute.Unknown(0x80, 99, dev.weft.bgp.wire.Octets.ofHex("01")),
                new PathAttribute.Unknown(0xc0, 98, dev.weft.bgp.wire.Octets.ofHex("02"))), "10.0.0.2", P1));
        Update u = sent(rib, e).get(0);
        assertEquals(List.of(AsPathSegment.sequence(List.of(Fx.AS, 65010L))), attr(u, PathAttribute.AsPath.class).segments());
        assertEquals(Fx.ip("10.0.0.1"), attr(u, PathAttribute.NextHop.class).address(), "next hop self");
        assertNull(attr(u, PathAttribute.LocalPref.class));
        assertNull(attr(u, PathAttribute.MultiExitDisc.class));
        assertNull(attr(u, PathAttribute.OriginatorId.class));
        assertNull(attr(u, PathAttribute.ClusterList.class));
        List<Integer> unknown = u.attributes().stream().filter(x -> x instanceof PathAttribute.Unknown).map(PathAttribute::typeCode).toList();
        assertEquals(List.of(98), unknown, "only the optional transitive unknown attribute passes");
    }

    @Test
    void ourOwnRoutesToIbgpAndEbgp() {
        Rib rib = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID).withLocalPref(2147482623L));
        PeerInfo a = ibgp("10.0.0.2"), e = ebgp("10.0.0.9", 65003);
        rib.peerUp(a, Fx.v4());
        rib.peerUp(e, Fx.v4());
        rib.originate(P1, List.of(new PathAttribute.MultiExitDisc(7)));
        Update i = sent(rib, a).get(0);
        assertEquals(List.of(), attr(i, PathAttribute.AsPath.class).segments(), "empty AS_PATH on iBGP");
        assertEquals(2147482623L, attr(i, PathAttribute.LocalPref.class).value());
        assertEquals(Fx.ip("10.0.0.1"), attr(i, PathAttribute.NextHop.class).address());
        assertEquals(PathAttribute.Origin.IGP, attr(i, PathAttribute.Origin.class).value());
        Update x = sent(rib, e).get(0);
        assertEquals(List.of(AsPathSegment.sequence(List.of(Fx.AS))), attr(x, PathAttribute.AsPath.class).segments());
        assertNull(attr(x, PathAttribute.LocalPref.class));
        assertEquals(7, attr(x, PathAttribute.MultiExitDisc.class).value(), "our own MED may go to eBGP");
    }

    @Test
    void noExportAndNoAdvertise() {
        Rib rib = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID));
        PeerInfo src = ebgp("10.0.0.8", 65008), a = ibgp("10.0.0.2"), e = ebgp("10.0.0.9", 65003);
        for (PeerInfo p : List.of(src, a, e)) {
            rib.peerUp(p, Fx.v4());
        }
        Cidr p2 = Fx.P2;
        rib.apply(src.key(), announce(with(attrs(65008), new PathAttribute.Communities(List.of(PathAttribute.Communities.NO_EXPORT))), "10.0.0.8", P1));
        rib.apply(src.key(), announce(with(attrs(65008), new PathAttribute.Communities(List.of(PathAttribute.Communities.NO_ADVERTISE))), "10.0.0.8", p2));
        List<Cidr> toIbgp = announced(sent(rib, a));
        List<Cidr> toEbgp = announced(sent(rib, e));
        assertEquals(List.of(P1), toIbgp, "NO_EXPORT stays inside the AS; NO_ADVERTISE goes nowhere");
        assertEquals(List.of(), toEbgp);
        assertEquals(2, rib.prefixCount(Family.IPV4_UNICAST), "both are still used locally");
    }

    /** RFC 4456 §6: who gets an iBGP route from a reflector, for each kind of source. */
    @Test
    void routeReflectorMatrix() {
        Rib rr = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID).withClusterId(Fx.OUR_ID));
        PeerInfo c1 = client("10.0.0.11"), c2 = client("10.0.0.12"), n1 = ibgp("10.0.0.21"), n2 = ibgp("10.0.0.22");
        PeerInfo e = ebgp("10.0.0.9", 65003);
        List<PeerInfo> all = List.of(c1, c2, n1, n2, e);
        for (PeerInfo p : all) {
            rr.peerUp(p, Fx.v4());
        }
        Cidr fromClient = Cidr.parse("10.244.11.0/26"), fromNonClient = Cidr.parse("10.244.21.0/26"), fromEbgp = Cidr.parse("10.244.9.0/26");
        rr.apply(c1.key(), announce(attrs(), "10.0.0.11", fromClient));
        rr.apply(n1.key(), announce(attrs(), "10.0.0.21", fromNonClient));
        rr.apply(e.key(), announce(attrs(65003), "10.0.0.9", fromEbgp));
        record Row(PeerInfo to, List<Cidr> expected) {}
        for (Row r : List.of(
                new Row(c1, List.of(fromNonClient, fromEbgp)),
                new Row(c2, List.of(fromClient, fromNonClient, fromEbgp)),
                new Row(n1, List.of(fromClient, fromEbgp)),
                new Row(n2, List.of(fromClient, fromEbgp)),
                new Row(e, List.of(fromClient, fromNonClient)))) {
            List<Cidr> got = announced(sent(rr, r.to())).stream().sorted().toList();
            assertEquals(r.expected().stream().sorted().toList(), got, "to " + r.to().key());
        }
    }

    @Test
    void reflectionAddsOriginatorAndClusterAndKeepsNextHop() {
        Rib rr = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID).withClusterId(5));
        PeerInfo c1 = client("10.0.0.11"), c2 = client("10.0.0.12");
        rr.peerUp(c1, Fx.v4());
        rr.peerUp(c2, Fx.v4());
        rr.apply(c1.key(), announce(with(attrs(), new PathAttribute.ClusterList(List.of(9))), "10.0.0.11", P1));
        Update u = sent(rr, c2).get(0);
        assertEquals(Fx.rid("10.0.0.11"), attr(u, PathAttribute.OriginatorId.class).routerId());
        assertEquals(List.of(5, 9), attr(u, PathAttribute.ClusterList.class).clusterIds());
        assertEquals(Fx.ip("10.0.0.11"), attr(u, PathAttribute.NextHop.class).address());

        Rib self = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID).withClusterId(5).withReflectNextHop(RibConfig.NextHopMode.SELF));
        self.peerUp(c1, Fx.v4());
        self.peerUp(c2, Fx.v4());
        self.apply(c1.key(), announce(with(attrs(), new PathAttribute.OriginatorId(3)), "10.0.0.11", P1));
        Update v = sent(self, c2).get(0);
        assertEquals(Fx.ip("10.0.0.1"), attr(v, PathAttribute.NextHop.class).address());
        assertEquals(3, attr(v, PathAttribute.OriginatorId.class).routerId(), "an existing ORIGINATOR_ID stays");
    }

    /**
     * calico#2735: two reflectors with one cluster id. A client peering only with RR1 has its route
     * reflected to RR2 with RR1's (= RR2's) cluster id in CLUSTER_LIST, and RR2 drops it, so RR2's
     * clients never learn it. With distinct cluster ids RR2 accepts and reflects it.
     */
    @Test
    void reflectorsSharingAClusterIdDropEachOthersClientRoutes() {
        assertEquals(List.of(), routesAtSecondClient(1, 1));
        assertEquals(List.of(P1), routesAtSecondClient(1, 2));
    }

    /** client A -> RR1 -> RR2 -> client B; returns what B is sent by RR2. */
    private static List<Cidr> routesAtSecondClient(int cluster1, int cluster2) {
        PeerInfo clientA = client("10.0.0.11"), clientB = client("10.0.0.12");
        Rib rr1 = new Rib(RibConfig.of(Fx.AS, Fx.rid("10.0.0.101")).withClusterId(cluster1));
        Rib rr2 = new Rib(RibConfig.of(Fx.AS, Fx.rid("10.0.0.102")).withClusterId(cluster2));
        PeerInfo rr2AtRr1 = ibgp("10.0.0.102"), rr1AtRr2 = ibgp("10.0.0.101");
        rr1.peerUp(clientA, Fx.v4());
        rr1.peerUp(rr2AtRr1, SessionParams.of(Family.IPV4_UNICAST, Fx.ip("10.0.0.101")));
        rr2.peerUp(rr1AtRr2, SessionParams.of(Family.IPV4_UNICAST, Fx.ip("10.0.0.102")));
        rr2.peerUp(clientB, SessionParams.of(Family.IPV4_UNICAST, Fx.ip("10.0.0.102")));
        rr1.apply(clientA.key(), announce(attrs(), "10.0.0.11", P1));
        for (Update u : rr1.outbound(rr2AtRr1.key()).drain(1 << 20)) {
            rr2.apply(rr1AtRr2.key(), overTheWire(u));
        }
        return announced(sent(rr2, clientB));
    }

    /** Through the codec both ways, as between two speakers with AS4. */
    static Update overTheWire(Update u) {
        CodecContext ctx = new CodecContext(true, Set.of(), Set.of(), false);
        ByteBuf buf = Unpooled.buffer();
        try {
            BgpCodec.encode(u, ctx, buf);
            DecodedUpdate d = BgpCodec.decodeUpdate(buf, ctx);
            assertEquals(UpdateAction.ACCEPT, d.action(), () -> d.errors().toString());
            return d.forRib().orElseThrow();
        } catch (BgpWireException e) {
            throw new AssertionError(e);
        } finally {
            buf.release();
        }
    }

    @Test
    void bestMovingToTheTargetItselfWithdrawsFromIt() {
        Rib rib = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID));
        PeerInfo e1 = ebgp("10.0.0.8", 65008), e2 = ebgp("10.0.0.9", 65009);
        rib.peerUp(e1, Fx.v4());
        rib.peerUp(e2, Fx.v4());
        rib.apply(e1.key(), announce(attrs(65008, 65100), "10.0.0.8", P1));
        assertEquals(List.of(P1), announced(sent(rib, e2)));
        rib.apply(e2.key(), announce(attrs(65009), "10.0.0.9", P1)); // shorter: e2's own path wins
        List<Update> toE2 = sent(rib, e2);
        assertEquals(List.of(P1), withdrawn(toE2));
        assertEquals(List.of(P1), announced(sent(rib, e1)));
        // A prefix never sent is not withdrawn.
        rib.apply(e2.key(), Fx.withdraw(Fx.P2));
        assertFalse(rib.outbound(e2.key()).hasPending());
    }

    /**
     * The audience of a best path (which kinds of peer a change may matter to: the other kinds skip
     * it unread) covers every peer export gives it to, over every source, target, reflector
     * setting and community; and it is not everyone where export is never anyone of a kind.
     */
    @Test
    void theAudienceOfABestPathCoversEveryPeerItIsExportedTo() {
        List<PeerInfo> peers = List.of(PeerInfo.local(RibConfig.of(Fx.AS, Fx.OUR_ID)), ibgp("10.0.0.2"),
                client("10.0.0.3"), ebgp("10.0.0.4", 65004), ibgp("10.0.0.5"), client("10.0.0.6"), ebgp("10.0.0.7", 65007));
        List<List<PathAttribute>> sets = List.of(attrs(), with(attrs(65004),
                new PathAttribute.Communities(List.of(PathAttribute.Communities.NO_EXPORT))),
                with(attrs(), new PathAttribute.Communities(List.of(PathAttribute.Communities.NO_ADVERTISE))));
        int narrower = 0;
        for (RibConfig config : List.of(RibConfig.of(Fx.AS, Fx.OUR_ID), RibConfig.of(Fx.AS, Fx.OUR_ID).withClusterId(7))) {
            ExportPolicy policy = new ExportPolicy(config);
            for (PeerInfo from : peers) {
                for (List<PathAttribute> set : sets) {
                    Path best = new Path(P1, 0, from, Attrs.of(set, Fx.ip("10.0.0.2")), false);
                    int audience = policy.audience(best);
                    narrower += audience == ExportPolicy.TO_ANY ? 0 : 1;
                    for (PeerInfo to : peers.subList(1, peers.size())) {
                        if (policy.export(best, to, Fx.v4()) != null) {
                            assertTrue((audience & ExportPolicy.kindOf(to)) != 0,
                                    best + " goes to " + to + " outside its audience " + audience);
                        }
                    }
                }
            }
        }
        assertEquals(0, new ExportPolicy(RibConfig.of(Fx.AS, Fx.OUR_ID)).audience(
                new Path(P1, 0, ibgp("10.0.0.2"), Attrs.of(sets.get(1), Fx.ip("10.0.0.2")), false)),
                "iBGP-learned with NO_EXPORT and no reflection: nobody");
        assertTrue(narrower > 10, "the audience is not everyone by default: " + narrower);
    }
}
