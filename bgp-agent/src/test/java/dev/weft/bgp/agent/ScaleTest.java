package dev.weft.bgp.agent;

import dev.weft.bgp.agent.testpeer.RawPeer;
import dev.weft.bgp.config.AgentConfig;
import dev.weft.bgp.fsm.SessionState;
import dev.weft.bgp.status.PeerView;
import dev.weft.bgp.status.SpeakerView;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.net.IpAddress;
import dev.weft.netns.Namespace;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.Underlay;
import dev.weft.testkit.bgp.BgpLan;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scale target: 100 peers (raw test peers on 100 addresses of one namespace) held
 * Established with hold 3 s / keepalive 1 s while the RIB takes 100,000 routes (1,000 from each),
 * for {@code -Dweft.scale.duration} (ISO-8601, default PT5M as the issue says); FIB install on.
 * Checked every few seconds: every session Established with no flap, no NOTIFICATION either way,
 * no peer silent for a hold time, no KEEPALIVE of the agent's late; at the end the Loc-RIB and the
 * kernel hold exactly the 100,000 routes. Prints the JVM's RSS, heap and CPU (agent and peers share it).
 */
@KernelTest
class ScaleTest {
    static final long AS = 64512;
    static final int PEERS = 100;
    static final int PER_PEER = 1_000;
    static final Duration HOLD = Duration.ofSeconds(3);

    @Test
    void hundredPeersStayEstablishedWhileTheRibTakesHundredThousandRoutes() {
        Duration duration = Duration.parse(System.getProperty("weft.scale.duration", "PT5M"));
        System.out.println("scale: " + PEERS + " peers x " + PER_PEER + " routes, hold " + HOLD.toSeconds()
                + " s, for " + duration + " (-Dweft.scale.duration)");
        ScheduledExecutorService timers = Executors.newScheduledThreadPool(2);
        List<RawPeer> peers = new ArrayList<>();
        try (BgpLan lan = BgpLan.create("10.98.0.0/16", "fd00:98::/64")) {
            Underlay.Node a = lan.addSpeaker("agent");
            Underlay.Node p = lan.addSpeaker("peers");
            List<String> addresses = new ArrayList<>();
            List<AgentConfig.Peer> configured = new ArrayList<>();
            for (int i = 0; i < PEERS; i++) {
                String addr = "10.98.1." + (i + 1);
                p.exec("ip", "addr", "add", addr + "/16", "dev", "eth0");
                addresses.add(addr);
                configured.add(AgentConfig.Peer.of(addr, AS).withPassive(true).withTimers((int) HOLD.toSeconds(), 1));
            }
            AgentConfig c = AgentNode.config(a, AS).withPeers(configured);
            try (AgentNode agent = AgentNode.inProcess(a, c); Namespace ns = Namespace.open(p.path().toString())) {
                for (String addr : addresses) {
                    RawPeer peer = RawPeer.connect(ns, addr, a.address(), 179);
                    peers.add(peer);
                    peer.establish(RawPeer.open(AS, IpAddress.parse(addr).toV4Int(), (int) HOLD.toSeconds()), Duration.ofSeconds(10));
                    peer.startReader(timers, Duration.ofSeconds(1));
                }
                long start = System.nanoTime();
                long cpu0 = processCpuNanos();
                Check check = new Check(agent, peers);
                // the routes over the first part of the run: one peer every 200 ms
                for (int i = 0; i < PEERS; i++) {
                    announce(peers.get(i), i, addresses.get(i));
                    RawPeer.sleep(200);
                    check.maybe();
                }
                long installed = -1;
                long peakRss = 0;
                while (System.nanoTime() - start < duration.toNanos()) {
                    RawPeer.sleep(1000);
                    check.maybe();
                    peakRss = Math.max(peakRss, rssKib());
                    if (installed != PEERS * PER_PEER) {
                        installed = kernelCount(a);
                        if (installed == PEERS * PER_PEER) {
                            System.out.printf("scale: %d routes in the kernel %.1f s into the run%n", installed,
                                    (System.nanoTime() - start) / 1e9);
                        }
                    }
                }
                double wall = (System.nanoTime() - start) / 1e9;
                double cpu = (processCpuNanos() - cpu0) / 1e9;
                check.now();
                SpeakerView s = agent.agent().speaker().toCompletableFuture().join();
                assertEquals((long) PEERS * PER_PEER, s.locRibRoutes().get(Family.IPV4_UNICAST), "Loc-RIB");
                assertEquals((long) PEERS * PER_PEER, kernelCount(a), "kernel routes proto 88");
                Runtime r = Runtime.getRuntime();
                System.gc();
                System.out.printf("scale: %s of %d peers Established throughout, %d checks, max keepalive lateness %.3f s; "
                                + "Loc-RIB %d, kernel %d; JVM (agent + peers) RSS peak %d MiB, heap used after GC %d MiB, "
                                + "CPU %.1f s in %.0f s (%.0f%% of one core)%n",
                        PEERS, PEERS, check.checks, check.maxLateness, s.locRibRoutes().get(Family.IPV4_UNICAST),
                        kernelCount(a), peakRss >> 10, (r.totalMemory() - r.freeMemory()) >> 20, cpu, wall, 100 * cpu / wall);
            }
        } finally {
            peers.forEach(RawPeer::close);
            timers.shutdownNow();
        }
    }

    /** Peer {@code i}'s 1,000 /32s from 172.16.0.0 + i * 1000. */
    private static void announce(RawPeer peer, int i, String nextHop) {
        List<PathAttribute> attrs = List.of(new PathAttribute.Origin(PathAttribute.Origin.IGP),
                new PathAttribute.AsPath(List.of()), new PathAttribute.NextHop(IpAddress.parse(nextHop)),
                new PathAttribute.LocalPref(100));
        peer.sendAll(RawPeer.hostRoutes(IpAddress.parse("172.16.0.0").toV4Int() + i * PER_PEER, PER_PEER, attrs));
    }

    /** The invariants, checked at most every 2 s (a status call walks all 100 peers). */
    private static final class Check {
        final AgentNode agent;
        final List<RawPeer> peers;
        long last;
        int checks;
        double maxLateness;

        Check(AgentNode agent, List<RawPeer> peers) {
            this.agent = agent;
            this.peers = peers;
        }

        void maybe() {
            if (System.nanoTime() - last > 2_000_000_000L) {
                now();
            }
        }

        void now() {
            last = System.nanoTime();
            checks++;
            for (RawPeer p : peers) {
                assertTrue(p.open() && p.notification().isEmpty(), p + " closed, NOTIFICATION " + p.notification());
                assertTrue(p.silentNanos() < HOLD.toNanos(), p + ": the agent silent for " + p.silentNanos() / 1e9 + " s");
            }
            List<PeerView> views = agent.agent().peers().toCompletableFuture().join();
            assertEquals(PEERS, views.size());
            for (PeerView v : views) {
                assertEquals(SessionState.ESTABLISHED, v.state(), v.address());
                assertEquals(0, v.flaps(), v.address() + " flapped: " + v.lastError());
                assertTrue(v.notificationsSent().isEmpty() && v.notificationsReceived().isEmpty(), v.address());
                assertEquals(0, v.keepalives().late(), v.address() + " late KEEPALIVEs: " + v.keepalives());
                maxLateness = Math.max(maxLateness, v.keepalives().maxLatenessSeconds());
            }
        }
    }

    private static long kernelCount(Underlay.Node n) {
        return n.exec("ip", "-4", "route", "show", "proto", "88").lines().size();
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** VmRSS of this JVM in KiB. */
    private static long rssKib() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new AssertionError("no VmRSS");
    }

}
