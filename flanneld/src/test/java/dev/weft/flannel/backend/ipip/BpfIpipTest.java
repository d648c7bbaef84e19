package dev.weft.flannel.backend.ipip;

import static dev.weft.flannel.backend.ipip.UserspaceIpipTest.ping;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.ipip.BpfIpipPrograms.Counter;
import dev.weft.flannel.backend.ipip.IpipLab.Kind;
import dev.weft.flannel.backend.ipip.UserspaceIpipTest.Watched;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netns.Namespace;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The bpf IPIP data path (tc programs on a veth tunl0 and on the underlay) on the real kernel,
 * against the userspace path across a router ({@link IpipLab}), and against the exact bytes of a
 * kernel ipip node.
 */
@KernelTest
class BpfIpipTest {

    private static double iperf(TestNetns client, TestNetns server, String addr, String... extra) throws Exception {
        try (Watched s = new Watched(server, "iperf3", "-s", "-1", "--forceflush", "-B", addr)) {
            s.awaitLine("Server listening");
            String[] cmd = new String[6 + extra.length];
            System.arraycopy(new String[] {"iperf3", "-c", addr, "-t", "1", "-J"}, 0, cmd, 0, 6);
            System.arraycopy(extra, 0, cmd, 6, extra.length);
            Cmd.Result r = Cmd.of(cmd).netns(client.name()).timeout(Duration.ofSeconds(30)).tryRun();
            assertTrue(r.ok(), "iperf3 failed:\n" + r.stdout() + r.stderr());
            Matcher m = Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([\\d.e+]+)").matcher(r.stdout());
            assertTrue(m.find(), r.stdout());
            s.finish(5);
            return Double.parseDouble(m.group(1)) / 1e9;
        }
    }

    @Test
    void bpfNodeAndUserspaceNodeTalkAcrossTheRouter() throws Exception {
        try (IpipLab lab = new IpipLab(Kind.BPF, Kind.USERSPACE)) {
            var link = KernelState.parse(lab.a.exec("ip", "-j", "-d", "link", "show", "dev", "tunl0")).path(0);
            assertEquals(1480, link.path("mtu").asInt());
            assertEquals("veth", link.path("linkinfo").path("info_kind").asText(), link.toString());
            assertTrue(link.path("flags").toString().contains("NOARP"), link.toString());
            assertTrue(lab.a.exec("ip", "-4", "-o", "addr", "show", "dev", "tunl0").stdout().contains("10.244.1.129/32"));
            String egress = lab.a.exec("tc", "filter", "show", "dev", "tunl0", "egress").stdout();
            assertTrue(egress.contains("weft_ipip_encap") && egress.contains("direct-action"), egress);
            String ingress = lab.a.exec("tc", "filter", "show", "dev", "eth0", "ingress").stdout();
            assertTrue(ingress.contains("weft_ipip_decap") && ingress.contains("direct-action"), ingress);

            UserspaceIpipTest.pingCapturedOnTheRouter(lab);
            ping(lab.podB, "10.244.1.2");
            Cmd.Result host = lab.a.tryExec("ping", "-c", "1", "-W", "2", "10.244.2.2");
            assertTrue(host.ok(), host.stdout() + host.stderr());

            // TCP both ways: super-segments leave tunl0 whole and are cut at the underlay. A veth
            // carries a TCP checksum still to be filled (CHECKSUM_PARTIAL) as it is, where a NIC
            // would fill it; b's raw socket would read it unfinished, so a's eth0 fills it as a NIC
            // does (a kernel b, or a bpf b, takes the pending checksum as the kernel's own)
            lab.a.exec("ethtool", "-K", "eth0", "tx", "off").orThrow();
            double ab = iperf(lab.podA, lab.podB, "10.244.2.2");
            double ba = iperf(lab.podA, lab.podB, "10.244.2.2", "-R");
            System.out.printf("BpfIpipTest: iperf3 1 s single stream, pod a (bpf) -> pod b (userspace) %.2f Gbit/s, back %.2f%n", ab, ba);
            assertTrue(ab > 0.01 && ba > 0.01, ab + " / " + ba);
            long tx = lab.bpfA.count(Counter.TX_PACKETS);
            long rx = lab.bpfA.count(Counter.RX_PACKETS);
            assertTrue(tx > 100 && rx > 100, "tx " + tx + " rx " + rx);
            assertTrue(lab.bpfA.count(Counter.TX_BYTES) / tx > 3000, "super-segments leave tunl0 whole: "
                    + lab.bpfA.count(Counter.TX_BYTES) + " bytes in " + tx);

            // an IPIP packet from a host that holds no lease (the router) never reaches tunl0: counted and left to the stack
            long before = lab.bpfA.count(Counter.UNKNOWN_SENDER);
            lab.router.exec("python3", "-c", UserspaceIpipTest.STRANGER.replace("192.168.20.2',0", "192.168.10.2',0"));
            UserspaceIpipTest.await(() -> lab.bpfA.count(Counter.UNKNOWN_SENDER), before + 1, "unknown_sender drops on a");
            String text = lab.bpfA.metricsText();
            assertTrue(text.contains("weft_ipip_drops_total{reason=\"unknown_sender\"} " + (before + 1) + "\n"), text);
            assertTrue(text.contains("weft_ipip_mode{mode=\"bpf\"} 1\n"), text);
            assertTrue(text.contains("weft_ipip_packets_total{path=\"ipip_rx\"} "), text);
            assertTrue(text.contains("weft_ipip_peers 1\n"), text);
        }
    }

