package dev.weft.bgp.agent;

import dev.weft.bgp.config.AgentConfig;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.Underlay;
import dev.weft.testkit.bgp.BgpLan;
import dev.weft.testkit.bgp.BirdConfig;
import dev.weft.testkit.bgp.BirdPeer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.weft.bgp.agent.AgentNode.CONVERGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * weft-bgp as an operator runs it ({@code ip netns exec NODE weft-bgp --config FILE}): graceful
 * restart as the restarting speaker across kill -9, then SIGTERM (SIGHUP: {@link RuntimePeersTest}).
 */
@KernelTest
class LauncherTest {
    static final long AS = 64512;

    @Test
    void killedAgentKeepsItsRoutesAndAfterRestartRemovesOnlyThoseNoLongerAnnounced() throws Exception {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node a = lan.addSpeaker("agent");
            Underlay.Node b = lan.addSpeaker("bird");
            BirdConfig bc = BirdConfig.of(b.address(), AS)
                    .neighbour(AgentNode.birdNeighbour("agent", a.address(), AS).gracefulRestart())
                    .staticRoute("10.244.2.0/26").staticRoute("10.244.3.0/26");
            AgentConfig ac = AgentNode.config(a, AS)
                    .withOriginate(List.of(new AgentConfig.Originate("10.244.1.0/26", true)))
                    .withPeers(List.of(AgentNode.peer(b.address(), AS)));
            try (BirdPeer bird = BirdPeer.start(b.netns(), bc); AgentNode agent = AgentNode.launch(a, ac)) {
                bird.waitEstablished("agent", CONVERGE);
                agent.awaitRoute(4, "10.244.2.0/26");
                agent.awaitRoute(4, "10.244.3.0/26");
                agent.awaitRoute(4, "10.244.1.0/26");
                String first = neighbourCaps(bird);
                assertTrue(first.contains("Graceful restart") && !first.contains("Restart recovery")
                        && !first.contains("AF preserved: ipv4"), "first start: GR without R or F bits\n" + first);

                agent.kill9();
                assertRoutes(agent, "10.244.1.0/26", "10.244.2.0/26", "10.244.3.0/26");
                bird.removeStatic("10.244.3.0/26"); // no longer announced when the agent comes back

                // a start that dies before any End-of-RIB must not lose the adopted routes either
                bird.disable("agent");
                agent.restart();
                agent.kill9();
                assertRoutes(agent, "10.244.1.0/26", "10.244.2.0/26", "10.244.3.0/26");
                bird.enable("agent");

                agent.restart();
                bird.waitEstablished("agent", CONVERGE);
                String again = neighbourCaps(bird);
                assertTrue(again.contains("Restart recovery") && again.contains("AF preserved: ipv4"),
                        "after the restart: R bit and F bit for IPv4\n" + again);
                // Until BIRD's End-of-RIB the adopted routes all stay; then only 10.244.3.0/26 goes,
                // and the others are never missing on the way.
                AgentNode.await(() -> {
                    List<RouteInfo> now = agent.kernelRoutes(4);
                    assertTrue(has(now, "10.244.2.0/26") && has(now, "10.244.1.0/26"), "a re-announced route went: " + now);
                    return has(now, "10.244.3.0/26") ? null : Boolean.TRUE;
                }, "the route BIRD no longer announces to be swept");
                assertTrue(agent.log().contains("restarted with routes of the previous run"), agent.log());
                // logged once the sweep is done, so it can reach the log just after the route went
                AgentNode.await(() -> agent.log().contains("every peer sent End-of-RIB") ? Boolean.TRUE : null, "End-of-RIB from every peer logged");
                assertEquals("blackhole", agent.awaitRoute(4, "10.244.1.0/26").type());
                assertEquals(b.address(), agent.awaitRoute(4, "10.244.2.0/26").gateway());

                // SIGTERM: Cease/2 to BIRD, the process ends with 0, the routes stay (GR is on)
                agent.process().stop(java.time.Duration.ofSeconds(15));
                assertEquals(0, agent.process().waitFor(java.time.Duration.ofSeconds(1)));
                assertRoutes(agent, "10.244.1.0/26", "10.244.2.0/26");
                // BIRD's last error is soon its own reconnect attempt; its log keeps what it received
                AgentNode.await(() -> bird.logTail().contains("Received: Administrative shutdown") ? Boolean.TRUE : null,
                        "BIRD to log Cease/2 received");
            }
        }
    }

    @Test
    void withoutGracefulRestartAdoptedRoutesStillWaitForThePeersEndOfRib() {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node a = lan.addSpeaker("agent");
            Underlay.Node b = lan.addSpeaker("bird");
            BirdConfig bc = BirdConfig.of(b.address(), AS).neighbour(AgentNode.birdNeighbour("agent", a.address(), AS))
                    .staticRoute("10.244.2.0/26").staticRoute("10.244.3.0/26");
            AgentConfig ac = AgentNode.config(a, AS).withGracefulRestart(AgentConfig.GracefulRestart.of(false, 30, 20))
                    .withPeers(List.of(AgentNode.peer(b.address(), AS)));
            try (BirdPeer bird = BirdPeer.start(b.netns(), bc); AgentNode agent = AgentNode.launch(a, ac)) {
                agent.awaitRoute(4, "10.244.2.0/26");
                agent.awaitRoute(4, "10.244.3.0/26");
                agent.kill9();
                bird.removeStatic("10.244.3.0/26");
                agent.restart();
                AgentNode.await(() -> {
                    List<RouteInfo> now = agent.kernelRoutes(4);
                    assertTrue(has(now, "10.244.2.0/26"), "a re-announced route went: " + now);
                    return has(now, "10.244.3.0/26") ? null : Boolean.TRUE;
                }, "the route BIRD no longer announces to be swept");
                // logged once the sweep is done, so it can reach the log just after the route went
                AgentNode.await(() -> agent.log().contains("every peer sent End-of-RIB") ? Boolean.TRUE : null, "End-of-RIB from every peer logged");
                assertTrue(!neighbourCaps(bird).contains("Graceful restart"), neighbourCaps(bird));

                // SIGTERM without GR: the agent's routes go with it
                agent.process().stop(java.time.Duration.ofSeconds(15));
                agent.awaitNoRoute(4, "10.244.2.0/26");
            }
        }
    }

    /** What BIRD saw in our OPEN: its "Neighbor capabilities" block. */
    private static String neighbourCaps(BirdPeer bird) {
        String all = bird.birdc("show", "protocols", "all", "agent").stdout();
        int at = all.indexOf("Neighbor capabilities");
        assertTrue(at >= 0, all);
        int end = all.indexOf("Session:", at);
        return all.substring(at, end < 0 ? all.length() : end);
    }

    private static boolean has(List<RouteInfo> routes, String dst) {
        return routes.stream().anyMatch(r -> dst.equals(r.dst()));
    }

    private static void assertRoutes(AgentNode agent, String... dsts) {
        List<RouteInfo> now = agent.kernelRoutes(4);
        for (String d : dsts) {
            assertTrue(has(now, d), d + " missing from " + now);
        }
    }
}
