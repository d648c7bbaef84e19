package dev.weft.flannel.backend.bgp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.bgp.config.AgentConfig;
import dev.weft.bgp.fib.NextHop;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.ipam.blocks.Announcement;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Dual-stack on the bgp backend (issue 15), the pure parts: what a node originates, the shape of a
 * learned IPv6 route in every encap, the IPv6 sessions a node wants and the lease data they come
 * from, and the configurations refused before anything is made.
 */
class BgpDualStackTest {
    static final Cidr NET6 = Cidr.parse("fd00:244::/56");
    static final Cidr BLOCK6 = Cidr.parse("fd00:244::40/122");
    static final NextHop NODE6 = NextHop.via("fd00:213::3");
    static final BgpLeaseData SELF = new BgpLeaseData(Cidr.parse("192.168.1.2/24"), 64512, "n2", Cidr.parse("fd00:213::2/64"));

    @Test
    void blocksAndBorrowedAddressesOfBothFamiliesAreOriginatedOnlyOnADualStackNode() {
        Announcement a = new Announcement(List.of(Cidr.parse("10.244.0.0/26"), BLOCK6),
                List.of(Cidr.parse("10.244.0.70/32"), Cidr.parse("fd00:244::85/128")));
        Map<Cidr, Boolean> dual = new LinkedHashMap<>();
        dual.put(Cidr.parse("10.244.0.0/26"), true);
        dual.put(BLOCK6, true);
        dual.put(Cidr.parse("10.244.0.70/32"), false);
        dual.put(Cidr.parse("fd00:244::85/128"), false);
        assertEquals(dual, BgpBackend.originations(a, true), "a block with its blackhole, a borrowed address without");
        assertEquals(Map.of(Cidr.parse("10.244.0.0/26"), true, Cidr.parse("10.244.0.70/32"), false),
                BgpBackend.originations(a, false), "an IPv4-only node announces what it did before");
    }

    @Test
    void learnedIpv6BlocksGoNativelyOutOfTheExternalInterfaceWhateverTheEncap() {
        for (Encap e : List.of(Encap.NONE, Encap.IPIP)) {
            for (boolean cross : new boolean[] {false, true}) {
                CalicoRouteShapes s = new CalicoRouteShapes(CalicoRouteShapesTest.NET, e, cross, CalicoRouteShapesTest.UNDERLAY, 7,
                        "tunl0", NET6);
                assertEquals(NODE6.dev(7), s.shape(BLOCK6, NODE6), e + (cross ? " CrossSubnet" : ""));
                assertEquals(NODE6.dev(7), s.shape(Cidr.parse("fd00:244::85/128"), NODE6), "a borrowed /128");
                assertFalse(s.shape(BLOCK6, NODE6).onlink(), "no tunnel, no onlink");
                // the IPv4 side is what it was
                assertEquals(new CalicoRouteShapes(CalicoRouteShapesTest.NET, e, cross, CalicoRouteShapesTest.UNDERLAY, 7, "tunl0")
                        .shape(CalicoRouteShapesTest.POD, CalicoRouteShapesTest.OTHER),
                        s.shape(CalicoRouteShapesTest.POD, CalicoRouteShapesTest.OTHER));
            }
        }
        CalicoRouteShapes s = new CalicoRouteShapes(CalicoRouteShapesTest.NET, Encap.NONE, false, CalicoRouteShapesTest.UNDERLAY, 7,
                "tunl0", NET6);
        assertEquals(NODE6, s.shape(Cidr.parse("2001:db8::/64"), NODE6), "outside the IPv6 network: as learned");
        CalicoRouteShapes v4only = new CalicoRouteShapes(CalicoRouteShapesTest.NET, Encap.NONE, false, CalicoRouteShapesTest.UNDERLAY, 7,
                "tunl0");
        assertEquals(NODE6, v4only.shape(BLOCK6, NODE6), "an IPv4-only node shapes no IPv6 route");
        assertThrows(IllegalArgumentException.class, () -> new CalicoRouteShapes(CalicoRouteShapesTest.NET, Encap.NONE, false,
                CalicoRouteShapesTest.UNDERLAY, 7, "tunl0", Cidr.parse("10.0.0.0/8")));
    }

    static Lease lease(String ip, BgpLeaseData d) {
        return new Lease(Cidr.ofHost(IpAddress.parse(ip)), null, new LeaseAttrs(IpAddress.parse(ip),
                d.ip6(), "bgp", d.toJson(), null), 0, 0);
    }

