package dev.weft.bgp.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.bgp.agent.testpeer.RawPeer;
import dev.weft.bgp.config.AgentConfig;
import dev.weft.bgp.wire.BgpMessage;
import dev.weft.bgp.wire.Capability;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Nlri;
import dev.weft.bgp.wire.Open;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netns.Namespace;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.Underlay;
import dev.weft.testkit.bgp.BgpLan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The agent as a restarting speaker (RFC 4724 §4.1): having found its routes of a previous run in
 * the kernel, it defers its own UPDATEs (and End-of-RIB) until a helping peer has sent End-of-RIB,
 * then sends them; a peer that is restarting itself is not waited for (two nodes restarted at once
 * would otherwise wait for each other until the deferral time).
 */
@KernelTest
class RestartingSpeakerTest {
    private static final long AS = 64512;
    private static final Cidr OURS = Cidr.parse("10.244.1.0/26");
    private static final String ADOPTED = "10.244.77.0/26";

    @Test
    void ourUpdatesWaitForAHelpersEndOfRib() {
        withRestartedAgent((peer, agent) -> {
            establish(peer, false);
            List<BgpMessage> early = readFor(peer, Duration.ofMillis(2500));
            assertTrue(early.stream().noneMatch(m -> m instanceof Update), "nothing sent before the peer's End-of-RIB: " + early);
            assertTrue(agent.kernelRoutes(4).stream().anyMatch(r -> r.dst().equals(ADOPTED)), "the adopted route stays meanwhile");
            peer.send(Update.endOfRib(Family.IPV4_UNICAST));
            List<BgpMessage> after = readUntilEndOfRib(peer);
            assertTrue(announces(after, OURS), "our prefix after the peer's End-of-RIB: " + after);
            // the peer re-announced nothing, so the adopted route goes once its End-of-RIB is in
            agent.awaitNoRoute(4, ADOPTED);
        });
    }

    @Test
    void aPeerThatIsRestartingItselfIsNotWaitedFor() {
        withRestartedAgent((peer, agent) -> {
            establish(peer, true);
            // no End-of-RIB from the peer, yet our routes and End-of-RIB come at once
            List<BgpMessage> m = readUntilEndOfRib(peer);
            assertTrue(announces(m, OURS), "our prefix without waiting: " + m);
        });
    }

    interface Body {
        void run(RawPeer peer, AgentNode agent);
    }

    private static void withRestartedAgent(Body body) {
        try (BgpLan lan = BgpLan.create()) {
            Underlay.Node a = lan.addSpeaker("agent");
            Underlay.Node p = lan.addSpeaker("peer");
            // a route of "the previous run": protocol 88 in the agent's table
            Cmd.run("ip", "-n", a.netns(), "route", "add", ADOPTED, "via", p.address(), "proto", "88");
            AgentConfig c = AgentNode.config(a, AS)
                    .withGracefulRestart(AgentConfig.GracefulRestart.of(true, 30, 20))
                    .withPeers(List.of(AgentConfig.Peer.of(p.address(), AS).withPassive(true)));
            try (AgentNode agent = AgentNode.inProcess(a, c); Namespace pns = Namespace.open(p.path().toString())) {
                assertTrue(agent.agent().restarted(), "the agent saw its adopted route");
                agent.agent().originate(OURS, false).join();
                try (RawPeer peer = RawPeer.connect(pns, p.address(), a.address(), 179)) {
                    body.run(peer, agent);
                }
            }
        }
    }

    private static void establish(RawPeer peer, boolean restarting) {
        int id = IpAddress.parse("10.99.0.250").toV4Int();
        Open ours = new Open(Open.VERSION, (int) AS, 9, id, List.of(Capability.Multiprotocol.of(Family.IPV4_UNICAST),
                new Capability.FourOctetAs(AS), new Capability.GracefulRestart(restarting, false, 30,
                        List.of(new Capability.GracefulRestart.Entry(Family.AFI_IPV4, Family.SAFI_UNICAST, true)))), false);
        Open theirs = peer.establish(ours, Duration.ofSeconds(10));
        assertTrue(theirs.capabilities().stream().anyMatch(k -> k instanceof Capability.GracefulRestart g && g.restarting()),
                "the agent's OPEN carries the Restart State bit: " + theirs);
    }

    private static List<BgpMessage> readFor(RawPeer peer, Duration d) {
        List<BgpMessage> got = new ArrayList<>();
        long end = System.nanoTime() + d.toNanos();
        for (long left; (left = end - System.nanoTime()) > 0; ) {
            peer.next(Duration.ofNanos(left)).ifPresent(got::add);
        }
        return got;
    }

    private static List<BgpMessage> readUntilEndOfRib(RawPeer peer) {
        List<BgpMessage> got = new ArrayList<>();
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            Optional<BgpMessage> m = peer.next(Duration.ofSeconds(1));
            if (m.isPresent()) {
                got.add(m.get());
                if (m.get() instanceof Update u && u.endOfRibFamily().isPresent()) {
                    return got;
                }
            }
        }
        fail("no End-of-RIB from the agent within 10 s: " + got);
        return got;
    }

    private static boolean announces(List<BgpMessage> ms, Cidr prefix) {
        for (BgpMessage m : ms) {
            if (m instanceof Update u) {
                for (Nlri n : u.nlri()) {
                    if (n.prefix().equals(prefix)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
