package dev.weft.flannel.backend.bgp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.bgp.config.AgentConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sessions a node wants, from the leases and the options; the BackendData they are read from. */
class BgpPeersTest {
    static final BgpLeaseData SELF = new BgpLeaseData(Cidr.parse("192.168.1.2/24"), 64512);

    static Lease lease(String subnet, String ip, ObjectNode data) {
        return new Lease(Cidr.parse(subnet), null, new LeaseAttrs(IpAddress.parse(ip), null, "bgp", data, null), 0, 0);
    }

    static Lease lease(String subnet, String address, long as) {
        return lease(subnet, address.substring(0, address.indexOf('/')), new BgpLeaseData(Cidr.parse(address), as).toJson());
    }

    @Test
    void everyOtherLeaseIsAMeshPeerAndTheLowerAddressIsPassive() throws Exception {
        BgpOptions o = BgpOptions.parse(new ObjectMapper().readTree("{\"KeepaliveSeconds\":5}"));
        Map<IpAddress, AgentConfig.Peer> p = BgpPeers.wanted(SELF, "me", o, List.of(
                lease("10.244.1.0/24", "192.168.1.1/24", 64512),
                lease("10.244.3.0/24", "192.168.2.3/24", 64513),
                lease("10.244.4.0/24", "192.168.1.4", new ObjectMapper().createObjectNode().put("IPv4Address", "x")),
                lease("10.244.2.0/24", "192.168.1.2/24", 64512)));
        assertEquals(2, p.size(), p.toString());
        AgentConfig.Peer low = p.get(IpAddress.parse("192.168.1.1"));
        assertFalse(low.passive(), "the other side is lower: it is passive, we connect");
        assertEquals(64512, low.as());
        assertEquals(15, low.holdTime());
        assertEquals(5, low.keepalive());
        assertEquals("192.168.1.2", low.localAddress());
        AgentConfig.Peer high = p.get(IpAddress.parse("192.168.2.3"));
        assertTrue(high.passive(), "we are lower: we wait");
        assertEquals(64513, high.as());
    }

    @Test
    void externalPeersFollowTheirSelectorAndWithoutTheMeshAreAllThereIs() throws Exception {
        BgpOptions o = BgpOptions.parse(new ObjectMapper().readTree("""
                {"NodeMesh": false, "Peers": [{"PeerIP": "192.168.1.254", "ASNumber": 65001, "Password": "k"},
                                              {"PeerIP": "192.168.1.253", "ASNumber": 65002, "NodeSelector": "name == 'other'"}]}"""));
        Map<IpAddress, AgentConfig.Peer> p = BgpPeers.wanted(SELF, "me", o, List.of(lease("10.244.1.0/24", "192.168.1.1/24", 64512)));
        assertEquals(List.of(IpAddress.parse("192.168.1.254")), List.copyOf(p.keySet()));
        assertEquals("k", p.get(IpAddress.parse("192.168.1.254")).password());
        assertEquals(65001, p.get(IpAddress.parse("192.168.1.254")).as());
    }

    static Lease named(String subnet, String address, long as, String name) {
        return lease(subnet, address.substring(0, address.indexOf('/')), new BgpLeaseData(Cidr.parse(address), as, name).toJson());
    }

