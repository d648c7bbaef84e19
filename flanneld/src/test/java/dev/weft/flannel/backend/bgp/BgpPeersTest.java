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

    @Test
    void leaseDataRoundTripsAndBadDataIsNamed() {
        Lease l = lease("10.244.1.0/24", "192.168.1.1/24", 65000);
        assertEquals(new BgpLeaseData(Cidr.parse("192.168.1.1/24"), 65000), BgpLeaseData.of(l));
        assertEquals("{\"IPv4Address\":\"192.168.1.1/24\",\"ASNumber\":65000}", l.attrs().backendData().toString());
        ObjectMapper m = new ObjectMapper();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BgpLeaseData.of(lease("10.244.1.0/24", "192.168.1.1", null)))
                .getMessage().contains("BackendData is missing"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BgpLeaseData.of(lease("10.244.1.0/24", "192.168.1.1",
                m.createObjectNode().put("IPv4Address", "fd00::1/64").put("ASNumber", 1)))).getMessage().contains("IPv4Address"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BgpLeaseData.of(lease("10.244.1.0/24", "192.168.1.1",
                m.createObjectNode().put("IPv4Address", "192.168.1.1/24").put("ASNumber", 0)))).getMessage().contains("ASNumber"));
    }
}
