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

import dev.weft.netns.Namespace;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.List;

import static dev.weft.bgp.agent.AgentNode.CONVERGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
                    // started with SIGHUP ignored (AgentNode), yet it reloaded: the launcher reset it
                    assertFalse(agent.log().contains("SIGHUP was ignored"), agent.log());
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

    /**
     * A configured peer connecting the moment the port opens gets our OPEN, not a reset: the agent
     * listens only once its initial peers are in (before, such a peer was refused as a stranger).
     */
    @Test
    void aPeerConnectingAsSoonAsTheAgentListensIsNotRefused() throws Exception {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node a = lan.addSpeaker("agent");
            Underlay.Node b = lan.addSpeaker("b");
            AgentConfig config = AgentNode.config(a, AS).withPeers(List.of(AgentNode.peer(b.address(), AS).withPassive(true)));
            CompletableFuture<byte[]> firstBytes = new CompletableFuture<>();
            Thread peer = new Thread(() -> {
                try (Namespace ns = Namespace.open(b.path().toString())) {
                    firstBytes.complete(ns.run(() -> firstConnection(a.address(), AgentNode.CONVERGE)));
                } catch (Throwable t) {
                    firstBytes.completeExceptionally(t);
                }
            }, "eager-peer");
            peer.start(); // already knocking, in a tight loop, while the agent starts
            try (AgentNode agent = AgentNode.inProcess(a, config)) {
                byte[] got = firstBytes.get(CONVERGE.toSeconds(), TimeUnit.SECONDS);
                assertEquals(19, got.length, "the agent closed the first connection before its OPEN (refused)");
                for (int i = 0; i < 16; i++) {
                    assertEquals((byte) 0xff, got[i], "BGP marker");
                }
                assertEquals(1, got[18], "message type OPEN");
            } finally {
                peer.join(CONVERGE.toMillis());
            }
        }
    }

    /** Connects to port 179 until it is open, then returns the first 19 bytes (fewer: closed early). */
    private static byte[] firstConnection(String address, Duration within) throws IOException {
        long deadline = System.nanoTime() + within.toNanos();
        InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(address), 179);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                try {
                    s.connect(to, 1000);
                } catch (ConnectException refusedByTheKernel) {
                    continue; // nothing listening yet
                }
                s.setSoTimeout((int) within.toMillis());
                return s.getInputStream().readNBytes(19);
            }
        }
        throw new AssertionError("port 179 of " + address + " never opened");
    }

    static BirdConfig bird(Underlay.Node self, Underlay.Node agent, String prefix) {
        return BirdConfig.of(self.address(), AS).neighbour(AgentNode.birdNeighbour("agent", agent.address(), AS))
                .staticRoute(prefix);
    }
}
