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
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent as GR helper (RFC 4724): a restarting BIRD's routes stay in the kernel until its End-of-RIB. */
@KernelTest
class GracefulRestartHelperTest {
    static final long AS = 64512;

    @Test
    void killedPeersRoutesStayThroughTwoRestartsAndOnlyTheWithdrawnOneGoesAfterEndOfRib() {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node a = lan.addSpeaker("agent");
            Underlay.Node b = lan.addSpeaker("bird");
            AgentConfig ac = AgentNode.config(a, AS).withPeers(List.of(AgentNode.peer(b.address(), AS)));
            try (AgentNode agent = AgentNode.inProcess(a, ac)) {
                BirdPeer bird = BirdPeer.start(b.netns(), birdConfig(a, b, "10.244.2.0/26", "10.244.3.0/26"));
                try {
                    bird.waitEstablished("agent", CONVERGE);
                    agent.awaitRoute(4, "10.244.2.0/26");
                    agent.awaitRoute(4, "10.244.3.0/26");

                    bird.kill9(); // no NOTIFICATION: a restart
                    bird.close();
                    // a second restart that dies before End-of-RIB (calico#1423: must not delete stale routes)
                    bird = BirdPeer.start(b.netns(), birdConfig(a, b, "10.244.2.0/26", "10.244.3.0/26"));
                    bird.waitEstablished("agent", CONVERGE);
                    bird.kill9();
                    bird.close();
                    assertPresent(agent.kernelRoutes(4), "10.244.2.0/26", "10.244.3.0/26");

                    bird = BirdPeer.start(b.netns(), birdConfig(a, b, "10.244.2.0/26"));
                    bird.waitEstablished("agent", CONVERGE);
                    AgentNode.await(() -> {
                        List<RouteInfo> now = agent.kernelRoutes(4);
                        assertPresent(now, "10.244.2.0/26");
                        return now.stream().anyMatch(r -> "10.244.3.0/26".equals(r.dst())) ? null : Boolean.TRUE;
                    }, "the route the restarted BIRD no longer announces to go after its End-of-RIB");
                } finally {
                    bird.close();
                }
            }
        }
    }

    private static BirdConfig birdConfig(Underlay.Node agent, Underlay.Node self, String... statics) {
        BirdConfig c = BirdConfig.of(self.address(), AS)
                .neighbour(AgentNode.birdNeighbour("agent", agent.address(), AS).gracefulRestart());
        for (String s : statics) {
            c.staticRoute(s);
        }
        return c;
    }

    private static void assertPresent(List<RouteInfo> routes, String... dsts) {
        for (String d : dsts) {
            assertTrue(routes.stream().anyMatch(r -> d.equals(r.dst())), d + " missing from " + routes);
        }
    }
}
