package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testkit.KernelTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * weftd's bgp backend with Encap IPIP and CrossSubnet (Calico's IPIP CrossSubnet mode) on two L2
 * subnets joined by a router that knows no pod route. This kernel has no ipip driver, so tunl0 is
 * weftd's bpf data path (tc programs on a veth tunl0 and on eth0): pods on one subnet talk unencapsulated ({@code via <node> dev
 * eth0}), pods across the router through {@code via <node> dev tunl0 onlink}, and a capture on the
 * router shows protocol-4 packets between node addresses whose inner header is the pods'.
 */
@KernelTest
class BgpIpipCrossSubnetE2eTest {

    static Set<String> expected(SimCluster c, SimCluster.Node self) {
        Set<String> s = new TreeSet<>();
        String mine = self.address().substring(0, self.address().lastIndexOf('.'));
        for (SimCluster.Node o : c.nodes()) {
            if (!o.equals(self)) {
                boolean same = o.address().startsWith(mine + ".");
                s.add(BgpBackendE2eTest.subnet(o) + " via " + o.address() + (same ? " dev eth0" : " dev tunl0 onlink"));
            }
        }
        return s;
    }

    @Test
    void sameSubnetIsPlainAndAcrossTheRouterIsIpipInTheKernelsFormat() throws Exception {
        long t0 = System.nanoTime();
        SimCluster.Options o = SimCluster.Options.of(2, "{\"Type\":\"bgp\",\"Encap\":\"IPIP\",\"CrossSubnet\":true}")
                // weftd masquerades only what leaves the Network, so captures show the pods' addresses
                .withExtraArgs(List.of("-bgp-status-socket", BgpBackendE2eTest.SOCKET_ARG, "-ip-masq"));
        try (SimCluster c = SimCluster.start(o); SecondSubnet two = SecondSubnet.join(c, BgpVxlanCrossSubnetE2eTest.SUBNET_B)) {
            SimCluster.Node n3 = two.addNode(c, "n3");
            c.awaitSubnetEnv(n3, Duration.ofSeconds(60));
            SimCluster.Node n1 = c.node(0);
            SimCluster.Node n2 = c.node(1);
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(20), () -> expected(c, n), () -> BgpBackendE2eTest.bgpRoutes(n),
                        "IPIP CrossSubnet routes of " + n.name());
                assertEquals("1480", SimCluster.readSubnetEnv(n).get("FLANNEL_MTU"), "IPIP costs 20 bytes");
            }
            SimCluster.Pod a = c.addPod(n1);
            SimCluster.Pod pb = c.addPod(n2);
            SimCluster.Pod d = c.addPod(n3);

            // Same subnet: the pods' own ICMP on n2's L2, nothing of protocol 4.
            Path cap = c.work().resolve("same.pcap");
            Tcpdump t = Tcpdump.start(n2.netns(), "eth0", cap, "icmp or ip proto 4");
            assertTrue(a.netns().tryExec("ping", "-c", "5", "-i", "0.2", "-W", "2", pb.ip()).ok(), "a -> b");
            List<Pcap.Frame> same = Pcap.read(t.stop());
            t.close();
            assertTrue(BgpVxlanCrossSubnetE2eTest.count(same, a.ip(), pb.ip(), 1) >= 5,
                    "plain pod packets on the L2: " + BgpVxlanCrossSubnetE2eTest.describe(same));
            assertEquals(0, ipip(same).size(), "nothing encapsulated on the same L2");

            // Across the router: protocol 4 between the node addresses, the pods' ICMP inside.
            cap = c.work().resolve("cross.pcap");
            t = Tcpdump.start(two.router().netns(), "eth0", cap, "icmp or ip proto 4");
            assertTrue(a.netns().tryExec("ping", "-c", "5", "-i", "0.2", "-W", "2", d.ip()).ok(), "a -> d");
            assertTrue(d.netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", pb.ip()).ok(), "d -> b");
            List<Pcap.Frame> cross = Pcap.read(t.stop());
            t.close();
            List<Pcap.Frame> enc = ipip(cross);
            long aToD = enc.stream().filter(f -> Pcap.addr(f.data(), 26).equals(n1.address())
                    && Pcap.addr(f.data(), 30).equals(n3.address()) && inner(f, a.ip(), d.ip())).count();
            long dToA = enc.stream().filter(f -> Pcap.addr(f.data(), 26).equals(n3.address())
                    && Pcap.addr(f.data(), 30).equals(n1.address()) && inner(f, d.ip(), a.ip())).count();
            assertTrue(aToD >= 5 && dToA >= 5, "IPIP both ways with the pods' inner header: " + aToD + " / " + dToA
                    + "; " + BgpVxlanCrossSubnetE2eTest.describe(cross));
            assertEquals(0, BgpVxlanCrossSubnetE2eTest.count(cross, a.ip(), d.ip(), 1), "no plain pod packet on the router");
            assertTrue(n1.weftd().logTail(20000).contains("IPIP data path: bpf"), "weftd says which IPIP data path runs");

            // A clean stop (SIGTERM, a rolling update) of the encapsulating node is a restart: tunl0,
            // its routes and the tc programs stay and forward until the new weftd takes them over.
            var ping = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> a.netns().tryExec("ping", "-c", "300", "-i", "0.02", "-W", "1", d.ip()));
            SimCluster.sleep(1000);
            long mark = n1.weftd().logSize();
            n1.weftd().restart();
            var r = ping.join();
            int loss = BgpBackendE2eTest.lossPercent(r.stdout());
            System.out.println("BgpIpipCrossSubnetE2eTest: SIGTERM restart of the bpf IPIP node during 300 pings: " + loss + " % loss");
            assertTrue(loss <= 1, "loss " + loss + " %: " + r.stdout());
            assertTrue(n1.weftd().logFrom(mark).contains("the filters stay for the next run (restart)"),
                    "a clean stop, not a kill after the stop timed out: " + n1.weftd().logFrom(mark));
            ClusterAssertions.eventually(Duration.ofSeconds(20), () -> expected(c, n1), () -> BgpBackendE2eTest.bgpRoutes(n1),
                    "IPIP CrossSubnet routes of n1 after the restart");
            assertTrue(a.netns().tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", d.ip()).ok(), "a -> d after the restart");
            for (SimCluster.Node n : c.nodes()) {
                n.weftd().kill(); // before the second underlay goes
            }
        }
        System.out.println("BgpIpipCrossSubnetE2eTest: total " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    /** IPv4 frames of protocol 4 (IPIP). */
    static List<Pcap.Frame> ipip(List<Pcap.Frame> frames) {
        return frames.stream().filter(f -> f.data().length >= 54 && Pcap.u16(f.data(), 12) == 0x0800
                && (f.data()[23] & 0xff) == 4).toList();
    }

    /** Whether the inner IPv4 header (after a 20-byte outer one) is src -> dst. */
    static boolean inner(Pcap.Frame f, String src, String dst) {
        byte[] x = f.data();
        return (x[14] & 0x0f) == 5 && Pcap.addr(x, 34 + 12).equals(src) && Pcap.addr(x, 34 + 16).equals(dst);
    }
}