    @Test
    void dualStackPairsGetAnIpv6SessionBetweenTheirIpv6AddressesBesideTheIpv4One() throws Exception {
        BgpOptions o = BgpOptions.parse(new ObjectMapper().readTree("{\"KeepaliveSeconds\":5}"));
        Map<IpAddress, AgentConfig.Peer> p = BgpPeers.wanted(SELF, "n2", o, List.of(
                lease("192.168.1.1", new BgpLeaseData(Cidr.parse("192.168.1.1/24"), 64512, "n1", Cidr.parse("fd00:213::1/64"))),
                lease("192.168.1.3", new BgpLeaseData(Cidr.parse("192.168.1.3/24"), 64512, "n3", Cidr.parse("fd00:213::3/64"))),
                lease("192.168.1.4", new BgpLeaseData(Cidr.parse("192.168.1.4/24"), 64512, "n4")))); // IPv4 only
        assertEquals(List.of("192.168.1.1", "fd00:213::1", "192.168.1.3", "fd00:213::3", "192.168.1.4"),
                p.keySet().stream().map(IpAddress::toString).toList());
        AgentConfig.Peer v4 = p.get(IpAddress.parse("192.168.1.1"));
        assertEquals(List.of("ipv4"), v4.families(), "the IPv4 session carries IPv4 only, as before");
        assertEquals("192.168.1.2", v4.localAddress());
        AgentConfig.Peer low6 = p.get(IpAddress.parse("fd00:213::1"));
        assertEquals(List.of("ipv6"), low6.families());
        assertEquals("fd00:213::2", low6.localAddress(), "the session's own address is the IPv6 routes' next hop");
        assertFalse(low6.passive(), "the other side is lower: we connect");
        assertTrue(p.get(IpAddress.parse("fd00:213::3")).passive(), "we are lower: we wait");
        assertEquals(v4.holdTime(), low6.holdTime());
        assertEquals(v4.keepalive(), low6.keepalive());
        // an IPv4-only node gets exactly the IPv4 sessions, dual-stack leases or not
        Map<IpAddress, AgentConfig.Peer> only4 = BgpPeers.wanted(new BgpLeaseData(SELF.address(), 64512, "n2"), "n2", o, List.of(
                lease("192.168.1.1", new BgpLeaseData(Cidr.parse("192.168.1.1/24"), 64512, "n1", Cidr.parse("fd00:213::1/64")))));
        assertEquals(List.of("192.168.1.1"), only4.keySet().stream().map(IpAddress::toString).toList());
    }