    @Test
    void reflectorsPeerWithEveryoneAndClientsOnlyWithReflectors() throws Exception {
        BgpOptions o = BgpOptions.parse(new ObjectMapper().readTree("""
                {"NodeMesh": false, "RouteReflector": {"ClusterID": "244.0.0.1", "Nodes": ["rr1", "rr2"]}}"""));
        List<Lease> leases = List.of(
                named("10.244.1.0/24", "192.168.1.1/24", 64512, "rr1"),
                named("10.244.3.0/24", "192.168.1.3/24", 64512, "rr2"),
                named("10.244.4.0/24", "192.168.1.4/24", 64512, "c4"),
                lease("10.244.5.0/24", "192.168.1.5/24", 64512), // an old lease without NodeName: a client
                named("10.244.6.0/24", "192.168.1.6/24", 64999, "c6"));
        // A client: only the reflectors, none of them a client of ours.
        Map<IpAddress, AgentConfig.Peer> c = BgpPeers.wanted(SELF, "c2", o, leases);
        assertEquals(List.of(IpAddress.parse("192.168.1.1"), IpAddress.parse("192.168.1.3")), List.copyOf(c.keySet()));
        assertTrue(c.values().stream().noneMatch(AgentConfig.Peer::rrClient));
        assertFalse(c.get(IpAddress.parse("192.168.1.1")).passive());
        assertTrue(c.get(IpAddress.parse("192.168.1.3")).passive(), "the lower address waits, as in the mesh");
        // A reflector: everyone; the other reflector is no client, nor is an eBGP neighbour.
        Map<IpAddress, AgentConfig.Peer> r = BgpPeers.wanted(SELF, "rr2", o, leases);
        assertEquals(5, r.size(), r.toString());
        assertFalse(r.get(IpAddress.parse("192.168.1.1")).rrClient());
        assertFalse(r.get(IpAddress.parse("192.168.1.3")).rrClient());
        assertTrue(r.get(IpAddress.parse("192.168.1.4")).rrClient());
        assertTrue(r.get(IpAddress.parse("192.168.1.5")).rrClient());
        assertFalse(r.get(IpAddress.parse("192.168.1.6")).rrClient(), "RFC 4456 reflects iBGP only");
        // With the mesh on as well, clients also mesh among themselves (Calico's RR nodes stay out of the mesh).
        BgpOptions mesh = BgpOptions.parse(new ObjectMapper().readTree("""
                {"RouteReflector": {"ClusterID": "244.0.0.1", "Nodes": ["rr1"]}}"""));
        Map<IpAddress, AgentConfig.Peer> m = BgpPeers.wanted(SELF, "c2", mesh, leases);
        assertEquals(5, m.size());
        assertTrue(m.values().stream().noneMatch(AgentConfig.Peer::rrClient));
    }

    @Test
    void leaseDataRoundTripsAndBadDataIsNamed() {
        Lease l = lease("10.244.1.0/24", "192.168.1.1/24", 65000);
        assertEquals(new BgpLeaseData(Cidr.parse("192.168.1.1/24"), 65000), BgpLeaseData.of(l));
        assertEquals("{\"IPv4Address\":\"192.168.1.1/24\",\"ASNumber\":65000}", l.attrs().backendData().toString());
        Lease withName = named("10.244.1.0/24", "192.168.1.1/24", 65000, "node-a");
        assertEquals("{\"IPv4Address\":\"192.168.1.1/24\",\"ASNumber\":65000,\"NodeName\":\"node-a\"}",
                withName.attrs().backendData().toString());
        assertEquals("node-a", BgpLeaseData.of(withName).nodeName());
        ObjectMapper m = new ObjectMapper();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BgpLeaseData.of(lease("10.244.1.0/24", "192.168.1.1",
                m.createObjectNode().put("IPv4Address", "192.168.1.1/24").put("ASNumber", 1).put("NodeName", ""))))
                .getMessage().contains("NodeName"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BgpLeaseData.of(lease("10.244.1.0/24", "192.168.1.1", null)))
                .getMessage().contains("BackendData is missing"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BgpLeaseData.of(lease("10.244.1.0/24", "192.168.1.1",
                m.createObjectNode().put("IPv4Address", "fd00::1/64").put("ASNumber", 1)))).getMessage().contains("IPv4Address"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BgpLeaseData.of(lease("10.244.1.0/24", "192.168.1.1",
                m.createObjectNode().put("IPv4Address", "192.168.1.1/24").put("ASNumber", 0)))).getMessage().contains("ASNumber"));
    }
}
