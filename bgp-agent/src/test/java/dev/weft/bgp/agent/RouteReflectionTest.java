package dev.weft.bgp.agent;

import dev.weft.bgp.config.AgentConfig;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.Underlay;
import dev.weft.testkit.bgp.BgpLan;
import dev.weft.testkit.bgp.BirdConfig;
import dev.weft.testkit.bgp.BirdPeer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static dev.weft.bgp.agent.AgentNode.CONVERGE;
import static dev.weft.bgp.agent.AgentNode.awaitRoute;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Route reflection (RFC 4456) between the agent and BIRD 2, all iBGP in one AS on one LAN, routes
 * checked in the kernels: the agent as reflector for BIRD clients, BIRD as reflector for agent
 * clients, and two reflecting agents sharing a cluster id or not (calico#2735).
 *
 * <p>That a client drops a route carrying its own router id as ORIGINATOR_ID is proven at RIB
 * level ({@code ImportTest.ourOwnOriginatorIdIsDropped}): BIRD never reflects a route back to its
 * originator, so the lab cannot provoke it.
 */
@KernelTest
class RouteReflectionTest {
    static final long AS = 64512;

    @Test
    void agentReflectsBetweenTwoBirdClientsAddingOriginatorIdAndClusterList() {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node rr = lan.addSpeaker("rr");
            Underlay.Node b1 = lan.addSpeaker("c1");
            Underlay.Node b2 = lan.addSpeaker("c2");
            AgentConfig ac = withClusterId(AgentNode.config(rr, AS), "10.0.0.9")
                    .withPeers(List.of(AgentNode.peer(b1.address(), AS).withRrClient(true),
                            AgentNode.peer(b2.address(), AS).withRrClient(true)));
            try (AgentNode agent = AgentNode.inProcess(rr, ac);
                 BirdPeer c1 = BirdPeer.start(b1.netns(), RuntimePeersTest.bird(b1, rr, "10.244.2.0/26"));
                 BirdPeer c2 = BirdPeer.start(b2.netns(), RuntimePeersTest.bird(b2, rr, "10.244.3.0/26"))) {
                c1.waitEstablished("agent", CONVERGE);
                c2.waitEstablished("agent", CONVERGE);
                // the clients do not peer with each other: only reflection gets each the other's prefix,
                // next hop unchanged (the other client, on the same LAN)
                assertEquals(b2.address(), awaitRoute(() -> c1.routes(4), "10.244.3.0/26").gateway());
                assertEquals(b1.address(), awaitRoute(() -> c2.routes(4), "10.244.2.0/26").gateway());
                assertEquals(Map.of("BGP.originator_id", b2.address(), "BGP.cluster_list", "10.0.0.9"),
                        reflectionAttributes(c1, "10.244.3.0/26"));
                assertEquals(Map.of("BGP.originator_id", b1.address(), "BGP.cluster_list", "10.0.0.9"),
                        reflectionAttributes(c2, "10.244.2.0/26"));
                agent.awaitRoute(4, "10.244.2.0/26");
                agent.awaitRoute(4, "10.244.3.0/26");
            }
        }
    }

    @Test
    void birdReflectsBetweenTwoAgentClients() {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node r = lan.addSpeaker("rr");
            Underlay.Node a1 = lan.addSpeaker("a1");
            Underlay.Node a2 = lan.addSpeaker("a2");
            BirdConfig bc = BirdConfig.of(r.address(), AS)
                    .neighbour(AgentNode.birdNeighbour("a1", a1.address(), AS).rrClient("10.0.0.9"))
                    .neighbour(AgentNode.birdNeighbour("a2", a2.address(), AS).rrClient("10.0.0.9"));
            try (BirdPeer rr = BirdPeer.start(r.netns(), bc);
                 AgentNode n1 = AgentNode.inProcess(a1, agentClient(a1, r, "10.244.1.0/26"));
                 AgentNode n2 = AgentNode.inProcess(a2, agentClient(a2, r, "10.244.2.0/26"))) {
                rr.waitEstablished("a1", CONVERGE);
                rr.waitEstablished("a2", CONVERGE);
                assertEquals(a2.address(), n1.awaitRoute(4, "10.244.2.0/26").gateway());
                assertEquals(a1.address(), n2.awaitRoute(4, "10.244.1.0/26").gateway());
            }
        }
    }

    /**
     * calico#2735: RR1 and RR2 (agents, iBGP peers, not each other's clients) each with one BIRD
     * client. Sharing a cluster id, RR2 drops what RR1 reflects from its client (its own cluster id
     * is in CLUSTER_LIST), so the clients of different reflectors do NOT learn each other's
     * prefixes, while both learn what the reflectors originate themselves. With distinct cluster
     * ids they DO learn each other's prefixes, CLUSTER_LIST carrying both ids.
     */
    @ParameterizedTest(name = "same cluster id: {0}")
    @ValueSource(booleans = {true, false})
    void clientsOfTwoReflectorsLearnEachOthersRoutesOnlyWhenTheClusterIdsDiffer(boolean sameClusterId) {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node r1 = lan.addSpeaker("rr1");
            Underlay.Node r2 = lan.addSpeaker("rr2");
            Underlay.Node b1 = lan.addSpeaker("c1");
            Underlay.Node b2 = lan.addSpeaker("c2");
            String cluster1 = "10.0.0.1";
            String cluster2 = sameClusterId ? cluster1 : "10.0.0.2";
            try (AgentNode rr1 = AgentNode.inProcess(r1, reflector(r1, cluster1, "10.244.11.0/26", r2, b1));
                 AgentNode rr2 = AgentNode.inProcess(r2, reflector(r2, cluster2, "10.244.12.0/26", r1, b2));
                 BirdPeer c1 = BirdPeer.start(b1.netns(), RuntimePeersTest.bird(b1, r1, "10.244.3.0/26"));
                 BirdPeer c2 = BirdPeer.start(b2.netns(), RuntimePeersTest.bird(b2, r2, "10.244.4.0/26"))) {
                c1.waitEstablished("agent", CONVERGE);
                c2.waitEstablished("agent", CONVERGE);
                // the reflectors' own prefixes reach the other reflector's client either way
                awaitRoute(() -> c2.routes(4), "10.244.11.0/26");
                awaitRoute(() -> c1.routes(4), "10.244.12.0/26");
                rr1.awaitRoute(4, "10.244.3.0/26");
                rr2.awaitRoute(4, "10.244.4.0/26");
                if (sameClusterId) {
                    // what RR1 reflected from c1 went out with the routes above; give it a moment more
                    GracefulRestartTrafficTest.sleep(3000);
                    assertAbsent(c2, "10.244.3.0/26");
                    assertAbsent(c1, "10.244.4.0/26");
                    assertFalse(rr2.kernelRoutes(4).stream().anyMatch(x -> "10.244.3.0/26".equals(x.dst())),
                            "RR2 must drop a route carrying its own cluster id");
                } else {
                    assertEquals(b1.address(), awaitRoute(() -> c2.routes(4), "10.244.3.0/26").gateway());
                    assertEquals(b2.address(), awaitRoute(() -> c1.routes(4), "10.244.4.0/26").gateway());
                    assertEquals(Map.of("BGP.originator_id", b1.address(), "BGP.cluster_list", cluster2 + " " + cluster1),
                            reflectionAttributes(c2, "10.244.3.0/26"));
                }
            }
        }
    }

    /** A reflecting agent: its own prefix, a plain iBGP peer (the other reflector) and one client. */
    private static AgentConfig reflector(Underlay.Node self, String clusterId, String prefix, Underlay.Node otherRr,
                                         Underlay.Node client) {
        return withClusterId(AgentNode.config(self, AS), clusterId)
                .withOriginate(List.of(new AgentConfig.Originate(prefix, true)))
                .withPeers(List.of(AgentNode.peer(otherRr.address(), AS),
                        AgentNode.peer(client.address(), AS).withRrClient(true)));
    }

    private static AgentConfig agentClient(Underlay.Node self, Underlay.Node rr, String prefix) {
        return AgentNode.config(self, AS)
                .withOriginate(List.of(new AgentConfig.Originate(prefix, true)))
                .withPeers(List.of(AgentNode.peer(rr.address(), AS)));
    }

    static AgentConfig withClusterId(AgentConfig c, String clusterId) {
        return new AgentConfig(c.routerId(), c.localAs(), c.listen(), c.gracefulRestart(), c.ecmp(), clusterId,
                c.localPref(), c.originate(), c.fib(), c.peers(), c.status());
    }

    private static void assertAbsent(BirdPeer bird, String prefix) {
        assertFalse(bird.routes(4).stream().anyMatch(r -> prefix.equals(r.dst())), prefix + " in " + bird.routes(4));
        assertFalse(bird.birdc("show", "route", prefix).stdout().contains(prefix), prefix + " in BIRD's table");
    }

    /**
     * BGP.originator_id and BGP.cluster_list of a prefix from {@code birdc show route all}, read
     * line by line from a bounded head of the output.
     */
    static Map<String, String> reflectionAttributes(BirdPeer bird, String prefix) {
        String out = bird.birdc("show", "route", "all", prefix).orThrow().stdout();
        String head = out.length() > 8000 ? out.substring(0, 8000) : out;
        Map<String, String> attrs = new java.util.TreeMap<>();
        for (String line : head.split("\n")) {
            String l = line.strip();
            int colon = l.indexOf(':');
            if (colon > 0 && (l.startsWith("BGP.originator_id") || l.startsWith("BGP.cluster_list"))) {
                attrs.put(l.substring(0, colon), l.substring(colon + 1).strip());
            }
        }
        return attrs;
    }
}
