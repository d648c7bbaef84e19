package dev.weft.bgp.wire;

import static dev.weft.bgp.wire.WireFixtures.ALL;
import static dev.weft.bgp.wire.WireFixtures.AS4;
import static dev.weft.bgp.wire.WireFixtures.encode;
import static dev.weft.bgp.wire.WireFixtures.hexOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.bgp.wire.PathAttribute.LargeCommunities.LargeCommunity;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** decode(encode(x)) == x, and encoding the decoded value gives the same octets again. */
class RoundTripTest {
    /** Before AS4: 2-octet ASNs, no ADD-PATH. */
    private static final CodecContext OLD = CodecContext.INITIAL;
    /** ADD-PATH in one direction only: what is sent with path ids is read without them. */
    private static final CodecContext SEND_ONLY = new CodecContext(true, Set.of(), Set.of(Family.IPV4_UNICAST), false);

    static final List<Capability> ALL_CAPABILITIES = List.of(
            new Capability.Multiprotocol(1, 1), new Capability.Multiprotocol(2, 1), new Capability.RouteRefresh(false),
            new Capability.RouteRefresh(true),
            new Capability.ExtendedNextHop(List.of(new Capability.ExtendedNextHop.Entry(1, 1, 2),
                    new Capability.ExtendedNextHop.Entry(1, 128, 2))),
            new Capability.ExtendedMessage(),
            new Capability.GracefulRestart(true, true, 4095, List.of(new Capability.GracefulRestart.Entry(1, 1, true),
                    new Capability.GracefulRestart.Entry(2, 1, false))),
            new Capability.GracefulRestart(false, false, 120, List.of()),
            new Capability.FourOctetAs(4_200_000_000L),
            new Capability.AddPath(List.of(new Capability.AddPath.Entry(1, 1, Capability.AddPath.BOTH),
                    new Capability.AddPath.Entry(2, 1, Capability.AddPath.RECEIVE))),
            new Capability.EnhancedRouteRefresh(), new Capability.Fqdn("node-1", "cluster.local"),
            new Capability.Unknown(71, Octets.ofHex("0001 01 00 000e10")), new Capability.Unknown(200, Octets.EMPTY));

    @Test
    void openWithEveryCapabilityPackedAndOnePerParameter() throws Exception {
        roundTrip(new Open(4, Open.AS_TRANS, 240, 0xc0a80001, ALL_CAPABILITIES, false), OLD);
        roundTrip(new Open(4, 64512, 0, 0x0a000001, ALL_CAPABILITIES, true), AS4);
        roundTrip(new Open(4, 64512, 3, -1, List.of(), false), AS4);
    }

    @Test
    void frrStyleOneCapabilityPerParameter() throws Exception {
        byte[] frame = WireFixtures.message(1, "04 fc00 00b4 0a630009 0c | 02 06 01 04 00010001 | 02 02 02 00");
        Open o = (Open) WireFixtures.decode(frame, AS4);
        assertTrue(o.onePerParameter());
        assertEquals(List.of(new Capability.Multiprotocol(1, 1), new Capability.RouteRefresh(false)), o.capabilities());
        WireFixtures.assertEncodes(frame, o, AS4);
    }

    @Test
    void simpleMessages() throws Exception {
        roundTrip(Keepalive.INSTANCE, AS4);
        roundTrip(new Notification(2, 1, Octets.ofHex("0004")), AS4);
        roundTrip(Notification.of(4, 0), AS4);
        for (int subtype : new int[] {RouteRefresh.REQUEST, RouteRefresh.BEGIN, RouteRefresh.END}) {
            roundTrip(new RouteRefresh(1, subtype, 1), AS4);
            roundTrip(new RouteRefresh(2, subtype, 1), AS4);
        }
        roundTrip(new RouteRefresh(1, 77, 128), AS4); // unknown subtype and family: kept for the session to ignore
    }

