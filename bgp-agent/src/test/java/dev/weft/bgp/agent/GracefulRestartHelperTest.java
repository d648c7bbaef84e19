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

    /**
     * The same with live traffic: pod 10.244.1.1 behind the agent pings pod 10.244.2.1 behind BIRD
     * while BIRD is killed with SIGKILL and started again. The agent's route to BIRD's prefix
     * (stale meanwhile) must never leave its kernel, nor BIRD's to ours (BIRD restarts with -R),
     * and at most 1 % of the pings may be lost.
     */
    @Test
    void pingSurvivesBirdKill9AndRestartWithAtMostOnePercentLoss() {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node a = lan.addSpeaker("agent");
            Underlay.Node b = lan.addSpeaker("bird");
            Ping.addPod(a, GracefulRestartTrafficTest.AGENT_POD);
            Ping.addPod(b, GracefulRestartTrafficTest.BIRD_POD);
            AgentConfig ac = AgentNode.config(a, AS)
                    .withOriginate(List.of(new AgentConfig.Originate("10.244.1.0/26", true)))
                    .withPeers(List.of(AgentNode.peer(b.address(), AS)));
            try (AgentNode agent = AgentNode.inProcess(a, ac)) {
                BirdPeer[] bird = {BirdPeer.start(b.netns(), birdConfig(a, b, "10.244.2.0/26").kernelGracefulRestart())};
                try {
                    bird[0].waitEstablished("agent", CONVERGE);
                    agent.awaitRoute(4, "10.244.2.0/26");
                    Ping.awaitReachable(a, GracefulRestartTrafficTest.AGENT_POD, GracefulRestartTrafficTest.BIRD_POD);
                    try (RouteWatch watch = GracefulRestartTrafficTest.routesInBothKernels(agent, () -> bird[0]).start();
                         Ping ping = Ping.start(a, GracefulRestartTrafficTest.AGENT_POD, GracefulRestartTrafficTest.BIRD_POD)) {
                        long t0 = System.nanoTime();
                        GracefulRestartTrafficTest.sleep(2000);
                        bird[0].kill9();
                        bird[0].close();
                        // -R: BIRD recovers as a restarting speaker; without it, it flushes its own
                        // kernel routes at start (the reply path) and ~4 % of the pings are lost
                        bird[0] = BirdPeer.startRecovering(b.netns(), birdConfig(a, b, "10.244.2.0/26").kernelGracefulRestart());
                        bird[0].waitEstablished("agent", CONVERGE);
                        AgentNode.awaitRoute(() -> bird[0].routes(4), "10.244.1.0/26");
                        GracefulRestartTrafficTest.sleep(Math.max(2000,
                                GracefulRestartTrafficTest.PING_MILLIS - (System.nanoTime() - t0) / 1_000_000));
                        Ping.Result r = ping.finish();
                        String watched = watch.stopAndReport();
                        System.out.printf("GR BIRD restart: ping %s; route watch %s%n", r, watched);
                        assertTrue(watch.misses().isEmpty(), "a BGP route left a kernel during BIRD's restart: " + watched
                                + "\nBIRD:\n" + bird[0].logTail());
                        assertTrue(r.lossPercent() <= 1.0, "ping loss over 1 %: " + r);
                    }
                    agent.awaitRoute(4, "10.244.2.0/26");
                } finally {
                    bird[0].close();
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
