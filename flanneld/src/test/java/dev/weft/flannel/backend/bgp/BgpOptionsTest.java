package dev.weft.flannel.backend.bgp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.flannel.backend.BackendException;
import dev.weft.net.IpAddress;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The bgp Backend object of net-conf: Calico's defaults, case-insensitive keys, errors naming the field. */
class BgpOptionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static BgpOptions parse(String json) throws Exception {
        return BgpOptions.parse(JSON.readTree(json));
    }

    private static String error(String json) throws Exception {
        JsonNode n = JSON.readTree(json);
        return assertThrows(BackendException.class, () -> BgpOptions.parse(n)).getMessage();
    }

    @Test
    void defaultsFollowCalico() throws Exception {
        BgpOptions o = parse("{\"Type\":\"bgp\"}");
        assertEquals(64512, o.asNumber());
        assertTrue(o.nodeMesh());
        assertEquals(Encap.NONE, o.encap());
        assertFalse(o.crossSubnet());
        assertEquals(List.of(), o.peers());
        assertNull(o.routeReflector());
        assertEquals(179, o.listenPort());
        assertEquals(120, o.gracefulRestartSeconds());
        assertEquals(20, o.keepaliveSeconds());
        assertEquals(60, o.holdSeconds());
        assertEquals(o, BgpOptions.parse(null));
    }

    @Test
    void theIssuesExampleParsesWithKeysInAnyCase() throws Exception {
        BgpOptions o = parse("""
                {"type": "bgp", "asnumber": 64513, "NODEMESH": false, "encap": "ipip", "crosssubnet": true,
                 "Peers": [{"PeerIP": "192.0.2.1", "ASNumber": 65001, "Password": "s3cret", "NodeSelector": "name in {'node-a', 'node-b'}"},
                           {"peerip": "192.0.2.2", "asnumber": 65002}],
                 "RouteReflector": {"ClusterID": "244.0.0.1", "Nodes": ["node-a"]},
                 "ListenPort": 1179, "GracefulRestartSeconds": 0, "KeepaliveSeconds": 3}""");
        assertEquals(64513, o.asNumber());
        assertFalse(o.nodeMesh());
        assertEquals(Encap.IPIP, o.encap());
        assertTrue(o.crossSubnet());
        assertEquals(2, o.peers().size());
        BgpOptions.ExternalPeer p = o.peers().get(0);
        assertEquals(IpAddress.parse("192.0.2.1"), p.ip());
        assertEquals(65001, p.asNumber());
        assertEquals("s3cret", p.password());
        assertTrue(p.selector().matches("node-b"));
        assertFalse(p.selector().matches("node-c"));
        assertTrue(o.peers().get(1).selector().matches("anything"));
        assertEquals(IpAddress.parse("244.0.0.1"), o.routeReflector().clusterId());
        assertEquals(List.of("node-a"), o.routeReflector().nodes());
        assertEquals(1179, o.listenPort());
        assertEquals(0, o.gracefulRestartSeconds());
        assertEquals(9, o.holdSeconds());
        assertEquals(Encap.VXLAN, parse("{\"Encap\":\"VXLAN\"}").encap());
        assertEquals(Encap.NONE, parse("{\"Encap\":\"none\"}").encap());
    }

    @Test
    void badInputNamesTheField() throws Exception {
        assertTrue(error("{\"Encap\":\"GRE\"}").startsWith("Backend.Encap: \"GRE\" is not None, IPIP or VXLAN"));
        assertTrue(error("{\"Encap\":1}").startsWith("Backend.Encap: must be a string"));
        assertTrue(error("{\"ASNumber\":0}").startsWith("Backend.ASNumber: "));
        assertTrue(error("{\"ASNumber\":4294967296}").startsWith("Backend.ASNumber: "));
        assertTrue(error("{\"ASNumber\":\"64512\"}").startsWith("Backend.ASNumber: "));
        assertTrue(error("{\"NodeMesh\":\"yes\"}").startsWith("Backend.NodeMesh: must be a boolean"));
        assertTrue(error("{\"Peers\":[{\"PeerIP\":\"192.0.2.300\",\"ASNumber\":65001}]}").startsWith("Backend.Peers[0].PeerIP: "));
        assertTrue(error("{\"Peers\":[{\"PeerIP\":\"tor-1\",\"ASNumber\":65001}]}").startsWith("Backend.Peers[0].PeerIP: \"tor-1\" is not an IP address"));
        assertTrue(error("{\"Peers\":[{\"ASNumber\":65001}]}").startsWith("Backend.Peers[0].PeerIP: required"));
        assertTrue(error("{\"Peers\":[{\"PeerIP\":\"192.0.2.1\"}]}").startsWith("Backend.Peers[0].ASNumber: required"));
        assertTrue(error("{\"Peers\":[{\"PeerIP\":\"192.0.2.1\",\"ASNumber\":0}]}").startsWith("Backend.Peers[0].ASNumber: "));
        assertTrue(error("{\"Peers\":[{\"PeerIP\":\"192.0.2.1\",\"ASNumber\":1},{\"PeerIP\":\"192.0.2.1\",\"ASNumber\":2}]}")
                .startsWith("Backend.Peers[1].PeerIP: 192.0.2.1 is listed twice"));
        assertTrue(error("{\"Peers\":[{\"PeerIP\":\"192.0.2.1\",\"ASNumber\":1,\"Password\":\"" + "x".repeat(81) + "\"}]}")
                .startsWith("Backend.Peers[0].Password: "));
        assertTrue(error("{\"Peers\":[{\"PeerIP\":\"192.0.2.1\",\"ASNumber\":1,\"NodeSelector\":\"rack == 'a'\"}]}")
                .startsWith("Backend.Peers[0].NodeSelector: "));
        assertTrue(error("{\"Peers\":{}}").startsWith("Backend.Peers: must be an array"));
        for (String id : List.of("244.1", "fd00::1", "0.0.0.0", "244.0.0.256", "1.2.3.4.5", "244.0.0.1 ")) {
            assertTrue(error("{\"RouteReflector\":{\"ClusterID\":\"" + id + "\",\"Nodes\":[\"a\"]}}")
                    .startsWith("Backend.RouteReflector.ClusterID: "), id);
        }
        assertTrue(error("{\"RouteReflector\":{\"ClusterID\":\"244.0.0.1\"}}").startsWith("Backend.RouteReflector.Nodes: "));
        assertTrue(error("{\"ListenPort\":0}").startsWith("Backend.ListenPort: "));
        assertTrue(error("{\"GracefulRestartSeconds\":4096}").startsWith("Backend.GracefulRestartSeconds: "));
        assertTrue(error("{\"KeepaliveSeconds\":0}").startsWith("Backend.KeepaliveSeconds: "));
        assertTrue(error("{\"CrossSubnet\":true}").startsWith("Backend.CrossSubnet: "));
        assertTrue(error("{\"NodeMesh\":false}").startsWith("Backend.NodeMesh: "));
        assertTrue(error("[]").contains("expected an object"));
    }

    @Test
    void selectorsAreAllOrNodeNames() {
        assertTrue(NodeSelector.parse("", "f").matches("x"));
        assertTrue(NodeSelector.parse(" all() ", "f").matches("x"));
        assertEquals(Set.of("a"), NodeSelector.parse("name == 'a'", "f").names());
        assertEquals(Set.of("a", "b"), NodeSelector.parse("name in {\"a\", 'b'}", "f").names());
        assertThrows(BackendException.class, () -> NodeSelector.parse("name in {'a'", "f"));
        assertThrows(BackendException.class, () -> NodeSelector.parse("name == ''", "f"));
        assertThrows(BackendException.class, () -> NodeSelector.parse("x".repeat(NodeSelector.MAX_LENGTH + 1), "f"));
    }
}