    @Test
    void everyAttributeOn4OctetSessions() throws Exception {
        List<PathAttribute> attrs = everyAttribute(4_200_000_001L).stream()
                .filter(a -> !(a instanceof PathAttribute.As4Path || a instanceof PathAttribute.As4Aggregator)).toList();
        roundTrip(new Update(v4("10.1.0.0/16", 0), attrs, v4("10.244.1.0/26", 0)), AS4);
        roundTrip(new Update(v4("10.1.0.0/16", 7), attrs, v4("10.244.1.0/26", 1)), ALL);
    }

    @Test
    void everyAttributeOn2OctetSessions() throws Exception {
        roundTrip(new Update(v4("10.1.0.0/16", 0), everyAttribute(65001), v4("10.244.1.0/26", 0)), OLD);
    }

    @Test
    void fourOctetAsOnATwoOctetSessionBecomesAsTrans() throws Exception {
        Update u = new Update(List.of(), List.of(new PathAttribute.AsPath(List.of(AsPathSegment.sequence(List.of(4_200_000_000L, 65001L))))),
                List.of());
        Update back = (Update) WireFixtures.decode(encode(u, OLD), OLD);
        assertEquals(List.of((long) Open.AS_TRANS, 65001L), back.attributes().get(0) instanceof PathAttribute.AsPath p
                ? p.segments().get(0).asns() : null);
    }

    @Test
    void mpReachAndUnreachBothFamilies() throws Exception {
        IpAddress global = IpAddress.parse("fd00:99::1");
        IpAddress linkLocal = IpAddress.parse("fe80::1");
        for (CodecContext ctx : List.of(AS4, ALL)) {
            int id = ctx == ALL ? 42 : 0;
            List<PathAttribute> base = List.of(new PathAttribute.Origin(2), PathAttribute.AsPath.EMPTY);
            roundTrip(mp(new PathAttribute.MpReach(Family.IPV6_UNICAST, List.of(global), v6("fd00:244:1::/64", id)), base), ctx);
            roundTrip(mp(new PathAttribute.MpReach(Family.IPV6_UNICAST, List.of(global, linkLocal),
                    v6("fd00:244:1::/64", id, "::/0", "2001:db8::1/128")), base), ctx);
            roundTrip(mp(new PathAttribute.MpReach(Family.IPV4_UNICAST, List.of(IpAddress.parse("10.99.0.1")),
                    v4("10.244.0.0/24", id)), base), ctx);
            // RFC 8950: IPv4 NLRI over an IPv6 next hop, as GoBGP sends with extended next hop
            roundTrip(mp(new PathAttribute.MpReach(Family.IPV4_UNICAST, List.of(global), v4("10.244.0.0/24", id)), base), ctx);
            roundTrip(mp(new PathAttribute.MpReach(Family.IPV4_UNICAST, List.of(global, linkLocal), v4("0.0.0.0/0", id)), base), ctx);
            roundTrip(mp(new PathAttribute.MpUnreach(Family.IPV6_UNICAST, v6("fd00:244:1::/64", id, "fd00::/8")), List.of()), ctx);
            roundTrip(mp(new PathAttribute.MpUnreach(Family.IPV4_UNICAST, v4("10.244.0.0/24", id)), List.of()), ctx);
        }
    }

    @Test
    void addPathOnlyInTheSendDirection() throws Exception {
        Update u = new Update(List.of(), List.of(), List.of(new Nlri(Cidr.parse("10.0.0.0/8"), 9)));
        byte[] sent = encode(u, SEND_ONLY);
        assertEquals("0000 0000 00000009 08 0a".replace(" ", ""), hexOf(sent).substring(38));
    }

    @Test
    void unknownAttributesKeptWithTheirFlags() throws Exception {
        byte[] big = new byte[300];
        big[299] = 7;
        List<PathAttribute> attrs = List.of(
                new PathAttribute.Unknown(PathAttribute.FLAG_OPTIONAL | PathAttribute.FLAG_TRANSITIVE, 99, Octets.ofHex("0102")),
                new PathAttribute.Unknown(0xe0, 100, Octets.of(big)),
                new PathAttribute.Unknown(0xc0, 101, Octets.EMPTY));
        roundTrip(new Update(List.of(), attrs, List.of()), AS4);
    }