    /**
     * A weftd restart (SIGTERM) leaves the bpf path forwarding as a kill -9 does: tunl0, its
     * routes and both filters stay, and the next run takes them over; removeLeftovers (a later
     * run with another Encap) removes Weft's parts only.
     */
    @Test
    void aRestartKeepsForwardingAndTheNextRunTakesOver() throws Exception {
        try (IpipLab lab = new IpipLab(Kind.BPF, Kind.BPF)) {
            ping(lab.podA, "10.244.2.2");
            lab.bpfA.closeForRestart();
            assertTrue(KernelState.link(lab.a.name(), "tunl0").isPresent(), "tunl0 stays");
            assertTrue(lab.a.exec("ip", "-4", "-o", "route", "show", "dev", "tunl0").stdout().contains("10.244.2.0/24 via 192.168.20.2"),
                    "its route stays");
            assertTrue(lab.a.exec("tc", "filter", "show", "dev", "eth0", "ingress").stdout().contains("weft_ipip_decap"));
            assertTrue(lab.a.exec("tc", "filter", "show", "dev", "tunl0", "egress").stdout().contains("weft_ipip_encap"));
            ping(lab.podA, "10.244.2.2"); // no weftd on a now

            // the next run takes tunl0 over with another tunnel address (block IPAM may give one): the old one goes
            BpfIpip next = IpipLab.startBpf(lab.a, "192.168.10.2", "10.244.1.130");
            try {
                String addrs = lab.a.exec("ip", "-4", "-o", "addr", "show", "dev", "tunl0").stdout();
                assertTrue(addrs.contains("10.244.1.130/32") && !addrs.contains("10.244.1.129"), addrs);
                next.setPeers(Map.of(Cidr.parse("10.244.2.0/24"), IpAddress.parse("192.168.20.2")));
                long before = next.count(Counter.TX_PACKETS);
                ping(lab.podA, "10.244.2.2");
                assertTrue(next.count(Counter.TX_PACKETS) >= before + 2, "the new run's programs carry the traffic");
                next.closeForRestart();
            } finally {
                next.close();
            }
            try (Namespace ns = Namespace.open(lab.a.path().toString())) {
                // a takeover that fails (here: an underlay that is not there) gives up the reused tunl0;
                // the old run's decapsulation filter stays on eth0 until removeLeftovers, which weftd
                // runs before the userspace fallback, takes it off without needing tunl0
                assertThrows(BackendException.class, () -> BpfIpip.open(ns, IpAddress.parse("192.168.10.2"), "wt-none", "tunl0", 1480,
                        IpAddress.parse("10.244.1.129")));
                assertTrue(KernelState.link(lab.a.name(), "tunl0").isEmpty(), "the failed run gave tunl0 up");
                assertTrue(lab.a.exec("tc", "filter", "show", "dev", "eth0", "ingress").stdout().contains("weft_ipip_decap"));
                int eth0 = ns.netlink().requireLink("eth0").index();
                BpfIpip.removeLeftovers(ns.netlink(), "tunl0", eth0);
                BpfIpip.removeLeftovers(ns.netlink(), "tunl0", eth0); // nothing left to remove: no error
            }
            assertTrue(KernelState.link(lab.a.name(), "tunl0").isEmpty(), "tunl0 removed");
            assertTrue(KernelState.link(lab.a.name(), "tunl0-peer").isEmpty(), "its peer too");
            assertFalse(lab.a.exec("tc", "filter", "show", "dev", "eth0", "ingress").stdout().contains("weft"));
            assertTrue(KernelState.link(lab.b.name(), "tunl0").isPresent(), "b untouched");
        }
    }