    @Test
    void anIpv6ExternalPeerGetsASessionFromTheNodesIpv6Address() throws Exception {
        BgpOptions o = BgpOptions.parse(new ObjectMapper().readTree("""
                {"NodeMesh": false, "Peers": [{"PeerIP": "192.168.1.254", "ASNumber": 65001},
                                              {"PeerIP": "fd00:213::fe", "ASNumber": 65001, "Password": "k"}]}"""));
        Map<IpAddress, AgentConfig.Peer> p = BgpPeers.wanted(SELF, "n2", o, List.of());
        AgentConfig.Peer v6 = p.get(IpAddress.parse("fd00:213::fe"));
        assertEquals("fd00:213::2", v6.localAddress());
        assertEquals(List.of("ipv6"), v6.families());
        assertEquals("k", v6.password());
        assertEquals("192.168.1.2", p.get(IpAddress.parse("192.168.1.254")).localAddress());
        assertEquals(List.of(IpAddress.parse("192.168.1.254")), List.copyOf(BgpPeers.wanted(new BgpLeaseData(SELF.address(), 64512, "n2"),
                "n2", o, List.of()).keySet()), "an IPv4-only node has no IPv6 session");
        NetworkConfig v4only = NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"bgp\",\"Peers\":"
                + "[{\"PeerIP\":\"fd00:213::fe\",\"ASNumber\":65001}]}}");
        assertTrue(assertThrows(BackendException.class, () -> new BgpBackend(BackendContext.of(v4only,
                ExternalInterface.v4("eth0", 2, IpAddress.parse("192.168.1.2"), 1500)), new BgpSettings("n2", null, null)))
                .getMessage().contains("Backend.Peers[0].PeerIP: fd00:213::fe is IPv6; an IPv6 peer needs EnableIPv6"));
    }

    @Test
    void reflectorRolesHoldOnTheIpv6SessionsToo() throws Exception {
        BgpOptions o = BgpOptions.parse(new ObjectMapper().readTree("""
                {"NodeMesh": false, "RouteReflector": {"ClusterID": "244.0.0.1", "Nodes": ["n2"]}}"""));
        Map<IpAddress, AgentConfig.Peer> p = BgpPeers.wanted(SELF, "n2", o, List.of(
                lease("192.168.1.1", new BgpLeaseData(Cidr.parse("192.168.1.1/24"), 64512, "n1", Cidr.parse("fd00:213::1/64")))));
        assertTrue(p.get(IpAddress.parse("192.168.1.1")).rrClient());
        assertTrue(p.get(IpAddress.parse("fd00:213::1")).rrClient());
    }

    @Test
    void leaseDataCarriesTheIpv6AddressAndOldLeasesStillRead() {
        assertEquals("{\"IPv4Address\":\"192.168.1.2/24\",\"ASNumber\":64512,\"NodeName\":\"n2\",\"IPv6Address\":\"fd00:213::2/64\"}",
                SELF.toJson().toString());
        assertEquals(SELF, BgpLeaseData.of(lease("192.168.1.2", SELF)));
        assertNull(BgpLeaseData.of(lease("192.168.1.2", new BgpLeaseData(SELF.address(), 64512))).ip6());
        // the longest IPv6 form (49 characters, a dotted quad at its end) is within the bound
        String longest = "fd00:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128";
        assertEquals(49, longest.length());
        assertEquals(Cidr.parse(longest), BgpLeaseData.of(withIpv6Address("192.168.1.2", longest)).address6());
        assertNull(BgpLeaseData.address6Problem(withIpv6Address("192.168.1.2", longest)));
        // a bad IPv6 half is ignored, said why, and costs the node nothing on the IPv4 side
        for (String bad : List.of("192.168.1.2/24", "fd00::zz/64", "f" + longest, "::ffff:192.168.1.1/64", "fe80::2/64",
                "ff02::2/64", "::1/128", "::/0")) {
            Lease l = withIpv6Address("192.168.1.2", bad);
            BgpLeaseData d = BgpLeaseData.of(l);
            assertNull(d.ip6(), bad);
            assertEquals(IpAddress.parse("192.168.1.2"), d.ip(), bad);
            String problem = BgpLeaseData.address6Problem(l);
            assertTrue(problem != null && problem.contains("IPv6Address"), bad + ": " + problem);
        }
    }

    @Test
    void aNodeWithAnUnusableIpv6AddressKeepsItsIpv4SessionAndNoOtherSessionIsTouched() throws Exception {
        BgpOptions o = BgpOptions.parse(new ObjectMapper().readTree("{}"));
        // n1's IPv6Address maps n3's IPv4 address: it must neither add a second n3 session nor lose n1's own
        Map<IpAddress, AgentConfig.Peer> p = BgpPeers.wanted(SELF, "n2", o, List.of(
                withIpv6Address("192.168.1.1", "::ffff:192.168.1.3/64"),
                lease("192.168.1.3", new BgpLeaseData(Cidr.parse("192.168.1.3/24"), 64512, "n3", Cidr.parse("fd00:213::3/64")))));
        assertEquals(List.of("192.168.1.1", "192.168.1.3", "fd00:213::3"), p.values().stream().map(AgentConfig.Peer::address).toList());
        assertEquals(List.of("192.168.1.2", "192.168.1.2", "fd00:213::2"), p.values().stream().map(AgentConfig.Peer::localAddress)
                .toList());
    }

    @Test
    void anExternalIpv4PeerAtANodesAddressLeavesThatNodesIpv6SessionAlone() throws Exception {
        BgpOptions o = BgpOptions.parse(new ObjectMapper().readTree("""
                {"Peers": [{"PeerIP": "192.168.1.1", "ASNumber": 64600}]}"""));
        Map<IpAddress, AgentConfig.Peer> p = BgpPeers.wanted(SELF, "n2", o, List.of(
                lease("192.168.1.1", new BgpLeaseData(Cidr.parse("192.168.1.1/24"), 64512, "n1", Cidr.parse("fd00:213::1/64")))));
        assertEquals(64600L, p.get(IpAddress.parse("192.168.1.1")).as(), "the configured peer wins on IPv4");
        assertEquals(64512L, p.get(IpAddress.parse("fd00:213::1")).as(), "the node's IPv6 session is still there");
    }

    private static Lease withIpv6Address(String ip, String ipv6Address) {
        return new Lease(Cidr.parse("10.244.1.0/24"), null, new LeaseAttrs(IpAddress.parse(ip), null, "bgp",
                new ObjectMapper().createObjectNode().put("IPv4Address", ip + "/24").put("ASNumber", 64512)
                        .put("IPv6Address", ipv6Address), null), 0, 0);
    }

    static BackendContext ctx(String encap, ExternalInterface ext) {
        NetworkConfig cfg = NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"" + NET6
                + "\",\"Backend\":{\"Type\":\"bgp\",\"Encap\":\"" + encap + "\"}}");
        return BackendContext.of(cfg, ext);
    }

    @Test
    void whatCannotWorkIsRefusedBeforeAnythingIsMade() {
        ExternalInterface v4 = ExternalInterface.v4("eth0", 2, IpAddress.parse("192.168.1.2"), 1500);
        BgpSettings settings = new BgpSettings("n2", null, null);
        assertTrue(assertThrows(BackendException.class, () -> new BgpBackend(ctx("None", v4), settings)).getMessage()
                .contains("EnableIPv6 is set but interface eth0 has no global IPv6 address"));
        ExternalInterface dual = v4.withV6(IpAddress.parse("fd00:213::2"));
        assertTrue(assertThrows(BackendException.class, () -> new BgpBackend(ctx("VXLAN", dual), settings)).getMessage()
                .contains("EnableIPv6 with Encap VXLAN is not supported"));
        ExternalInterface natted = new ExternalInterface("eth0", 2, IpAddress.parse("192.168.1.2"), IpAddress.parse("192.168.1.2"), 1500,
                IpAddress.parse("fd00:213::2"), IpAddress.parse("2001:db8::2"));
        assertTrue(assertThrows(BackendException.class, () -> new BgpBackend(ctx("None", natted), settings)).getMessage()
                .contains("is not eth0's own address"));
        // None and IPIP (IPv6 native beside it) are taken
        new BgpBackend(ctx("None", dual), settings);
        new BgpBackend(ctx("IPIP", dual), settings);
    }
}
