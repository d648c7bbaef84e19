package dev.weft.bgp.agent;

import dev.weft.bgp.config.AgentConfig;
import dev.weft.net.Cidr;
import dev.weft.bgp.fsm.SessionState;
import dev.weft.bgp.status.PeerView;
import dev.weft.bgp.wire.Family;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.Underlay;
import dev.weft.testkit.bgp.BgpLan;
import dev.weft.testkit.bgp.BirdConfig;
import dev.weft.testkit.bgp.BirdPeer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;
import java.util.List;

import static dev.weft.bgp.agent.AgentNode.CONVERGE;
import static dev.weft.bgp.agent.AgentNode.awaitAbsent;
import static dev.weft.bgp.agent.AgentNode.awaitRoute;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent against BIRD 2 over iBGP and eBGP, IPv4 and IPv6 sessions, routes checked in both kernels. */
@KernelTest
class BirdInteropTest {
    static final long AGENT_AS = 64512;

    @ParameterizedTest(name = "bird AS {0}")
    @ValueSource(longs = {AGENT_AS, 64513})
    void routesFlowBothWaysAndSurviveResetsOnEitherSide(long birdAs) {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node a = lan.addSpeaker("agent");
            Underlay.Node b = lan.addSpeaker("bird");
            BirdConfig bc = BirdConfig.of(b.address(), birdAs).localV6(b.address6())
                    .neighbour(birdNeighbour("a4", a.address()))
                    .neighbour(birdNeighbour("a6", a.address6()))
                    .staticRoute("10.244.2.0/26").staticRoute("fd00:244:2::/64");
            AgentConfig ac = AgentNode.config(a, AGENT_AS)
                    .withOriginate(List.of(new AgentConfig.Originate("10.244.1.0/26", true),
                            new AgentConfig.Originate("fd00:244:1::/64", false)))
                    .withPeers(List.of(AgentNode.peer(b.address(), birdAs), AgentNode.peer(b.address6(), birdAs)))
                    .withStatus(new AgentConfig.Status(null, null, AgentNode.tempSocket("status")));
            try (BirdPeer bird = BirdPeer.start(b.netns(), bc); AgentNode agent = AgentNode.inProcess(a, ac)) {
                bird.waitEstablished("a4", CONVERGE);
                bird.waitEstablished("a6", CONVERGE);

                // BIRD's statics in the agent's kernel, proto weft-bgp via BIRD
                RouteInfo v4 = agent.awaitRoute(4, "10.244.2.0/26");
                assertEquals(b.address(), v4.gateway());
                assertEquals("eth0", v4.dev());
                assertEquals(b.address6(), agent.awaitRoute(6, "fd00:244:2::/64").gateway());
                // our originated prefixes in BIRD's kernel via us; the IPv4 one blackholed locally
                assertEquals(a.address(), awaitRoute(() -> bird.routes(4), "10.244.1.0/26").gateway());
                assertEquals(a.address6(), awaitRoute(() -> bird.routes(6), "fd00:244:1::/64").gateway());
                assertEquals("blackhole", agent.awaitRoute(4, "10.244.1.0/26").type());

                // withdrawals both ways
                bird.removeStatic("10.244.2.0/26");
                bird.addStatic("10.244.3.0/26");
                agent.awaitRoute(4, "10.244.3.0/26");
                agent.awaitNoRoute(4, "10.244.2.0/26");
                agent.agent().withdraw(Cidr.parse("fd00:244:1::/64")).join();
                awaitAbsent(() -> bird.routes(6), "fd00:244:1::/64");
                agent.agent().originate(Cidr.parse("fd00:244:1::/64"), false).join();
                awaitRoute(() -> bird.routes(6), "fd00:244:1::/64");

                // BIRD resets the session (Cease/4): a new session, routes back
                Instant before = bird.waitEstablished("a4", CONVERGE);
                bird.restart("a4");
                Instant after = AgentNode.await(() -> {
                    Instant t = bird.protocol("a4").established() ? bird.waitEstablished("a4", CONVERGE) : null;
                    return t != null && !t.equals(before) ? t : null;
                }, "a new session after birdc restart");
                agent.awaitRoute(4, "10.244.3.0/26");
                awaitRoute(() -> bird.routes(4), "10.244.1.0/26");

                // the agent resets it
                agent.agent().resetPeer(dev.weft.net.IpAddress.parse(b.address()));
                Instant third = AgentNode.await(() -> {
                    Instant t = bird.protocol("a4").established() ? bird.waitEstablished("a4", CONVERGE) : null;
                    return t != null && !t.equals(after) ? t : null;
                }, "a new session after the agent's reset");
                assertNotEquals(after, third);
                agent.awaitRoute(4, "10.244.3.0/26");
                awaitRoute(() -> bird.routes(4), "10.244.1.0/26");
                assertEquals(2, agent.agent().status().peers().size());

                // the status source weftctl reads, in process and over the socket
                PeerView p4 = agent.agent().peers().toCompletableFuture().join().stream()
                        .filter(p -> p.address().equals(b.address())).findFirst().orElseThrow();
                assertEquals(SessionState.ESTABLISHED, p4.state());
                assertEquals(birdAs == AGENT_AS ? PeerView.PeerType.IBGP : PeerView.PeerType.EBGP, p4.type());
                assertEquals(1, p4.prefixes().get(Family.IPV4_UNICAST).accepted());
                assertTrue(p4.flaps() >= 2, "two resets: " + p4.flaps());
                // the v6 session was never reset: one OPEN each way, KEEPALIVEs counted by type, none late
                PeerView p6 = agent.agent().peers().toCompletableFuture().join().stream()
                        .filter(p -> p.address().equals(b.address6())).findFirst().orElseThrow();
                // one OPEN each way, or two when both sides connected at once at the start (a
                // collision: each connection carries its OPEN before one of them is closed)
                assertTrue(p6.messagesIn().open() >= 1 && p6.messagesIn().open() <= 2, p6.messagesIn().toString());
                assertTrue(p6.messagesOut().open() >= 1 && p6.messagesOut().open() <= 2, p6.messagesOut().toString());
                assertEquals(0, p6.flaps(), "the v6 session never went down: " + p6);
                assertTrue(p6.messagesIn().keepalive() > 0 && p6.messagesOut().keepalive() > 0, p6.toString());
                assertTrue(p6.messagesIn().update() > 0 && p6.messagesOut().update() > 0, p6.toString());
                assertEquals(0, p6.keepalives().late(), p6.keepalives().toString());
                assertEquals(1, p6.prefixes().get(Family.IPV6_UNICAST).advertised(), p6.prefixes().toString());
                assertEquals(1, p4.prefixes().get(Family.IPV4_UNICAST).advertised(), p4.prefixes().toString());
                assertTrue(p4.messagesOut().open() >= 3, "three sessions: " + p4.messagesOut());
                String json = Cmd.run("curl", "-sS", "--unix-socket", ac.status().socket(),
                        "http://agent/bgp/routes?family=ipv4").stdout();
                assertTrue(json.contains("10.244.3.0/26") && json.contains("10.244.1.0/26"), json);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void equalPathsFromTwoPeersBecomeOneMultipathRouteWithEcmp() {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node a = lan.addSpeaker("agent");
            Underlay.Node b1 = lan.addSpeaker("b1");
            Underlay.Node b2 = lan.addSpeaker("b2");
            AgentConfig ac = AgentNode.config(a, AGENT_AS).withEcmp(true)
                    .withPeers(List.of(AgentNode.peer(b1.address(), AGENT_AS), AgentNode.peer(b2.address(), AGENT_AS)));
            try (BirdPeer one = BirdPeer.start(b1.netns(), RuntimePeersTest.bird(b1, a, "10.244.9.0/26"));
                 BirdPeer two = BirdPeer.start(b2.netns(), RuntimePeersTest.bird(b2, a, "10.244.9.0/26"));
                 AgentNode agent = AgentNode.inProcess(a, ac)) {
                RouteInfo r = AgentNode.await(() -> {
                    RouteInfo now = agent.kernelRoutes(4).stream().filter(x -> "10.244.9.0/26".equals(x.dst())).findFirst().orElse(null);
                    return now != null && now.nexthops().size() == 2 ? now : null;
                }, "a multipath route over both BIRDs");
                List<String> gws = new java.util.ArrayList<>();
                r.nexthops().forEach(h -> gws.add(h.path("gateway").asText()));
                assertEquals(java.util.Set.of(b1.address(), b2.address()), java.util.Set.copyOf(gws));

                two.stop(); // one path left: a plain route via b1
                AgentNode.await(() -> {
                    RouteInfo now = agent.kernelRoutes(4).stream().filter(x -> "10.244.9.0/26".equals(x.dst())).findFirst().orElse(null);
                    return now != null && b1.address().equals(now.gateway()) ? now : null;
                }, "a plain route via b1");
            }
        }
    }

    private static BirdConfig.Neighbour birdNeighbour(String name, String agentAddress) {
        return AgentNode.birdNeighbour(name, agentAddress, AGENT_AS);
    }
}
