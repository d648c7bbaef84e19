package dev.weft.bgp.agent;

import dev.weft.bgp.config.AgentConfig;
import dev.weft.net.IpAddress;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.Underlay;
import dev.weft.testkit.bgp.BgpLan;
import dev.weft.testkit.bgp.BirdConfig;
import dev.weft.testkit.bgp.BirdPeer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Instant;
import java.util.List;

import static dev.weft.bgp.agent.AgentNode.CONVERGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Peers added and removed at run time leave the other sessions alone (calico#12938): through the
 * embedder's API, through {@link BgpAgent#reconfigure}, and through SIGHUP on the launcher.
 */
@KernelTest
class RuntimePeersTest {
    static final long AS = 64512;

    enum Via { API, RECONFIGURE, SIGHUP }

    @ParameterizedTest
    @EnumSource(Via.class)
    void addingAndRemovingAPeerNeverResetsAnother(Via via) {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node a = lan.addSpeaker("agent");
            Underlay.Node b1 = lan.addSpeaker("b1");
            Underlay.Node b2 = lan.addSpeaker("b2");
            AgentConfig one = AgentNode.config(a, AS).withPeers(List.of(AgentNode.peer(b1.address(), AS)));
            AgentConfig both = one.withPeers(List.of(AgentNode.peer(b1.address(), AS), AgentNode.peer(b2.address(), AS)));
            try (BirdPeer bird1 = BirdPeer.start(b1.netns(), bird(b1, a, "10.244.11.0/26"));
                 BirdPeer bird2 = BirdPeer.start(b2.netns(), bird(b2, a, "10.244.12.0/26"));
                 AgentNode agent = via == Via.SIGHUP ? AgentNode.launch(a, one) : AgentNode.inProcess(a, one)) {
                Instant since = bird1.waitEstablished("agent", CONVERGE);
                agent.awaitRoute(4, "10.244.11.0/26");

                if (via == Via.API) {
                    agent.agent().addPeer(AgentNode.peer(b2.address(), AS)).join();
                } else {
                    agent.reload(both);
                }
                bird2.waitEstablished("agent", CONVERGE);
                agent.awaitRoute(4, "10.244.12.0/26");

                if (via == Via.API) {
                    agent.agent().removePeer(IpAddress.parse(b2.address())).join();
                } else {
                    agent.reload(one);
                }
                agent.awaitNoRoute(4, "10.244.12.0/26");
                AgentNode.await(() -> bird2.logTail().contains("Received: Peer de-configured") ? Boolean.TRUE : null,
                        "BIRD to log Cease/3 (peer de-configured)");

                if (via == Via.SIGHUP) {
                    // a file that does not parse is refused and changes nothing
                    agent.reloadRaw("peers: [oops");
                    AgentNode.await(() -> agent.log().contains("reload refused") ? Boolean.TRUE : null, "the refusal in the log");
                    assertTrue(agent.process().isAlive());
                }
                // the first session never went down
                assertEquals(since, bird1.waitEstablished("agent", CONVERGE));
                agent.awaitRoute(4, "10.244.11.0/26");
            }
        }
    }

    static BirdConfig bird(Underlay.Node self, Underlay.Node agent, String prefix) {
        return BirdConfig.of(self.address(), AS).neighbour(AgentNode.birdNeighbour("agent", agent.address(), AS))
                .staticRoute(prefix);
    }
}