    /** The decap flag came with Linux 6.3: an older kernel would load the program and refuse every packet, so it gets userspace. */
    @Test
    void kernelsBefore63AreNotGivenTheBpfPath() {
        for (String ok : new String[] {"6.3.0", "6.18.44-fc-v1272", "7.0.1", "10.1"}) {
            assertTrue(BpfIpip.decapsulates(ok), ok);
        }
        for (String old : new String[] {"6.2.16", "6.1.0-28-amd64", "5.15.0-91-generic", "4.18.0-513.el8.x86_64", "", "x.y"}) {
            assertFalse(BpfIpip.decapsulates(old), old);
        }
    }

    /** The bpf node b takes a kernel ipip node's exact bytes and answers in tunl0's exact format. */
    @Test
    void wireFormatIsTheKernelTunnels() throws Exception {
        try (IpipLab lab = new IpipLab(Kind.USERSPACE, Kind.BPF)) {
            UserspaceIpipTest.talkToKernelNode(lab);
            assertTrue(lab.bpfB.count(Counter.RX_PACKETS) >= 1);
            assertEquals(0, lab.bpfB.count(Counter.BAD_HEADER));
        }
    }

    /** Closing removes what Weft added and nothing else; a refused open leaves nothing. */
    @Test
    void closeRemovesOnlyWeftsPartsAndAFailedOpenLeavesNothing() {
        try (TestNetns n = TestNetns.create("c"); TestNetns o = TestNetns.create("o")) {
            n.ip("link", "add", "eth0", "type", "veth", "peer", "name", "wt-o", "netns", o.name());
            n.ip("addr", "add", "192.168.40.2/24", "dev", "eth0");
            n.ip("link", "set", "eth0", "up");
            // someone else's clsact with a filter of its own on the underlay
            n.exec("tc", "qdisc", "add", "dev", "eth0", "clsact").orThrow();
            n.exec("tc", "filter", "add", "dev", "eth0", "ingress", "prio", "10", "protocol", "all",
                    "u32", "match", "u32", "0", "0", "flowid", "1:1").orThrow();
            BpfIpip b = IpipLab.startBpf(n, "192.168.40.2", "10.244.9.129");
            assertFalse(n.exec("tc", "filter", "show", "dev", "eth0", "ingress").stdout().contains("weft"),
                    "not attached before the maps hold the peers");
            b.setPeers(Map.of(Cidr.parse("10.244.8.0/24"), IpAddress.parse("192.168.40.9")));
            assertTrue(n.exec("tc", "filter", "show", "dev", "eth0", "ingress").stdout().contains("weft"), "attached with the first peers");
            b.close();
            assertTrue(KernelState.link(n.name(), "tunl0").isEmpty(), "tunl0 removed");
            assertTrue(KernelState.link(n.name(), "tunl0-peer").isEmpty(), "its peer too");
            String left = n.exec("tc", "filter", "show", "dev", "eth0", "ingress").stdout();
            assertFalse(left.contains("weft"), left);
            assertTrue(left.contains("u32"), "the other filter stays: " + left);

            // without a clsact before: it is added, then removed with the filter
            n.exec("tc", "qdisc", "del", "dev", "eth0", "clsact").orThrow();
            BpfIpip again = IpipLab.startBpf(n, "192.168.40.2", "10.244.9.129");
            again.setPeers(Map.of(Cidr.parse("10.244.8.0/24"), IpAddress.parse("192.168.40.9")));
            assertTrue(n.exec("tc", "qdisc", "show", "dev", "eth0").stdout().contains("clsact"), "clsact added");
            again.close();
            assertFalse(n.exec("tc", "qdisc", "show", "dev", "eth0").stdout().contains("clsact"));

            // refused: an underlay that does not exist; an MTU out of range
            try (Namespace ns = Namespace.open(n.path().toString())) {
                assertThrows(BackendException.class, () -> BpfIpip.open(ns, IpAddress.parse("192.168.40.2"), "wt-none", "tunl0", 1480,
                        IpAddress.parse("10.244.9.129")));
                assertThrows(BackendException.class, () -> BpfIpip.open(ns, IpAddress.parse("192.168.40.2"), "eth0", "tunl0", 70_000,
                        IpAddress.parse("10.244.9.129")));
            }
            assertTrue(KernelState.link(n.name(), "tunl0").isEmpty(), "nothing left after a refused open");
            assertFalse(n.exec("tc", "qdisc", "show", "dev", "eth0").stdout().contains("clsact"));
        }
    }
}
