package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.Underlay;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * weftd's bgp backend with Encap VXLAN and CrossSubnet (Calico's VXLANCrossSubnet) on two L2
 * subnets joined by a router namespace that forwards but knows no pod route: pods on one subnet
 * talk unencapsulated (a capture on the L2 shows the pods' own packets), pods across the router
 * are VXLAN-encapsulated (a capture on the router shows only UDP 8472 between node addresses).
 * Then the same cluster is restarted with CrossSubnet off and again on, under pings each time: every
 * same-subnet route moves onto the vxlan device and back, none stays behind (calico#1325), and at
 * most 2 % of the pings are lost.
 */
@KernelTest
class BgpVxlanCrossSubnetE2eTest {
    static final String SUBNET_B = "192.168.20.0/24";

    /** Weft's (protocol 87) routes to pod subnets, as "dst via gw dev d [onlink]". */
    static Set<String> podRoutes(SimCluster.Node n) {
        Set<String> s = new TreeSet<>();
        for (RouteInfo r : KernelState.routes(n.netns(), 4)) {
            if (r.protocol().equals("87") && r.dst().startsWith("10.244.")) {
                s.add(r.dst() + " via " + r.gateway() + " dev " + r.dev() + (r.flags().contains("onlink") ? " onlink" : ""));
            }
        }
        return s;
    }

    static Set<String> expected(SimCluster c, SimCluster.Node self, boolean crossSubnet) {
        Set<String> s = new TreeSet<>();
        String mine = self.address().substring(0, self.address().lastIndexOf('.'));
        for (SimCluster.Node o : c.nodes()) {
            if (o.equals(self)) {
                continue;
            }
            String sub = BgpBackendE2eTest.subnet(o);
            boolean same = o.address().startsWith(mine + ".");
            s.add(crossSubnet && same ? sub + " via " + o.address() + " dev eth0"
                    : sub + " via " + sub.substring(0, sub.indexOf('/')) + " dev flannel.1 onlink");
        }
        return s;
    }

    @Test
    void sameSubnetIsRoutedPlainAndCrossSubnetIsEncapsulatedThenCrossSubnetOffMovesEveryRoute() throws Exception {
        long t0 = System.nanoTime();
        SimCluster.Options o = SimCluster.Options.of(2, "{\"Type\":\"bgp\",\"Encap\":\"VXLAN\",\"CrossSubnet\":true}")
                // -ip-masq: weftd masquerades only what leaves the Network, so the bridge plugin does not
                // (flannel's CNI sets ipMasq = !FLANNEL_IPMASQ) and captures show the pods' own addresses.
                .withExtraArgs(List.of("-bgp-status-socket", BgpBackendE2eTest.SOCKET_ARG, "-ip-masq"));
        try (SimCluster c = SimCluster.start(o); SecondSubnet b = SecondSubnet.join(c, SUBNET_B)) {
            Underlay.Node rt = b.router();
            SimCluster.Node n3 = b.addNode(c, "n3");
            c.awaitSubnetEnv(n3, Duration.ofSeconds(60));
            SimCluster.Node n1 = c.node(0);
            SimCluster.Node n2 = c.node(1);
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(15), () -> expected(c, n, true), () -> podRoutes(n),
                        "VXLANCrossSubnet routes of " + n.name());
                assertEquals("1450", SimCluster.readSubnetEnv(n).get("FLANNEL_MTU"), "VXLAN costs 50 bytes");
            }
            ClusterAssertions.eventually(Duration.ofSeconds(10), () -> BgpBackendE2eTest.established(n1, n3)
                    && BgpBackendE2eTest.established(n3, n2), "the mesh crosses the router");
            SimCluster.Pod a = c.addPod(n1);
            SimCluster.Pod pb = c.addPod(n2);
            SimCluster.Pod d = c.addPod(n3);

            // Same subnet: the pods' own ICMP on n2's eth0.
            Path cap = c.work().resolve("same.pcap");
            Tcpdump t = Tcpdump.start(n2.netns(), "eth0", cap, "icmp or udp port 8472");
            assertTrue(a.netns().tryExec("ping", "-c", "5", "-i", "0.2", "-W", "2", pb.ip()).ok(), "a -> b");
            List<Pcap.Frame> same = Pcap.read(t.stop());
            t.close();
            assertTrue(count(same, a.ip(), pb.ip(), 1) >= 5, "plain pod packets on the L2: " + describe(same));
            assertEquals(0, same.stream().filter(f -> Pcap.udp(f) != null).count(), "nothing encapsulated on the same L2");

            // Across the router: only VXLAN between node addresses on the router's subnet-A side.
            cap = c.work().resolve("cross.pcap");
            t = Tcpdump.start(rt.netns(), "eth0", cap, "icmp or udp port 8472");
            assertTrue(a.netns().tryExec("ping", "-c", "5", "-i", "0.2", "-W", "2", d.ip()).ok(), "a -> d");
            assertTrue(d.netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", pb.ip()).ok(), "d -> b");
            List<Pcap.Frame> cross = Pcap.read(t.stop());
            t.close();
            long vxlan = cross.stream().map(Pcap::udp).filter(u -> u != null && u.dstPort() == 8472).count();
            assertTrue(vxlan >= 16, "encapsulated frames through the router: " + vxlan);
            assertEquals(0, count(cross, a.ip(), d.ip(), 1) + count(cross, d.ip(), a.ip(), 1), "no plain pod packet on the router");
            System.out.println("BgpVxlanCrossSubnetE2eTest: CrossSubnet checked after " + (System.nanoTime() - t0) / 1_000_000 + " ms");

            // CrossSubnet off, then on again, each under traffic (weftd reads its net-conf at start, for
            // every backend, so a change is a restart of every weftd): each time every route moves
            // and none stays behind on the old device.
            for (boolean crossSubnet : new boolean[] {false, true}) {
                c.etcd().put(SimCluster.PREFIX + "/config", "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"bgp\","
                        + "\"Encap\":\"VXLAN\",\"CrossSubnet\":" + crossSubnet + "}}");
                CompletableFuture<Cmd.Result> onL2 = CompletableFuture.supplyAsync(
                        () -> a.netns().tryExec("ping", "-c", "200", "-i", "0.02", "-W", "1", pb.ip()));
                CompletableFuture<Cmd.Result> across = CompletableFuture.supplyAsync(
                        () -> d.netns().tryExec("ping", "-c", "200", "-i", "0.02", "-W", "1", a.ip()));
                SimCluster.sleep(500);
                for (SimCluster.Node n : c.nodes()) {
                    n.weftd().restart();
                }
                for (SimCluster.Node n : c.nodes()) {
                    ClusterAssertions.eventually(Duration.ofSeconds(30), () -> expected(c, n, crossSubnet), () -> podRoutes(n),
                            "routes of " + n.name() + " after CrossSubnet was turned " + (crossSubnet ? "on" : "off"));
                    assertEquals(Set.of(), BgpBackendE2eTest.bgpRoutes(n), "no BGP (protocol 88) route left on " + n.name());
                }
                int lossSame = BgpBackendE2eTest.lossPercent(onL2.join().stdout());
                int lossAcross = BgpBackendE2eTest.lossPercent(across.join().stdout());
                System.out.println("BgpVxlanCrossSubnetE2eTest: CrossSubnet " + (crossSubnet ? "on" : "off") + " under 200 pings: "
                        + lossSame + " % loss on the L2, " + lossAcross + " % across the router");
                assertTrue(lossSame <= 2 && lossAcross <= 2, "loss " + lossSame + " % / " + lossAcross + " %");
                assertTrue(a.netns().tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", pb.ip()).ok(), "a -> b");
                assertTrue(a.netns().tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", d.ip()).ok(), "a -> d");
            }
            for (SimCluster.Node n : c.nodes()) {
                n.weftd().kill(); // before the second underlay goes
            }
        }
        System.out.println("BgpVxlanCrossSubnetE2eTest: total " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    static String describe(List<Pcap.Frame> frames) {
        StringBuilder s = new StringBuilder();
        for (Pcap.Frame f : frames) {
            byte[] x = f.data();
            s.append(x.length >= 34 ? Pcap.u16(x, 12) + " " + (x[23] & 0xff) + " " + Pcap.addr(x, 26) + " > " + Pcap.addr(x, 30) : "short " + x.length).append("; ");
        }
        return s.toString();
    }

    /** Plain IPv4 frames of {@code proto} from {@code src} to {@code dst}. */
    static long count(List<Pcap.Frame> frames, String src, String dst, int proto) {
        return frames.stream().filter(f -> {
            byte[] x = f.data();
            return x.length >= 34 && Pcap.u16(x, 12) == 0x0800 && (x[23] & 0xff) == proto
                    && Pcap.addr(x, 26).equals(src) && Pcap.addr(x, 30).equals(dst);
        }).count();
    }
}
