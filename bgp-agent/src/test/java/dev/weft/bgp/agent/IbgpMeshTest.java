package dev.weft.bgp.agent;

import dev.weft.bgp.config.AgentConfig;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.Underlay;
import dev.weft.testkit.bgp.BgpLan;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three agents in a full iBGP mesh, no reflector: each installs the other two's prefixes via their
 * owners. One (launched as a process) is killed with SIGKILL: the other two keep its route for its
 * graceful-restart time (5 s here) and withdraw it when that runs out, not before.
 */
@KernelTest
class IbgpMeshTest {
    static final long AS = 64512;
    static final int RESTART_TIME = 5;

    @Test
    void fullMeshInstallsEveryPrefixAndAKilledNodesRouteGoesOnlyAfterItsRestartTime() {
        try (BgpLan lan = BgpLan.create()) {
            List<Underlay.Node> nodes = List.of(lan.addSpeaker("m1"), lan.addSpeaker("m2"), lan.addSpeaker("m3"));
            try (AgentNode killed = AgentNode.launch(nodes.get(0), meshMember(nodes, 0));
                 AgentNode n2 = AgentNode.inProcess(nodes.get(1), meshMember(nodes, 1));
                 AgentNode n3 = AgentNode.inProcess(nodes.get(2), meshMember(nodes, 2))) {
                List<AgentNode> all = List.of(killed, n2, n3);
                for (int i = 0; i < 3; i++) {
                    for (int j = 0; j < 3; j++) {
                        if (i != j) {
                            assertEquals(nodes.get(j).address(), all.get(i).awaitRoute(4, prefix(j)).gateway());
                        }
                    }
                }

                killed.kill9();
                long killedAt = System.nanoTime();
                GracefulRestartTrafficTest.sleep((RESTART_TIME - 2) * 1000L);
                for (AgentNode n : List.of(n2, n3)) {
                    assertTrue(n.kernelRoutes(4).stream().anyMatch(r -> prefix(0).equals(r.dst())),
                            "the killed node's route must stay for its restart time");
                }
                n2.awaitNoRoute(4, prefix(0));
                n3.awaitNoRoute(4, prefix(0));
                long gone = (System.nanoTime() - killedAt) / 1_000_000;
                System.out.printf("iBGP mesh: the killed node's route went after %d ms (restart time %d s)%n", gone, RESTART_TIME);
                // the survivors still route to each other
                n2.awaitRoute(4, prefix(2));
                n3.awaitRoute(4, prefix(1));
            }
        }
    }

    private static String prefix(int i) {
        return "10.244." + (i + 1) + ".0/26";
    }

    /** Node i: originates 10.244.(i+1).0/26 and peers with every other node; restart time 5 s. */
    private static AgentConfig meshMember(List<Underlay.Node> nodes, int i) {
        List<AgentConfig.Peer> peers = new ArrayList<>();
        for (int j = 0; j < nodes.size(); j++) {
            if (j != i) {
                peers.add(AgentNode.peer(nodes.get(j).address(), AS));
            }
        }
        return AgentNode.config(nodes.get(i), AS)
                .withGracefulRestart(AgentConfig.GracefulRestart.of(true, RESTART_TIME, 20))
                .withOriginate(List.of(new AgentConfig.Originate(prefix(i), true)))
                .withPeers(peers);
    }
}
