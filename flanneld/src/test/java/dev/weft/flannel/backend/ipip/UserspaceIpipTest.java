package dev.weft.flannel.backend.ipip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.udp.Ipv4Packets;
import dev.weft.flannel.backend.udp.UdpMetrics;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netns.Namespace;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The userspace IPIP data path between two nodes across a router ({@link IpipLab}), on the real kernel. */
@KernelTest
class UserspaceIpipTest {

    static void ping(TestNetns from, String dst) {
        Cmd.Result r = from.tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", dst);
        assertTrue(r.ok(), "ping " + dst + " from " + from + " failed:\n" + r.stdout() + r.stderr());
    }

    private static String perBatch(UserspaceIpip u, UdpMetrics.Path p) {
        return String.format(java.util.Locale.ROOT, "%.1f", u.metrics().batchPackets(p) / (double) Math.max(1, u.metrics().batches(p)));
    }

    static void await(LongSupplier v, long atLeast, String what) throws InterruptedException {
        long end = System.nanoTime() + 5_000_000_000L;
        while (v.getAsLong() < atLeast && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertTrue(v.getAsLong() >= atLeast, what + ": " + v.getAsLong() + " < " + atLeast);
    }

    /** A process in a namespace whose merged output is collected; {@link #awaitLine} waits for a line. */
    static final class Watched implements AutoCloseable {
        final Process p;
        final StringBuffer out = new StringBuffer();
        private final Thread reader;

        Watched(TestNetns ns, String... cmd) throws Exception {
            p = new ProcessBuilder(Cmd.inNetns(ns.name(), cmd)).redirectErrorStream(true).start();
            reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        out.append(l).append('\n');
                    }
                } catch (java.io.IOException e) {
                    out.append("read failed: ").append(e).append('\n');
                }
            }, "watched-output");
            reader.setDaemon(true);
            reader.start();
        }

        void awaitLine(String contains) throws InterruptedException {
            long end = System.nanoTime() + 10_000_000_000L;
            while (!out.toString().contains(contains)) {
                assertTrue(System.nanoTime() < end && p.isAlive(), "no '" + contains + "' from " + p.info().commandLine() + ":\n" + out);
                Thread.sleep(20);
            }
        }

        String finish(int seconds) throws InterruptedException {
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroy();
                p.waitFor(2, TimeUnit.SECONDS);
            }
            reader.join(5_000); // the reader's last lines: it ends at the output's end
            return out.toString();
        }

        @Override
        public void close() {
            p.destroyForcibly();
        }
    }

    /** Pod a pings pod b while the router captures: protocol-4 packets both ways, the pods' packets inside. */
    static void pingCapturedOnTheRouter(IpipLab lab) throws Exception {
        try (Watched dump = new Watched(lab.router, "timeout", "10", "tcpdump", "-i", "r20", "-n", "-v", "-l", "-c", "2", "ip proto 4")) {
            dump.awaitLine("listening on");
            ping(lab.podA, "10.244.2.2");
            String cap = dump.finish(5);
            assertTrue(cap.contains("proto IPIP (4)"), cap);
            assertTrue(cap.contains("192.168.10.2 > 192.168.20.2: IP "), cap);
            assertTrue(cap.contains("10.244.1.2 > 10.244.2.2: ICMP echo request"), cap);
            assertTrue(cap.contains("192.168.20.2 > 192.168.10.2: IP "), cap);
            assertTrue(cap.contains("10.244.2.2 > 10.244.1.2: ICMP echo reply"), cap);
        }
    }

    @Test
    void podsTalkAcrossTheRouterInIpip() throws Exception {
        try (IpipLab lab = new IpipLab()) {
            // the device as the bgp backend gets it: a TUN named tunl0, MTU underlay − 20, the tunnel address
            var link = KernelState.parse(lab.a.exec("ip", "-j", "-d", "link", "show", "dev", "tunl0")).path(0);
            assertEquals(1480, link.path("mtu").asInt());
            assertEquals("tun", link.path("linkinfo").path("info_kind").asText(), link.toString());
            assertTrue(lab.a.exec("ip", "-4", "-o", "addr", "show", "dev", "tunl0").stdout().contains("10.244.1.129/32"));
            assertTrue(lab.a.exec("ip", "route", "show", "10.244.2.0/24").stdout().contains("dev tunl0 onlink"));

            pingCapturedOnTheRouter(lab);
            ping(lab.podB, "10.244.1.2");
            // host → pod: the source is the tunnel address on tunl0, and the answer comes back to it
            Cmd.Result host = lab.a.tryExec("ping", "-c", "1", "-W", "2", "10.244.2.2");
            assertTrue(host.ok(), host.stdout() + host.stderr());
            assertTrue(lab.a.exec("ip", "route", "get", "10.244.2.2").stdout().contains("src 10.244.1.129"));

            // TCP: a few seconds of iperf3, single stream
            try (Watched server = new Watched(lab.podB, "iperf3", "-s", "-1", "--forceflush", "-B", "10.244.2.2")) {
                server.awaitLine("Server listening");
                Cmd.Result r = Cmd.of("iperf3", "-c", "10.244.2.2", "-t", "3", "-J").netns(lab.podA.name())
                        .timeout(Duration.ofSeconds(30)).tryRun();
                assertTrue(r.ok(), "iperf3 failed:\n" + r.stdout() + r.stderr());
                Matcher m = Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([\\d.e+]+)").matcher(r.stdout());
                assertTrue(m.find(), r.stdout());
                double gbps = Double.parseDouble(m.group(1)) / 1e9;
                System.out.printf("UserspaceIpipTest: iperf3 3 s single stream pod a -> pod b: %.2f Gbit/s%n", gbps);
                System.out.println("UserspaceIpipTest: per syscall: a tun_rx " + perBatch(lab.ipipA, UdpMetrics.Path.TUN_RX) + ", a ipip_tx " + perBatch(lab.ipipA, UdpMetrics.Path.UDP_TX) + ", b ipip_rx " + perBatch(lab.ipipB, UdpMetrics.Path.UDP_RX) + ", b tun_tx " + perBatch(lab.ipipB, UdpMetrics.Path.TUN_TX) + " packets; offloads " + lab.ipipA.metrics().offloads());
                assertTrue(gbps > 0.01, "throughput " + gbps);
                server.finish(5);
            }
            UdpMetrics mb = lab.ipipB.metrics();
            assertTrue(mb.tunTxPackets() > 1000, mb.toString());
            assertEquals(0, mb.udpRxDropped(), mb.toString());
            assertEquals(0, lab.ipipA.metrics().tunRxDropped(), "nothing but IPv4 comes out of tunl0: " + lab.ipipA.metrics());

            // an IPIP packet from a host that is not a node (the router) is dropped and counted
            long before = mb.drops(UdpMetrics.Drop.UNKNOWN_SENDER);
            long written = mb.tunTxPackets();
            lab.router.exec("python3", "-c", STRANGER);
            await(() -> mb.drops(UdpMetrics.Drop.UNKNOWN_SENDER), before + 1, "unknown_sender drops on b");
            assertEquals(written, mb.tunTxPackets(), "nothing of it reached the TUN");
            String text = lab.ipipB.metricsText();
            assertTrue(text.contains("weft_ipip_drops_total{reason=\"unknown_sender\"} " + (before + 1) + "\n"), text);
            assertTrue(text.contains("weft_ipip_mode{mode=\"userspace\"} 1\n"), text);
            assertTrue(text.contains("weft_ipip_packets_total{path=\"ipip_rx\"} "), text);
        }
    }

    /** Python: an IPIP packet (kernel-made outer header, source 192.168.20.1) around a pod ping, to node b. */
    static final String PY_LIB = "import socket,struct,select,sys,time,json\n"
            + "def csum(b):\n"
            + " b=b+b'\\0'*(len(b)%2);s=sum(struct.unpack('!%dH'%(len(b)//2),b))\n"
            + " while s>>16: s=(s&0xffff)+(s>>16)\n"
            + " return ~s&0xffff\n"
            + "def iph(tos,total,ident,frag,ttl,proto,src,dst):\n"
            + " h=struct.pack('!BBHHHBBH4s4s',0x45,tos,total,ident,frag,ttl,proto,0,socket.inet_aton(src),socket.inet_aton(dst))\n"
            + " return h[:10]+struct.pack('!H',csum(h))+h[12:]\n"
            + "def echo(src,dst,ttl,tos):\n"
            + " icmp=struct.pack('!BBHHH',8,0,0,0x77,1)+b'weft-ipip-interop'*3\n"
            + " icmp=icmp[:2]+struct.pack('!H',csum(icmp))+icmp[4:]\n"
            + " return iph(tos,20+len(icmp),0x4242,0x4000,ttl,1,src,dst)+icmp\n";
    static final String STRANGER = PY_LIB
            + "s=socket.socket(socket.AF_INET,socket.SOCK_RAW,4)\n"
            + "s.sendto(echo('10.244.1.2','10.244.2.2',63,0),('192.168.20.2',0))\n";
    /**
     * Python on k (192.168.30.2), a node with the kernel's tunl0 as far as node b can tell: sends
     * the exact bytes tunl0 emits (ttl inherit, nopmtudisc, TOS 0 with the inner ECN) for a pod
     * ping 10.244.3.2 → 10.244.2.2, then prints every IPIP packet it receives for argv[1] seconds.
     */
    static final String KERNEL_NODE = PY_LIB
            + "rx=socket.socket(socket.AF_INET,socket.SOCK_RAW,4)\n"
            + "tx=socket.socket(socket.AF_INET,socket.SOCK_RAW,socket.IPPROTO_RAW)\n"
            + "inner=echo('10.244.3.2','10.244.2.2',63,0x02)\n"
            + "outer=iph(0x02,20+len(inner),0x1234,0x4000,63,4,'192.168.30.2','192.168.20.2')\n"
            + "print('ready',flush=True)\n"
            + "tx.sendto(outer+inner,('192.168.20.2',0))\n"
            + "end=time.time()+float(sys.argv[1])\n"
            + "while True:\n"
            + " left=end-time.time()\n"
            + " if left<=0 or not select.select([rx],[],[],left)[0]: break\n"
            + " print('got',rx.recv(65535).hex(),flush=True)\n";

    /**
     * Wire compatibility with a kernel ipip node, which this kernel cannot run: node k sends the
     * exact bytes of the kernel's tunl0 and node b (userspace) must take them into its pod; what b
     * sends back must have every outer field as tunl0 sets it (checked against the inner packet:
     * TTL inherited, DF copied, ECN encapsulated, protocol 4, IHL 5, valid checksum).
     */
    @Test
    void wireFormatIsTheKernelTunnels() throws Exception {
        try (IpipLab lab = new IpipLab()) {
            talkToKernelNode(lab);
            assertTrue(lab.ipipB.metrics().tunTxPackets() >= 1);
        }
    }

    /**
     * Node k plays a kernel ipip node towards node b (whichever data path b runs): k's exact
     * tunl0 bytes must reach pod b, and b's packets to k must carry tunl0's outer fields.
     */
    static void talkToKernelNode(IpipLab lab) throws Exception {
        lab.b.ip("route", "add", "10.244.3.0/24", "via", "192.168.30.2", "dev", "tunl0", "onlink");
        lab.setPeersB(Map.of(
                Cidr.parse("10.244.1.0/24"), IpAddress.parse("192.168.10.2"),
                Cidr.parse("10.244.3.0/24"), IpAddress.parse("192.168.30.2")));
        List<ByteBuf> got = new ArrayList<>();
        try (Watched k = new Watched(lab.k, "python3", "-c", KERNEL_NODE, "3")) {
            k.awaitLine("ready");
            // pod b pings pod k's address: DF on and off, TTL 30, each ECN codepoint
            lab.podB.tryExec("ping", "-c", "1", "-W", "1", "-M", "dont", "-t", "30", "-Q", "0x01", "10.244.3.2");
            lab.podB.tryExec("ping", "-c", "1", "-W", "1", "-M", "do", "-Q", "0x03", "10.244.3.2");
            String out = k.finish(10);
            for (String l : out.lines().toList()) {
                if (l.startsWith("got ")) {
                    got.add(Unpooled.wrappedBuffer(HexFormat.of().parseHex(l.substring(4))));
                }
            }
            assertTrue(got.size() >= 3, "echo reply and two requests expected at k:\n" + out);
        }
        boolean reply = false;
        boolean dfOff = false;
        boolean ce = false;
        for (ByteBuf p : got) {
            String what = ByteBufUtil.hexDump(p);
            assertEquals(0x45, p.getUnsignedByte(0), "version 4, IHL 5: " + what);
            assertEquals(4, p.getUnsignedByte(9), "protocol IPIP: " + what);
            assertEquals(0, Ipv4Packets.checksum(p, 0, 20), "outer checksum: " + what);
            assertEquals(IpAddress.parse("192.168.20.2").toV4Int(), p.getInt(12), "source: node b");
            assertEquals(IpAddress.parse("192.168.30.2").toV4Int(), p.getInt(16), "destination: node k");
            int innerTotal = p.getUnsignedShort(22);
            assertEquals(20 + innerTotal, p.getUnsignedShort(2), "outer length: " + what);
            assertEquals(p.readableBytes(), p.getUnsignedShort(2), "nothing after the inner packet");
            // one router between b and k has decremented the outer TTL once
            assertEquals(p.getUnsignedByte(28) - 1, p.getUnsignedByte(8), "TTL inherited from the inner: " + what);
            int innerDf = p.getUnsignedShort(26) & 0x4000;
            assertEquals(innerDf, p.getUnsignedShort(6), "DF copied, no fragment: " + what);
            int innerEcn = p.getUnsignedByte(21) & 3;
            assertEquals(innerEcn == 3 ? 2 : innerEcn, p.getUnsignedByte(1), "TOS: the inner ECN (CE as ECT(0)): " + what);
            int icmpType = p.getUnsignedByte(40);
            if (icmpType == 0 && p.getUnsignedShort(44) == 0x77) {
                reply = true; // pod b answered the kernel-format request: decapsulation worked
                assertEquals(63, p.getUnsignedByte(28), "pod's TTL 64 less b's forwarding");
            } else if (icmpType == 8 && innerDf == 0) {
                dfOff = true;
                assertEquals(29, p.getUnsignedByte(28), "ping -t 30, forwarded once");
            } else if (icmpType == 8 && innerEcn == 3) {
                ce = true;
            }
        }
        assertTrue(reply && dfOff && ce, "reply " + reply + ", DF-off request " + dfOff + ", CE request " + ce);
    }

    /** Bad arguments and a failed step: a clear error, and no TUN left behind. */
    @Test
    void failedOpenLeavesNothing(TestNetns ns) {
        try (Namespace n = Namespace.open(ns.path().toString())) {
            BackendException mtu = assertThrows(BackendException.class,
                    () -> UserspaceIpip.open(n, IpAddress.parse("192.0.2.1"), "tunl0", 40, IpAddress.parse("10.244.1.129")));
            assertTrue(mtu.getMessage().contains("MTU 40"), mtu.getMessage());
            assertThrows(BackendException.class,
                    () -> UserspaceIpip.open(n, IpAddress.parse("2001:db8::1"), "tunl0", 1480, IpAddress.parse("10.244.1.129")));
            // the underlay address is not the namespace's: the socket's bind fails after the TUN was made
            BackendException bind = assertThrows(BackendException.class,
                    () -> UserspaceIpip.open(n, IpAddress.parse("192.0.2.1"), "tunl0", 1480, IpAddress.parse("10.244.1.129")));
            assertTrue(bind.getMessage().contains("bind raw IPIP socket to 192.0.2.1"), bind.getMessage());
        }
        String links = ns.exec("ip", "-o", "link", "show").stdout();
        assertFalse(links.contains("tunl0"), links);
    }

    /** On this kernel there is no ipip driver: the probe says so and leaves nothing behind. */
    @Test
    void probeFindsNoIpipDriverAndCleansUp(TestNetns ns) {
        try (Namespace n = Namespace.open(ns.path().toString())) {
            assertFalse(UserspaceIpip.kernelHasIpip(n));
        }
        String links = ns.exec("ip", "-o", "link", "show").stdout();
        assertFalse(links.contains("wt-ipp"), links);
    }
}
