package dev.weft.bgp.agent;

import dev.weft.bgp.config.AgentConfig;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.Underlay;
import dev.weft.testkit.bgp.BgpLan;
import dev.weft.testkit.bgp.GobgpConfig;
import dev.weft.testkit.bgp.GobgpPeer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static dev.weft.bgp.agent.AgentNode.CONVERGE;
import static dev.weft.bgp.agent.AgentNode.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The agent against GoBGP over iBGP and eBGP, IPv4 and IPv6 sessions. */
@KernelTest
class GobgpInteropTest {
    static final long AGENT_AS = 64512;

    @ParameterizedTest(name = "gobgp AS {0}")
    @ValueSource(longs = {AGENT_AS, 65001})
    void gobgpRoutesReachTheKernelAndOurPrefixesReachGobgp(long gobgpAs) {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node a = lan.addSpeaker("agent");
            Underlay.Node g = lan.addSpeaker("gobgp");
            GobgpConfig gc = GobgpConfig.of(g.address(), gobgpAs).listen(g.address6())
                    .neighbour(AgentNode.gobgpNeighbour(a.address(), AGENT_AS))
                    .neighbour(AgentNode.gobgpNeighbour(a.address6(), AGENT_AS).localAddress(g.address6()));
            AgentConfig ac = AgentNode.config(a, AGENT_AS)
                    .withOriginate(List.of(new AgentConfig.Originate("10.244.1.0/26", false),
                            new AgentConfig.Originate("fd00:244:1::/64", false)))
                    .withPeers(List.of(AgentNode.peer(g.address(), gobgpAs), AgentNode.peer(g.address6(), gobgpAs)));
            try (GobgpPeer gobgp = GobgpPeer.start(g.netns(), gc); AgentNode agent = AgentNode.inProcess(a, ac)) {
                gobgp.waitEstablished(a.address(), CONVERGE);
                gobgp.waitEstablished(a.address6(), CONVERGE);

                gobgp.addRoute("10.244.2.0/26", g.address());
                gobgp.addRoute("fd00:244:2::/64", g.address6());
                assertEquals(g.address(), agent.awaitRoute(4, "10.244.2.0/26").gateway());
                assertEquals(g.address6(), agent.awaitRoute(6, "fd00:244:2::/64").gateway());

                assertEquals(a.address(), await(() -> find(gobgp.rib(4), "10.244.1.0/26"), "our v4 prefix in gobgp").nexthop());
                assertEquals(a.address6(), await(() -> find(gobgp.rib(6), "fd00:244:1::/64"), "our v6 prefix in gobgp").nexthop());

                gobgp.delRoute("10.244.2.0/26");
                agent.awaitNoRoute(4, "10.244.2.0/26");
                assertEquals(g.address6(), agent.awaitRoute(6, "fd00:244:2::/64").gateway());
            }
        }
    }

    private static GobgpPeer.RibPath find(List<GobgpPeer.RibPath> paths, String prefix) {
        return paths.stream().filter(p -> p.prefix().equals(prefix)).findFirst().orElse(null);
    }
}
