package dev.weft.bgp.wire;

import static dev.weft.bgp.wire.WireFixtures.AS4;
import static dev.weft.bgp.wire.WireFixtures.assertEncodes;
import static dev.weft.bgp.wire.WireFixtures.decode;
import static dev.weft.bgp.wire.WireFixtures.decodeUpdate;
import static dev.weft.bgp.wire.WireFixtures.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The byte vectors captured from BIRD, GoBGP and FRR (bgp.md §3.6): decoded field by field, encoded back byte for byte. */
class GoldenVectorTest {
    private static final long AS_64512 = 64512;

    @Test
    void birdOpen() throws Exception {
        byte[] frame = message(1, "04 fc00 005a 0a630001 18 | 02 16 | 01 04 0001 00 01 | 02 00 | 40 02 0078 | 41 04 0000fc00 | 46 00 | 47 00");
        Open o = (Open) decode(frame, CodecContext.INITIAL);
        assertEquals(4, o.version());
        assertEquals(64512, o.asField());
        assertEquals(90, o.holdTime());
        assertEquals(0x0a630001, o.bgpIdentifier());
        assertFalse(o.onePerParameter());
        assertEquals(List.of(new Capability.Multiprotocol(1, 1), new Capability.RouteRefresh(false),
                new Capability.GracefulRestart(false, false, 120, List.of()), new Capability.FourOctetAs(AS_64512),
                new Capability.EnhancedRouteRefresh(), new Capability.Unknown(71, Octets.EMPTY)), o.capabilities());
        assertEquals(AS_64512, o.as());
        assertEncodes(frame, o, CodecContext.INITIAL);
    }

    @Test
    void gobgpOpen() throws Exception {
        byte[] frame = message(1, "04 fc00 005a 0a630002 1e 02 1c | 02 00 | 49 04 02 766d 00 | 01 04 00010001 | 41 04 0000fc00 | 05 06 0001 0001 0002");
        Open o = (Open) decode(frame, CodecContext.INITIAL);
        assertEquals(0x0a630002, o.bgpIdentifier());
        assertEquals(List.of(new Capability.RouteRefresh(false), new Capability.Fqdn("vm", ""), new Capability.Multiprotocol(1, 1),
                new Capability.FourOctetAs(AS_64512),
                new Capability.ExtendedNextHop(List.of(new Capability.ExtendedNextHop.Entry(1, 1, 2)))), o.capabilities());
        assertFalse(o.onePerParameter());
        assertEncodes(frame, o, CodecContext.INITIAL);
    }

    @Test
    void ibgpUpdateBirdToGobgp() throws Exception {
        byte[] frame = message(2, "0000 0015 | 40 01 01 00 | 40 02 00 | 40 03 04 0a630001 | 40 05 04 00000064 | 1a 0af40100");
        Update u = clean(frame);
        assertEquals(List.of(), u.withdrawn());
        assertEquals(List.of(new PathAttribute.Origin(PathAttribute.Origin.IGP), PathAttribute.AsPath.EMPTY,
                new PathAttribute.NextHop(IpAddress.parse("10.99.0.1")), new PathAttribute.LocalPref(100)), u.attributes());
        assertEquals(List.of(Nlri.of(Cidr.parse("10.244.1.0/26"))), u.nlri());
        assertEncodes(frame, u, AS4);
    }

    @Test
    void ebgpUpdateBirdToFrr() throws Exception {
        byte[] frame = message(2, "0000 0014 | 40 01 01 00 | 40 02 06 02 01 0000fc00 | 40 03 04 0a630001 | 1a 0af40100");
        Update u = clean(frame);
        assertEquals(List.of(new PathAttribute.Origin(0), new PathAttribute.AsPath(List.of(AsPathSegment.sequence(List.of(AS_64512)))),
                new PathAttribute.NextHop(IpAddress.parse("10.99.0.1"))), u.attributes());
        assertEquals(List.of(Nlri.of(Cidr.parse("10.244.1.0/26"))), u.nlri());
        assertEncodes(frame, u, AS4);
    }

    @Test
    void ibgpPassThrough() throws Exception {
        byte[] frame = message(2, "0000 0022 | 40 01 01 00 | 40 02 06 02 01 0000fdeb | 40 03 04 0a630003 | 80 04 04 00000000 | 40 05 04 00000064 | 1a 0af40300");
        Update u = clean(frame);
        assertEquals(List.of(new PathAttribute.Origin(0), new PathAttribute.AsPath(List.of(AsPathSegment.sequence(List.of(65003L)))),
                new PathAttribute.NextHop(IpAddress.parse("10.99.0.3")), new PathAttribute.MultiExitDisc(0),
                new PathAttribute.LocalPref(100)), u.attributes());
        assertEquals(List.of(Nlri.of(Cidr.parse("10.244.3.0/26"))), u.nlri());
        assertEquals(65003L, u.attribute(PathAttribute.AsPath.class).orElseThrow().firstAs());
        assertEncodes(frame, u, AS4);
    }

    @Test
    void ipv6MpReachFromBird() throws Exception {
        byte[] frame = message(2, "0000 0030 | 90 0e 001e 0002 01 10 fd000099000000000000000000000001 00 40 fd00024400010000 | 40 01 01 00 | 40 02 00 | 40 05 04 00000064");
        Update u = clean(frame);
        assertEquals(List.of(new PathAttribute.MpReach(Family.IPV6_UNICAST, List.of(IpAddress.parse("fd00:99::1")),
                        List.of(Nlri.of(Cidr.parse("fd00:244:1::/64")))),
                new PathAttribute.Origin(0), PathAttribute.AsPath.EMPTY, new PathAttribute.LocalPref(100)), u.attributes());
        assertEquals(List.of(), u.nlri());
        assertEquals(List.of(Nlri.of(Cidr.parse("fd00:244:1::/64"))), u.announced());
        assertEncodes(frame, u, AS4);
    }

    @Test
    void endOfRib() throws Exception {
        byte[] v4 = message(2, "00000000");
        Update u4 = clean(v4);
        assertEquals(Optional.of(Family.IPV4_UNICAST), u4.endOfRibFamily());
        assertEncodes(v4, Update.endOfRib(Family.IPV4_UNICAST), AS4);

        byte[] v6 = message(2, "0000 0006 80 0f 03 0002 01");
        Update u6 = clean(v6);
        assertEquals(Optional.of(Family.IPV6_UNICAST), u6.endOfRibFamily());
        assertEncodes(v6, Update.endOfRib(Family.IPV6_UNICAST), AS4);
    }

    @Test
    void ceaseAdministrativeReset() throws Exception {
        byte[] frame = message(3, "06 04");
        assertEquals(Notification.of(Notification.CEASE, 4), decode(frame, AS4));
        assertEncodes(frame, Notification.of(6, 4), AS4);
    }

    @Test
    void keepaliveAndRouteRefresh() throws Exception {
        byte[] ka = message(4, "");
        assertEquals(Keepalive.INSTANCE, decode(ka, AS4));
        assertEncodes(ka, Keepalive.INSTANCE, AS4);
        byte[] rr = message(5, "0002 00 01");
        assertEquals(RouteRefresh.request(Family.IPV6_UNICAST), decode(rr, AS4));
        assertEncodes(rr, RouteRefresh.request(Family.IPV6_UNICAST), AS4);
    }

    private static Update clean(byte[] frame) throws BgpWireException {
        DecodedUpdate d = decodeUpdate(frame, AS4);
        assertEquals(UpdateAction.ACCEPT, d.action(), () -> d.errors().toString());
        return d.update();
    }
}
