package dev.weft.bgp.agent;

import dev.weft.bgp.agent.testpeer.LogCapture;
import dev.weft.bgp.agent.testpeer.RawPeer;
import dev.weft.bgp.config.AgentConfig;
import dev.weft.bgp.fsm.SessionState;
import dev.weft.bgp.status.KeepaliveStats;
import dev.weft.bgp.status.PeerView;
import dev.weft.bgp.wire.AsPathSegment;
import dev.weft.bgp.wire.BgpMessage;
import dev.weft.bgp.wire.Keepalive;
import dev.weft.bgp.wire.Nlri;
import dev.weft.bgp.wire.Notification;
import dev.weft.bgp.wire.Octets;
import dev.weft.bgp.wire.Open;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netns.Namespace;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.Underlay;
import dev.weft.testkit.bgp.BgpLan;
import dev.weft.testkit.bgp.BirdConfig;
import dev.weft.testkit.bgp.BirdPeer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Collectors;

import static dev.weft.bgp.agent.AgentNode.CONVERGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent with one well-behaved BIRD peer (a route installed) and one hostile raw peer: every bad
 * thing the hostile peer does gets the right NOTIFICATION (RFC 4271 §6, RFC 7606), is logged once,
 * and leaves BIRD's session and the kernel routes it brought untouched (spec §1.4, §5 pain point 9).
 */
@KernelTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostilePeerTest {
    static final long AGENT_AS = 64512;
    static final long EVIL_AS = 64666;
    static final String BIRD_ROUTE = "10.244.2.0/26";
    static final Duration REPLY = Duration.ofSeconds(10);

    private BgpLan lan;
    private Underlay.Node agentNode;
    private Underlay.Node evilNode;
    private BirdPeer bird;
    private AgentNode agent;
    private Namespace evilNs;
    private LogCapture log;
    private String birdAddress;

    @BeforeAll
    void start() {
        lan = BgpLan.create();
        agentNode = lan.addSpeaker("agent");
        Underlay.Node b = lan.addSpeaker("bird");
        evilNode = lan.addSpeaker("evil");
        birdAddress = b.address();
        bird = BirdPeer.start(b.netns(), BirdConfig.of(b.address(), AGENT_AS)
                .neighbour(AgentNode.birdNeighbour("a4", agentNode.address(), AGENT_AS)).staticRoute(BIRD_ROUTE));
        AgentConfig c = AgentNode.config(agentNode, AGENT_AS).withPeers(List.of(
                AgentNode.peer(b.address(), AGENT_AS),
                // passive: only the raw peer opens connections; hold 3 s for the hold-timer case
                AgentConfig.Peer.of(evilNode.address(), EVIL_AS).withPassive(true).withTimers(3, 1)));
        log = LogCapture.start();
        agent = AgentNode.inProcess(agentNode, c);
        bird.waitEstablished("a4", CONVERGE);
        agent.awaitRoute(4, BIRD_ROUTE);
        evilNs = Namespace.open(evilNode.path().toString());
    }

    @AfterAll
    void stop() {
        try (BgpLan l = lan; BirdPeer b = bird; AgentNode a = agent; LogCapture c = log) {
            if (evilNs != null) {
                evilNs.close();
            }
        }
    }

    /** Malformed messages on an Established session and the NOTIFICATION each must get. */
    enum Malformed {
        BAD_MARKER(1, 1) {
            byte[] frame() {
                byte[] k = RawPeer.encode(Keepalive.INSTANCE);
                k[3] = 0;
                return k;
            }
        },
        BAD_LENGTH(1, 2) {
            byte[] frame() {
                byte[] k = Arrays.copyOf(RawPeer.encode(Keepalive.INSTANCE), 20);
                k[17] = 20; // a KEEPALIVE of 20 octets
                return k;
            }
        },
        UNKNOWN_TYPE(1, 3) {
            byte[] frame() {
                byte[] k = RawPeer.encode(Keepalive.INSTANCE);
                k[18] = 9;
                return k;
            }
        },
        UNPARSABLE_NLRI(3, 10) {
            byte[] frame() {
                byte[] u = RawPeer.encode(route("10.66.1.0/24"));
                u[u.length - 4] = 33; // a /33 in the IPv4 NLRI field, and too few octets for it
                return u;
            }
        };

        final int code;
        final int subcode;

        Malformed(int code, int subcode) {
            this.code = code;
            this.subcode = subcode;
        }

        abstract byte[] frame();
    }

    @ParameterizedTest
    @EnumSource(Malformed.class)
    void malformedMessageResetsOnlyItsSession(Malformed m) {
        Set<String> before = agentRoutes();
        long birdFlaps = birdView().flaps();
        log.clear();
        try (RawPeer p = established()) {
            p.send(route("10.66.1.0/24"));
            agent.awaitRoute(4, "10.66.1.0/24");
            p.sendRaw(m.frame());
            Notification n = p.awaitNotification(REPLY);
            assertEquals(m.code, n.code(), n.toString());
            assertEquals(m.subcode, n.subcode(), n.toString());
            if (m == Malformed.BAD_LENGTH) {
                assertEquals(Octets.of(new byte[] {0, 20}), n.data(), "1/2 carries the erroneous length field");
            }
            agent.awaitNoRoute(4, "10.66.1.0/24");
            assertLoggedOnce(n);
        }
        assertBirdUntouched(before, birdFlaps);
    }

    @Test
    void malformedAttributeIsTreatAsWithdrawAndTheSessionStays() {
        Set<String> before = agentRoutes();
        long birdFlaps = birdView().flaps();
        log.clear();
        try (RawPeer p = established()) {
            p.send(route("10.66.2.0/24"));
            p.send(route("10.66.3.0/24"));
            agent.awaitRoute(4, "10.66.2.0/24");
            agent.awaitRoute(4, "10.66.3.0/24");
            byte[] u = RawPeer.encode(route("10.66.2.0/24"));
            assertEquals(0x40, u[23] & 0xFF, "ORIGIN first");
            assertEquals(1, u[24]);
            u[26] = 7; // ORIGIN 7: malformed, RFC 7606 §7.1 treat-as-withdraw
            p.sendRaw(u);
            agent.awaitNoRoute(4, "10.66.2.0/24");
            p.send(Keepalive.INSTANCE);
            assertTrue(p.next(Duration.ofSeconds(2)).map(x -> !(x instanceof Notification)).orElse(true),
                    "no NOTIFICATION for a treat-as-withdraw UPDATE");
            assertTrue(p.notification().isEmpty());
            assertEquals(SessionState.ESTABLISHED, view(evilNode.address()).state());
            assertTrue(agentRoutes().contains("10.66.3.0/24"), "the peer's other prefix stays");
            assertEquals(1, log.count("bgp peer " + evilNode.address(), "RFC 7606"), log.text());
        }
        agent.awaitNoRoute(4, "10.66.3.0/24");
        assertBirdUntouched(before, birdFlaps);
    }

    /** Bad OPENs: the NOTIFICATION RFC 4271 §6.2 names, nothing else moves. */
    enum BadOpen {
        VERSION(2, 1) {
            Open open(String id) {
                Open o = good(id);
                return new Open(3, o.asField(), o.holdTime(), o.bgpIdentifier(), o.capabilities(), false);
            }
        },
        WRONG_AS(2, 2) {
            Open open(String id) {
                return RawPeer.open(64000, IpAddress.parse(id).toV4Int(), 9);
            }
        },
        IDENTIFIER_ZERO(2, 3) {
            Open open(String id) {
                return RawPeer.open(EVIL_AS, 0, 9);
            }
        },
        HOLD_TIME_ONE(2, 6) {
            Open open(String id) {
                return RawPeer.open(EVIL_AS, IpAddress.parse(id).toV4Int(), 1);
            }
        };

        final int code;
        final int subcode;

        BadOpen(int code, int subcode) {
            this.code = code;
            this.subcode = subcode;
        }

        abstract Open open(String id);

        static Open good(String id) {
            return RawPeer.open(EVIL_AS, IpAddress.parse(id).toV4Int(), 9);
        }
    }

    @ParameterizedTest
    @EnumSource(BadOpen.class)
    void badOpenGetsItsNotification(BadOpen b) {
        Set<String> before = agentRoutes();
        long birdFlaps = birdView().flaps();
        log.clear();
        try (RawPeer p = connect()) {
            p.send(b.open(evilNode.address()));
            Notification n = p.awaitNotification(REPLY);
            assertEquals(Notification.of(b.code, b.subcode).code(), n.code(), n.toString());
            assertEquals(b.subcode, n.subcode(), n.toString());
            assertLoggedOnce(n);
        }
        assertBirdUntouched(before, birdFlaps);
    }

    @Test
    void silentPeerGetsHoldTimerExpiredAfterTheNegotiatedHoldTime() {
        Set<String> before = agentRoutes();
        long birdFlaps = birdView().flaps();
        log.clear();
        try (RawPeer p = connect()) {
            p.establish(RawPeer.open(EVIL_AS, IpAddress.parse(evilNode.address()).toV4Int(), 3), REPLY);
            long t0 = System.nanoTime();
            // we read the agent's KEEPALIVEs but send none
            Notification n = p.awaitNotification(REPLY);
            double waited = (System.nanoTime() - t0) / 1e9;
            assertEquals(Notification.of(4, 0), n);
            assertTrue(waited >= 2.5, "4/0 only once the 3 s hold time ran out, came after " + waited + " s");
            System.out.printf("hold timer: 4/0 after %.2f s (hold 3 s)%n", waited);
            assertLoggedOnce(n);
        }
        assertBirdUntouched(before, birdFlaps);
    }

    /**
     * 200,000 prefixes as fast as the raw peer can send them, then all withdrawn: the agent stays
     * up, its KEEPALIVEs to BIRD are never late, and the kernel ends with exactly what it had.
     */
    @Test
    void updateStormLeavesTheOtherSessionOnTimeAndTheKernelExact() {
        int total = Integer.getInteger("weft.storm.prefixes", 200_000);
        System.out.println("update storm: " + total + " prefixes");
        Set<String> before = agentRoutes();
        long birdFlaps = birdView().flaps();
        KeepaliveStats birdKeepalives = birdView().keepalives();
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try (RawPeer p = connect()) {
            p.establish(RawPeer.open(EVIL_AS, IpAddress.parse(evilNode.address()).toV4Int(), 9), REPLY);
            p.startReader(timers, Duration.ofSeconds(1));
            long t0 = System.nanoTime();
            sendStorm(p, total, false);
            long installed = awaitKernelCount(before.size() + total);
            double up = (System.nanoTime() - t0) / 1e9;
            long heapPeak = usedHeapAfterGc();
            sendStorm(p, total, true);
            awaitKernelCount(before.size());
            double down = (System.nanoTime() - t0) / 1e9 - up;
            long heapAfter = usedHeapAfterGc();
            System.out.printf("update storm: %d routes in the kernel %.1f s after the first UPDATE, all gone %.1f s "
                    + "after the first withdrawal; JVM heap used %d MiB at the peak, %d MiB after%n", installed, up, down,
                    heapPeak >> 20, heapAfter >> 20);
            assertTrue(p.open() && p.notification().isEmpty(), "the storming peer stays up: " + p.notification());
            assertEquals(SessionState.ESTABLISHED, view(evilNode.address()).state());
            // a short storm may end before the next KEEPALIVE (every 3 s) is due
            KeepaliveStats k = AgentNode.await(() -> {
                KeepaliveStats now = birdView().keepalives();
                return now.sent() > birdKeepalives.sent() ? now : null;
            }, "the agent counting its KEEPALIVEs to BIRD");
            System.out.println("update storm: KEEPALIVEs to BIRD " + birdKeepalives + " -> " + k);
            assertEquals(birdKeepalives.late(), k.late(), "no KEEPALIVE to BIRD was late: " + k);
        } finally {
            timers.shutdownNow();
        }
        assertBirdUntouched(before, birdFlaps);
    }

    /** The storm's /32s from 172.16.0.0 in UPDATEs of 800, written 25 at a time so our KEEPALIVEs get in between. */
    private static void sendStorm(RawPeer p, int total, boolean withdraw) {
        List<Update> all = RawPeer.hostRoutes(IpAddress.parse("172.16.0.0").toV4Int(), total,
                withdraw ? null : route("0.0.0.0/0").attributes());
        for (int i = 0; i < all.size(); i += 25) {
            p.sendAll(all.subList(i, Math.min(all.size(), i + 25)));
        }
    }

    /** Waits (up to 5 min: a FIB of 200,000 routes takes a while) for exactly {@code n} proto 88 routes. */
    private long awaitKernelCount(long n) {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        long c;
        while ((c = kernelCount()) != n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("kernel has " + c + " weft-bgp routes, not " + n);
            }
            RawPeer.sleep(500);
        }
        return c;
    }

    private long kernelCount() {
        return agentNode.exec("ip", "-4", "route", "show", "proto", "88").lines().size();
    }

    private static long usedHeapAfterGc() {
        System.gc();
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    // ----------------------------------------------------------------------------- helpers

    private RawPeer connect() {
        return RawPeer.connect(evilNs, evilNode.address(), agentNode.address(), 179);
    }

    private RawPeer established() {
        RawPeer p = connect();
        p.establish(BadOpen.good(evilNode.address()), REPLY);
        return p;
    }

    static Update route(String prefix) {
        return new Update(List.of(), List.of(new PathAttribute.Origin(PathAttribute.Origin.IGP),
                new PathAttribute.AsPath(List.of(AsPathSegment.sequence(List.of(EVIL_AS)))),
                new PathAttribute.NextHop(IpAddress.parse("10.99.0.3"))), List.of(Nlri.of(Cidr.parse(prefix))));
    }

    private void assertLoggedOnce(Notification n) {
        String sent = "sent " + n.code() + "/" + n.subcode();
        // the log settles once the agent handled the close
        AgentNode.await(() -> log.count("bgp peer " + evilNode.address(), sent) > 0 ? Boolean.TRUE : null, "log of " + sent);
        RawPeer.sleep(500);
        assertEquals(1, log.count("bgp peer " + evilNode.address(), sent), "logged once:\n" + log.text());
    }

    private void assertBirdUntouched(Set<String> before, long birdFlaps) {
        assertTrue(bird.protocol("a4").established(), "BIRD's session stays up");
        PeerView bv = birdView();
        assertEquals(SessionState.ESTABLISHED, bv.state());
        assertEquals(birdFlaps, bv.flaps(), "BIRD's session never flapped");
        AgentNode.await(() -> agentRoutes().equals(before) ? Boolean.TRUE : null, "kernel routes as before: " + before);
    }

    private Set<String> agentRoutes() {
        return agent.kernelRoutes(4).stream().map(RouteInfo::dst).collect(Collectors.toCollection(TreeSet::new));
    }

    private PeerView birdView() {
        return view(birdAddress);
    }

    private PeerView view(String address) {
        return agent.agent().peers().toCompletableFuture().join().stream()
                .filter(p -> p.address().equals(address)).findFirst().orElseThrow();
    }

}
