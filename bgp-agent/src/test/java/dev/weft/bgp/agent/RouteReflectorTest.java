package dev.weft.bgp.agent;

import dev.weft.bgp.config.AgentConfig;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.Underlay;
import dev.weft.testkit.bgp.BgpLan;
import dev.weft.testkit.bgp.BirdPeer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.weft.bgp.agent.AgentNode.CONVERGE;
import static dev.weft.bgp.agent.AgentNode.awaitRoute;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** weft-bgp as a pure route reflector: reflects between clients, installs nothing (fib.install false). */
@KernelTest
class RouteReflectorTest {
    static final long AS = 64512;

    @Test
    void clientsLearnEachOthersRoutesWithTheirOwnNextHopAndTheReflectorsKernelStaysEmpty() {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node rr = lan.addSpeaker("rr");
            Underlay.Node b1 = lan.addSpeaker("b1");
            Underlay.Node b2 = lan.addSpeaker("b2");
            AgentConfig ac = new AgentConfig(rr.address(), AS, null, null, null, rr.address(), null, null,
                    new AgentConfig.Fib(null, null, false), List.of(AgentNode.peer(b1.address(), AS).withRrClient(true),
                    AgentNode.peer(b2.address(), AS).withRrClient(true)), null);
            try (BirdPeer one = BirdPeer.start(b1.netns(), RuntimePeersTest.bird(b1, rr, "10.244.21.0/26"));
                 BirdPeer two = BirdPeer.start(b2.netns(), RuntimePeersTest.bird(b2, rr, "10.244.22.0/26"));
                 AgentNode agent = AgentNode.inProcess(rr, ac)) {
                one.waitEstablished("agent", CONVERGE);
                two.waitEstablished("agent", CONVERGE);
                assertEquals(b1.address(), awaitRoute(() -> two.routes(4), "10.244.21.0/26").gateway());
                assertEquals(b2.address(), awaitRoute(() -> one.routes(4), "10.244.22.0/26").gateway());
                assertEquals(2, agent.agent().status().ipv4Prefixes());
                assertTrue(agent.kernelRoutes(4).isEmpty(), "a reflector without install puts nothing in its kernel: "
                        + agent.kernelRoutes(4));
            }
        }
    }
}
