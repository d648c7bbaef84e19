package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.BgpWireException;
import dev.weft.bgp.wire.Capability;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Octets;
import dev.weft.bgp.wire.Open;
import dev.weft.net.IpAddress;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpenNegotiationTest {
    static final SpeakerConfig SPEAKER = SpeakerConfig.of(IpAddress.parse("10.0.0.1"), 64512);
    static final Set<Family> BOTH = Set.of(Family.IPV4_UNICAST, Family.IPV6_UNICAST);

    static Negotiated accept(PeerConfig peer, List<Capability> caps) throws BgpWireException {
        return new OpenNegotiation(SPEAKER, peer).accept(new Open(4, 64512, 90, 0x0A000002, caps, false));
    }

    static PeerConfig peer() {
        return PeerConfig.of(IpAddress.parse("10.0.0.2"), 64512);
    }

    @Test
    void routerIdsPeersWouldRejectAreRefusedInTheConfig() {
        for (String bad : List.of("0.0.0.0", "224.0.0.1", "239.255.255.255", "240.0.0.1", "255.255.255.255", "fd00::1")) {
            assertThrows(IllegalArgumentException.class, () -> SpeakerConfig.of(IpAddress.parse(bad), 64512), bad);
        }
        assertDoesNotThrow(() -> SpeakerConfig.of(IpAddress.parse("223.255.255.255"), 64512));
    }

    @Test
    void peerConfigRefusesHoldTimesOneAndTwo() {
        assertThrows(IllegalArgumentException.class, () -> peer().withTimers(2, 0, PeerConfig.DEFAULT_CONNECT_RETRY));
        assertDoesNotThrow(() -> peer().withTimers(0, 0, PeerConfig.DEFAULT_CONNECT_RETRY));
    }

    @Test
    void familiesAreTheIntersectionAndNoMpMeansIpv4Only() throws Exception {
        PeerConfig dual = peer().withFamilies(BOTH, Map.of());
        assertEquals(Set.of(Family.IPV4_UNICAST), accept(dual, List.of()).families());
        assertEquals(Set.of(Family.IPV6_UNICAST),
                accept(dual, List.of(new Capability.Multiprotocol(2, 1), new Capability.Multiprotocol(1, 128))).families());
        assertEquals(Set.of(Family.IPV4_UNICAST), accept(peer(), List.of(Capability.Multiprotocol.of(Family.IPV4_UNICAST),
                Capability.Multiprotocol.of(Family.IPV6_UNICAST))).families());
    }

    @Test
    void optionalCapabilitiesNeedBothSidesAndUnknownOnesAreIgnored() throws Exception {
        Negotiated none = accept(peer(), List.of(new Capability.Unknown(71, Octets.ofHex("0001010000ff"))));
        assertFalse(none.fourOctetAs() || none.routeRefresh() || none.enhancedRouteRefresh() || none.extendedMessage());
        Negotiated all = accept(peer(), List.of(new Capability.RouteRefresh(true), new Capability.EnhancedRouteRefresh(),
                new Capability.FourOctetAs(64512), new Capability.ExtendedMessage()));
        assertTrue(all.fourOctetAs() && all.routeRefresh() && all.enhancedRouteRefresh() && all.extendedMessage());
        assertTrue(all.codecContext().extendedMessage());
    }

    @Test
    void addPathIsNegotiatedPerFamilyAndDirection() throws Exception {
        PeerConfig p = peer().withFamilies(BOTH, Map.of(Family.IPV4_UNICAST, Capability.AddPath.BOTH,
                Family.IPV6_UNICAST, Capability.AddPath.RECEIVE));
        Capability.AddPath theirs = new Capability.AddPath(List.of(
                new Capability.AddPath.Entry(1, 1, Capability.AddPath.RECEIVE), // they receive: we may send v4
                new Capability.AddPath.Entry(2, 1, Capability.AddPath.SEND))); // they send v6: we receive
        Negotiated n = accept(p, List.of(Capability.Multiprotocol.of(Family.IPV4_UNICAST),
                Capability.Multiprotocol.of(Family.IPV6_UNICAST), theirs));
        assertEquals(Set.of(Family.IPV4_UNICAST), n.addPathSend());
        assertEquals(Set.of(Family.IPV6_UNICAST), n.addPathReceive());
        assertEquals(n.addPathReceive(), n.codecContext().addPathReceive());
        // we only receive on v6: their BOTH on v4 gives nothing on v4 towards us beyond our offer
        PeerConfig rxOnly = peer().withFamilies(Set.of(Family.IPV4_UNICAST), Map.of(Family.IPV4_UNICAST, Capability.AddPath.RECEIVE));
        Negotiated m = accept(rxOnly, List.of(new Capability.AddPath(List.of(new Capability.AddPath.Entry(1, 1, 3)))));
        assertEquals(Set.of(Family.IPV4_UNICAST), m.addPathReceive());
        assertEquals(Set.of(), m.addPathSend());
    }

    @Test
    void gracefulRestartCarriesTheRestartTimeAndPerFamilyForwardingBits() throws Exception {
        Capability.GracefulRestart gr = new Capability.GracefulRestart(true, false, 200, List.of(
                new Capability.GracefulRestart.Entry(1, 1, true), new Capability.GracefulRestart.Entry(2, 1, false)));
        Negotiated n = accept(peer().withGracefulRestart(120), List.of(gr));
        Negotiated.PeerRestart r = n.gracefulRestart().orElseThrow();
        assertEquals(200, r.restartTime());
        assertTrue(r.restarting());
        assertEquals(Map.of(Family.IPV4_UNICAST, true), r.forwardingPreserved(), "v6 is not negotiated here");
    }

    @Test
    void ourOpenOffersWhatIsConfigured() {
        PeerConfig p = peer().withFamilies(BOTH, Map.of(Family.IPV4_UNICAST, 3)).withGracefulRestart(120)
                .withTimers(240, 0, PeerConfig.DEFAULT_CONNECT_RETRY);
        Open o = new OpenNegotiation(SPEAKER, p).ourOpen();
        assertEquals(240, o.holdTime());
        assertEquals(0x0A000001, o.bgpIdentifier());
        assertEquals(64512, o.asField());
        assertEquals(2, o.capabilities().stream().filter(c -> c instanceof Capability.Multiprotocol).count());
        assertEquals(120, o.capability(Capability.GracefulRestart.class).orElseThrow().restartTime());
        assertEquals(List.of(new Capability.AddPath.Entry(1, 1, 3)), o.capability(Capability.AddPath.class).orElseThrow().entries());
        assertTrue(new OpenNegotiation(SPEAKER, peer()).ourOpen().capability(Capability.GracefulRestart.class).isEmpty());
    }
}
