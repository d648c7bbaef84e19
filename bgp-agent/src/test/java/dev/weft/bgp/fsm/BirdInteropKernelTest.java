package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.Nlri;
import dev.weft.bgp.wire.Notification;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import dev.weft.testkit.VethPair;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.weft.bgp.fsm.SessionsKernelTest.A;
import static dev.weft.bgp.fsm.SessionsKernelTest.B;
import static dev.weft.bgp.fsm.TestSpeaker.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Our sessions against BIRD 2: iBGP, eBGP, {@code birdc restart}, TCP-MD5. */
@KernelTest
class BirdInteropKernelTest {
    static final Nlri BIRD_ROUTE = Nlri.of(Cidr.parse("10.244.9.0/26"));

    static boolean announces(TestSpeaker s, Nlri n) {
        return s.updates.stream().anyMatch(u -> u.announced().contains(n));
    }

    @Test
    void ibgpWithBird(TestNetns na, TestNetns nb) throws Exception {
        try (VethPair veth = SessionsKernelTest.link(na, nb);
             BirdProcess bird = BirdProcess.start(nb, B, 64512, A, 64512, "");
             TestSpeaker a = TestSpeaker.start("a", na, A, 64512)) {
            a.sessions.addPeer(a.peer(B, 64512));
            await("bird established: " + bird.log(), Duration.ofSeconds(30), bird::established);
            a.awaitState(new PeerId(IpAddress.parse(B)), SessionState.ESTABLISHED);
            await("bird's static route", Duration.ofSeconds(15), () -> announces(a, BIRD_ROUTE));
            Update ours = SessionsKernelTest.route(1, A);
            assertEquals(Sessions.SendResult.OK, a.sessions.send(new PeerId(IpAddress.parse(B)), ours));
            await("bird learns 10.244.1.0/26", Duration.ofSeconds(15),
                    () -> bird.birdc("show", "route", "protocol", "weft").contains("10.244.1.0/26"));
            Negotiated n = a.firstEstablished();
            assertTrue(n.enhancedRouteRefresh() && n.routeRefresh() && n.fourOctetAs());
            assertEquals(9, n.holdTime());
        }
    }

    @Test
    void ebgpWithBirdAndRestart(TestNetns na, TestNetns nb) throws Exception {
        try (VethPair veth = SessionsKernelTest.link(na, nb);
             BirdProcess bird = BirdProcess.start(nb, B, 65003, A, 64512, "");
             TestSpeaker a = TestSpeaker.start("a", na, A, 64512)) {
            PeerId b = new PeerId(IpAddress.parse(B));
            a.sessions.addPeer(a.peer(B, 65003));
            a.awaitState(b, SessionState.ESTABLISHED);
            await("bird's static route over eBGP", Duration.ofSeconds(15), () -> announces(a, BIRD_ROUTE));
            Update u = a.updates.stream().filter(x -> x.announced().contains(BIRD_ROUTE)).findFirst().orElseThrow();
            assertEquals(List.of(65003L), u.attribute(PathAttribute.AsPath.class).orElseThrow().segments().get(0).asns());

            bird.birdc("restart", "weft");
            await("the restart reaches us", Duration.ofSeconds(15), () -> !a.downs.isEmpty());
            assertEquals(Notification.of(6, 4), a.downs.get(0).received().orElseThrow());
            await("re-established after birdc restart", Duration.ofSeconds(30), () -> a.established.size() == 2
                    && a.state(b) == SessionState.ESTABLISHED);
        }
    }

    @Test
    void aCrashOfBirdWithGracefulRestartIsAGracefulDown(TestNetns na, TestNetns nb) throws Exception {
        try (VethPair veth = SessionsKernelTest.link(na, nb);
             BirdProcess bird = BirdProcess.start(nb, B, 64512, A, 64512, "graceful restart on; graceful restart time 90;");
             TestSpeaker a = TestSpeaker.start("a", na, A, 64512)) {
            a.sessions.addPeer(a.peer(B, 64512).withGracefulRestart(120));
            a.awaitState(new PeerId(IpAddress.parse(B)), SessionState.ESTABLISHED);
            assertEquals(90, a.firstEstablished().gracefulRestart().orElseThrow().restartTime());
            bird.crash();
            await("the session drops", Duration.ofSeconds(15), () -> !a.downs.isEmpty());
            DownReason r = a.downs.get(0);
            assertTrue(r.graceful(), r.toString());
            assertTrue(r.received().isEmpty() && r.sent().isEmpty(), r.toString());
        }
    }

    @Test
    void md5WithBirdsPassword(TestNetns na, TestNetns nb) throws Exception {
        try (VethPair veth = SessionsKernelTest.link(na, nb);
             BirdProcess bird = BirdProcess.start(nb, B, 64512, A, 64512, "password \"s3cret\";");
             TestSpeaker a = TestSpeaker.start("a", na, A, 64512)) {
            a.sessions.addPeer(a.peer(B, 64512).withPassword("s3cret"));
            a.awaitState(new PeerId(IpAddress.parse(B)), SessionState.ESTABLISHED);
            await("bird established with MD5", Duration.ofSeconds(15), bird::established);
        }
    }
}