    @Test
    void extendedMessageUpdate() throws Exception {
        CodecContext ext = new CodecContext(true, Set.of(), Set.of(), true);
        List<Nlri> many = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            many.add(Nlri.of(Cidr.parse("10." + (i >> 8) + "." + (i & 255) + ".0/24")));
        }
        Update u = new Update(List.of(), List.of(new PathAttribute.Origin(0), PathAttribute.AsPath.EMPTY,
                new PathAttribute.NextHop(IpAddress.parse("10.99.0.1"))), many);
        byte[] frame = roundTrip(u, ext);
        assertTrue(frame.length > CodecContext.MAX_MESSAGE);
        assertEquals(frame.length, BgpCodec.encodedLength(u, AS4));
        assertThrows(IllegalArgumentException.class, () -> encode(u, AS4));
        BgpWireException e = assertThrows(BgpWireException.class, () -> WireFixtures.decode(frame, AS4));
        assertEquals(1, e.notification().code());
        assertEquals(2, e.notification().subcode());
    }

    static List<PathAttribute> everyAttribute(long bigAs) {
        IpAddress nh = IpAddress.parse("10.99.0.1");
        return List.of(new PathAttribute.Origin(PathAttribute.Origin.EGP),
                new PathAttribute.AsPath(List.of(AsPathSegment.sequence(List.of(65001L, bigAs)),
                        new AsPathSegment(AsPathSegment.AS_SET, List.of(1L, 2L, 65535L)),
                        new AsPathSegment(AsPathSegment.AS_CONFED_SEQUENCE, List.of(65100L)),
                        new AsPathSegment(AsPathSegment.AS_CONFED_SET, List.of(65101L, 65102L)))),
                new PathAttribute.NextHop(nh), new PathAttribute.MultiExitDisc(0xffffffffL), new PathAttribute.LocalPref(100),
                new PathAttribute.AtomicAggregate(), new PathAttribute.Aggregator(bigAs, IpAddress.parse("192.0.2.1")),
                new PathAttribute.Communities(List.of(PathAttribute.Communities.NO_EXPORT, 0x00010002)),
                new PathAttribute.OriginatorId(0x0a630003), new PathAttribute.ClusterList(List.of(0x01010101, -1)),
                new PathAttribute.ExtendedCommunities(List.of(0x0002fc0000000064L, -1L)),
                new PathAttribute.As4Path(List.of(AsPathSegment.sequence(List.of(4_200_000_000L)))),
                new PathAttribute.As4Aggregator(4_200_000_000L, IpAddress.parse("192.0.2.2")),
                new PathAttribute.LargeCommunities(List.of(new LargeCommunity(4_200_000_000L, 1, 0xffffffffL))));
    }

    private static Update mp(PathAttribute mpAttr, List<PathAttribute> rest) {
        List<PathAttribute> all = new ArrayList<>();
        all.add(mpAttr);
        all.addAll(rest);
        return new Update(List.of(), all, List.of());
    }

    private static List<Nlri> v4(String cidr, int pathId) {
        return List.of(new Nlri(Cidr.parse(cidr), pathId), new Nlri(Cidr.parse("0.0.0.0/0"), pathId),
                new Nlri(Cidr.parse("192.0.2.77/32"), pathId));
    }

    private static List<Nlri> v6(String cidr, int pathId, String... more) {
        List<Nlri> l = new ArrayList<>();
        l.add(new Nlri(Cidr.parse(cidr), pathId));
        for (String m : more) {
            l.add(new Nlri(Cidr.parse(m), pathId));
        }
        return l;
    }

    private static byte[] roundTrip(BgpMessage m, CodecContext ctx) throws BgpWireException {
        byte[] frame = encode(m, ctx);
        Object back = BgpCodec.decodeFrame(Unpooled.wrappedBuffer(frame), ctx);
        if (back instanceof DecodedUpdate d) {
            assertEquals(UpdateAction.ACCEPT, d.action(), () -> d.errors().toString());
            back = d.update();
        }
        assertEquals(m, back);
        assertEquals(frame.length, BgpCodec.encodedLength(m, ctx));
        assertEquals(hexOf(frame), hexOf(encode((BgpMessage) back, ctx)));
        return frame;
    }
}
