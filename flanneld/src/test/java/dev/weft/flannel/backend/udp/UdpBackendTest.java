package dev.weft.flannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.backend.TestLeases;
import dev.weft.flannel.backend.TestNode;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.net.Cidr;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.Underlay;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on an underlay, each running the udp backend in its namespace with the other's lease,
 * and a "pod" address (.1 of its subnet on a bridge).
 */
@KernelTest
class UdpBackendTest {
    private static final String CONF = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"udp\",\"Port\":8285}}";

    private static UdpBackend startNode(TestNode n, String subnet) {
        return startNode(n, subnet, true);
    }

    private static UdpBackend startNode(TestNode n, String subnet, boolean offloads) {
        return startNode(n, subnet, offloads, 0);
    }

    private static UdpBackend startNode(TestNode n, String subnet, boolean offloads, int threads) {
        return startNode(n, subnet, UdpSettings.DEFAULT.withOffloads(offloads).withThreads(threads));
    }

    private static UdpBackend startNode(TestNode n, String subnet, UdpSettings settings) {
        UdpBackend b = n.track(new UdpBackend(n.context(CONF), settings));
        LeaseAttrs attrs = b.prepare();
        b.start(TestLeases.own(subnet, attrs));
        Cidr s = Cidr.parse(subnet);
        n.sh("ip", "link", "add", "wt-pod", "type", "bridge");
        n.sh("ip", "addr", "add", s.networkAddress().next() + "/" + s.prefixLength(), "dev", "wt-pod");
        n.sh("ip", "link", "set", "wt-pod", "up");
        return b;
    }

    private static void ping(TestNode from, String src, String dst) {
        Cmd.Result r = from.node.tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", "-I", src, dst);
        assertTrue(r.ok(), "ping " + src + " -> " + dst + " failed:\n" + r);
    }

    private static void await(LongSupplier v, long atLeast, String what) throws InterruptedException {
        long end = System.nanoTime() + 5_000_000_000L;
        while (v.getAsLong() < atLeast && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertTrue(v.getAsLong() >= atLeast, what + ": " + v.getAsLong() + " < " + atLeast);
    }

    /** Both nodes up with each other's lease: {a, b}. */
    private static UdpBackend[] pair(TestNode a, TestNode b) {
        return pair(a, b, true);
    }

    private static UdpBackend[] pair(TestNode a, TestNode b, boolean offloads) {
        return pair(a, b, offloads, 0);
    }

    private static UdpBackend[] pair(TestNode a, TestNode b, boolean offloads, int threads) {
        return pair(a, b, UdpSettings.DEFAULT.withOffloads(offloads).withThreads(threads));
    }

    private static UdpBackend[] pair(TestNode a, TestNode b, UdpSettings settings) {
        UdpBackend ba = startNode(a, "10.244.1.0/24", settings);
        UdpBackend bb = startNode(b, "10.244.2.0/24", settings);
        Lease la = TestLeases.own("10.244.1.0/24", ba.leaseAttrs());
        Lease lb = TestLeases.own("10.244.2.0/24", bb.leaseAttrs());
        ba.handle(TestLeases.snapshot(List.of(lb, la))); // its own lease in the snapshot is skipped
        bb.handle(TestLeases.added(la));
        return new UdpBackend[] {ba, bb};
    }

    @Test
    void deviceLeaseAndRouteLookLikeFlannels(Underlay ul, @TempDir Path sa) {
        try (TestNode a = TestNode.of(ul.addNode("a"), sa)) {
            UdpBackend b = startNode(a, "10.244.1.0/24");
            assertEquals("flannel0", b.deviceName());
            assertEquals("{\"PublicIP\":\"" + a.ext.extAddr() + "\",\"PublicIPv6\":null}", b.leaseAttrs().toJson());
            assertEquals(a.ext.mtu() - 28, b.mtu());
            var link = KernelState.parse(a.node.exec("ip", "-j", "link", "show", "dev", "flannel0")).path(0);
            assertEquals(a.ext.mtu() - 28, link.path("mtu").asInt());
            String addr = a.node.exec("ip", "-4", "-o", "addr", "show", "dev", "flannel0").stdout();
            assertTrue(addr.contains("10.244.1.0/32"), addr);
            String routes = a.node.exec("ip", "route", "show", "10.244.0.0/16").stdout();
            assertTrue(routes.contains("dev flannel0"), routes);
            String ss = a.node.exec("ss", "-uln").stdout();
            assertTrue(ss.contains(a.ext.ifaceAddr() + ":8285"), ss);
        }
    }

    /** Receives one TCP connection on 10.244.2.1:5555 and prints the SHA-256 of what came. */
    private static final String SINK = "import socket,hashlib\n"
            + "s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('10.244.2.1',5555));s.listen(1)\n"
            + "c,_=s.accept();h=hashlib.sha256();n=0\n"
            + "while True:\n d=c.recv(1<<20)\n if not d: break\n h.update(d);n+=len(d)\n"
            + "print(n,h.hexdigest())\n";
    /** Sends 48 MiB of seeded pseudo-random bytes from 10.244.1.1 and prints their SHA-256. */
    private static final String SOURCE = "import socket,hashlib,random,time\n"
            + "r=random.Random(5);h=hashlib.sha256();n=0\n"
            + "for i in range(50):\n"
            + " try:\n  c=socket.create_connection(('10.244.2.1',5555),source_address=('10.244.1.1',0));break\n"
            + " except OSError: time.sleep(0.1)\n"
            + "for i in range(48):\n d=r.randbytes(1<<20);h.update(d);c.sendall(d);n+=len(d)\n"
            + "c.close();print(n,h.hexdigest())\n";

    /** 48 MiB over TCP from a pod address on a to one on b; the SHA-256 received must be the one sent. */
    private static void transfer(TestNode a, TestNode b) throws Exception {
        Process sink = new ProcessBuilder(Cmd.inNetns(b.node.netns(), "python3", "-c", SINK)).redirectErrorStream(true).start();
        try {
            Cmd.Result sent = a.node.tryExec("python3", "-c", SOURCE);
            assertTrue(sent.ok(), "sender failed:\n" + sent);
            assertTrue(sink.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "receiver did not finish");
            String got = new String(sink.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            assertEquals(sent.stdout().trim(), got, "bytes and SHA-256 received == sent");
        } finally {
            sink.destroyForcibly();
        }
    }

    /** Packets the data paths of both nodes forwarded, each way (wire packets, not batches). */
    private static long forwardedPackets(UdpBackend[] p) {
        long n = 0;
        for (UdpBackend b : p) {
            n += b.metrics().udpTxPackets() + b.metrics().udpRxPackets();
        }
        return n;
    }

    /** Bytes the JVM allocated on the data-path event loop threads ("weft-udp-*") so far. */
    private static long dataPathAllocatedBytes() {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith("weft-udp")) {
                sum += Math.max(0, mx.getThreadAllocatedBytes(t.getThreadId()));
            }
        }
        return sum;
    }

    @ParameterizedTest(name = "offloads {0}, {1} event loop(s)")
    @CsvSource({"true,2", "true,1", "false,2", "false,1"})
    void tcpBulkTransferArrivesIntactWithAndWithoutOffloads(boolean offloads, int threads, Underlay ul, @TempDir Path sa,
                                                            @TempDir Path sb) throws Exception {
        try (TestNode a = TestNode.of(ul.addNode("a"), sa); TestNode b = TestNode.of(ul.addNode("b"), sb)) {
            UdpBackend[] p = pair(a, b, offloads, threads);
            ping(a, "10.244.1.1", "10.244.2.1");
            ping(b, "10.244.2.1", "10.244.1.1");
            ping(a, "10.244.1.0", "10.244.2.1"); // from the flannel0 address
            transfer(a, b); // the first also warms up: the JIT, and the arrays Netty makes once per loop
            long allocatedBefore = dataPathAllocatedBytes();
            long packetsBefore = forwardedPackets(p);
            transfer(a, b);
            UdpMetrics ma = p[0].metrics();
            UdpMetrics mb = p[1].metrics();
            assertTrue(ma.udpTxBytes() > 48_000_000, ma.toString());
            long packets = forwardedPackets(p) - packetsBefore;
            double perPacket = (double) (dataPathAllocatedBytes() - allocatedBefore) / packets;
            System.out.printf("data path: %.2f bytes allocated per forwarded packet (%d packets; offloads %s, %d loop(s))%n",
                    perPacket, packets, offloads, threads);
            if (offloads) {
                // no object per packet: batches are per 64 KB, GRO reads fill one reused buffer
                // (Netty's own GRO read would make a slice and a DatagramPacket per datagram)
                assertTrue(perPacket < 4, perPacket + " bytes allocated per forwarded packet");
                assertTrue(ma.offloads().contains("tso4") && ma.offloads().contains("udp_gso"), ma.offloads());
                // TSO super-segments were read and split; the receiver wrote coalesced runs
                assertTrue(ma.batchPackets(UdpMetrics.Path.TUN_RX) > 4 * ma.batches(UdpMetrics.Path.TUN_RX), ma.prometheusText());
                assertTrue(mb.batchPackets(UdpMetrics.Path.TUN_TX) > 4 * mb.batches(UdpMetrics.Path.TUN_TX), mb.prometheusText());
            } else {
                assertEquals("", ma.offloads());
                assertEquals(ma.batches(UdpMetrics.Path.TUN_RX), ma.batchPackets(UdpMetrics.Path.TUN_RX), "one packet per read");
                assertEquals(mb.batches(UdpMetrics.Path.TUN_TX), mb.batchPackets(UdpMetrics.Path.TUN_TX), "one packet per write");
            }
            assertEquals(0, ma.drops(UdpMetrics.Drop.BAD_GSO) + mb.drops(UdpMetrics.Drop.BAD_GSO));
            assertEquals(threads, ma.loops(), ma.prometheusText());
            assertTrue(ma.prometheusText().contains("weft_udp_event_loops " + threads + "\n"), ma.prometheusText());
            // one socket on the flannel port per loop (so every datagram leaves from 8285)
            String ss = b.node.exec("ss", "-uln", "sport", "= :8285").stdout();
            assertEquals(threads, ss.lines().filter(l -> l.contains(b.ext.ifaceAddr() + ":8285")).count(), ss);
            if (threads == 2) {
                // the steering put every incoming datagram on the receiving loop: its shard got them all
                assertTrue(mb.steered(), mb.prometheusText());
                List<UdpMetrics> shards = mb.shards();
                assertEquals(2, shards.size());
                assertEquals(0, shards.get(0).udpRxPackets(), "datagrams received on the sending loop's socket");
                assertEquals(mb.udpRxPackets(), shards.get(1).udpRxPackets());
                assertTrue(shards.get(1).udpRxBytes() > 48_000_000, shards.get(1).toString());
                assertEquals(0, ma.shards().get(0).udpRxPackets(), "the ACKs, too, reach the receiving loop");
                assertTrue(ma.shards().get(0).udpTxBytes() > 48_000_000, "the sending loop sent the data");
            }
        }
    }

    @Test
    void twoLoopsRefuseAPortAnotherSocketHolds(Underlay ul, @TempDir Path sa) throws Exception {
        try (TestNode a = TestNode.of(ul.addNode("a"), sa)) {
            // a plain socket on the flannel port: SO_REUSEPORT must not let the data path share it
            Process squatter = new ProcessBuilder(Cmd.inNetns(a.node.netns(), "python3", "-c",
                    "import socket,time;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('" + a.ext.ifaceAddr()
                            + "',8285));print('bound',flush=True);time.sleep(60)")).redirectErrorStream(true).start();
            try {
                assertEquals("bound", new java.io.BufferedReader(new java.io.InputStreamReader(squatter.getInputStream())).readLine());
                UdpBackend b = a.track(new UdpBackend(a.context(CONF), UdpSettings.DEFAULT.withThreads(2)));
                LeaseAttrs attrs = b.prepare();
                RuntimeException e = assertThrows(RuntimeException.class, () -> b.start(TestLeases.own("10.244.1.0/24", attrs)));
                assertTrue(String.valueOf(e.getMessage()).contains("already in use"), String.valueOf(e));
            } finally {
                squatter.destroyForcibly();
                squatter.waitFor();
            }
            String ss = a.node.exec("ss", "-uln", "sport", "= :8285").stdout();
            assertEquals(0, ss.lines().filter(l -> l.contains(":8285")).count(), "nothing left on the port:\n" + ss);
        }
    }

    @Test
    void leaseRemovalAndSnapshotSwapTheTable(Underlay ul, @TempDir Path sa, @TempDir Path sb) {
        try (TestNode a = TestNode.of(ul.addNode("a"), sa); TestNode b = TestNode.of(ul.addNode("b"), sb)) {
            UdpBackend[] p = pair(a, b);
            Lease lb = TestLeases.own("10.244.2.0/24", p[1].leaseAttrs());
            ping(a, "10.244.1.1", "10.244.2.1");
            p[0].handle(TestLeases.removed(lb));
            long noRoute = p[0].metrics().drops(UdpMetrics.Drop.NO_ROUTE);
            assertFalse(a.node.tryExec("ping", "-c", "1", "-W", "1", "-I", "10.244.1.1", "10.244.2.1").ok());
            assertTrue(p[0].metrics().drops(UdpMetrics.Drop.NO_ROUTE) > noRoute);
            p[0].handle(TestLeases.snapshot(List.of(lb)));
            ping(a, "10.244.1.1", "10.244.2.1");
        }
    }

    /** A raw IPv4 ICMP echo request with correct checksums. */
    private static byte[] echo(String src, String dst, int ttl) throws Exception {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(0x45).writeByte(0).writeShort(20 + 8 + 16).writeShort(7).writeShort(0x4000).writeByte(ttl)
                .writeByte(1).writeShort(0).writeBytes(InetAddress.getByName(src).getAddress())
                .writeBytes(InetAddress.getByName(dst).getAddress());
        b.setShort(10, Ipv4Packets.checksum(b, 0, 20));
        b.writeByte(8).writeByte(0).writeShort(0).writeShort(0x4242).writeShort(1);
        for (int i = 0; i < 16; i++) {
            b.writeByte(i);
        }
        b.setShort(22, Ipv4Packets.checksum(b, 20, 24));
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    private static void sendFrom(TestNode n, List<byte[]> datagrams, InetSocketAddress to) throws Exception {
        n.ns.exec(() -> {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(n.ext.ifaceAddr().toInetAddress(), 0))) {
                int i = 0;
                for (byte[] d : datagrams) {
                    s.send(new DatagramPacket(d, d.length, to));
                    if (++i % 200 == 0) {
                        Thread.sleep(2);
                    }
                }
            }
        });
    }

    @Test
    void handBuiltDatagramReachesTheTunAndIsAnswered(Underlay ul, @TempDir Path sa, @TempDir Path sb)
            throws Exception {
        try (TestNode a = TestNode.of(ul.addNode("a"), sa); TestNode b = TestNode.of(ul.addNode("b"), sb)) {
            UdpBackend[] p = pair(a, b);
            long aIn = p[0].metrics().tunTxPackets();
            long bIn = p[1].metrics().tunTxPackets();
            InetSocketAddress aPort = new InetSocketAddress(a.ext.ifaceAddr().toInetAddress(), 8285);
            sendFrom(b, List.of(echo("10.244.2.1", "10.244.1.1", 64)), aPort);
            await(() -> p[0].metrics().tunTxPackets(), aIn + 1, "request written to A's TUN");
            await(() -> p[1].metrics().tunTxPackets(), bIn + 1, "A's echo reply came back to B's TUN");
        }
    }

    /**
     * flannel sends the net-unreachable for anything but ICMP (RFC 792: no ICMP about ICMP), so a
     * TCP connect is what sees it: it fails at once with ENETUNREACH instead of timing out; a ping
     * to the same address gets no error back.
     */
    @Test
    void unknownDestinationInTheNetworkGetsNetUnreachable(Underlay ul, @TempDir Path sa, @TempDir Path sb) {
        try (TestNode a = TestNode.of(ul.addNode("a"), sa); TestNode b = TestNode.of(ul.addNode("b"), sb)) {
            UdpBackend[] p = pair(a, b);
            UdpMetrics m = p[0].metrics();
            String connect = "import socket,errno\n"
                    + "s=socket.socket(); s.settimeout(5); s.bind(('10.244.1.1',0))\n"
                    + "try:\n s.connect(('10.244.99.1',80)); print('connected')\n"
                    + "except OSError as e:\n print('errno', e.errno, errno.errorcode.get(e.errno))\n";
            Cmd.Result r = a.node.exec("python3", "-c", connect);
            assertTrue(r.stdout().contains("ENETUNREACH"), r.stdout() + " / " + m + " / "
                    + a.node.exec("nstat", "-az", "IpExtInNoRoutes", "IpInAddrErrors", "TcpExtIPReversePathFilter").stdout());
            assertTrue(m.icmpUnreachableSent() >= 1, m.toString());
            assertTrue(m.drops(UdpMetrics.Drop.NO_ROUTE) >= 1);

            long icmp = m.icmpUnreachableSent();
            Cmd.Result ping = a.node.tryExec("ping", "-c", "1", "-W", "1", "-I", "10.244.1.1", "10.244.99.1");
            assertFalse(ping.ok());
            assertFalse(ping.stdout().contains("Unreachable"), ping.stdout());
            assertEquals(icmp, m.icmpUnreachableSent(), "no ICMP about ICMP");
        }
    }

    @Test
    void hostileDatagramsAreCountedAndDropped(Underlay ul, @TempDir Path sa, @TempDir Path sb) throws Exception {
        try (TestNode a = TestNode.of(ul.addNode("a"), sa); TestNode b = TestNode.of(ul.addNode("b"), sb)) {
            UdpBackend[] p = pair(a, b);
            UdpMetrics m = p[0].metrics();
            Random r = new Random(42);
            List<byte[]> junk = new java.util.ArrayList<>();
            for (int i = 0; i < 12_000; i++) {
                byte[] d;
                switch (i % 6) {
                    case 0 -> d = new byte[r.nextInt(20)];                       // short
                    case 1 -> d = new byte[2000 + r.nextInt(4000)];              // oversize
                    case 2 -> {                                                  // bad total length
                        d = echo("10.244.2.1", "10.244.1.1", 64);
                        d[2] = (byte) 0xff;
                    }
                    case 3 -> {                                                  // bad IHL
                        d = echo("10.244.2.1", "10.244.1.1", 64);
                        d[0] = (byte) (0x40 | r.nextInt(5));
                    }
                    case 4 -> d = echo("10.244.2.1", "10.244.1.1", 1);           // TTL expires
                    default -> d = new byte[20 + r.nextInt(1400)];               // random
                }
                if (i % 6 == 0 || i % 6 == 1 || i % 6 == 5) {
                    r.nextBytes(d);
                    if (i % 6 == 1 || i % 12 == 5) {
                        d[0] = (byte) 0x45;
                    }
                }
                junk.add(d);
            }
            long rx0 = m.udpRxPackets();
            long tun0 = m.tunTxPackets();
            long drop0 = m.udpRxDropped();
            sendFrom(b, junk, new InetSocketAddress(a.ext.ifaceAddr().toInetAddress(), 8285));
            await(m::udpRxPackets, rx0 + junk.size() * 99L / 100, "datagrams received");
            // the loop may still be draining the last ones: every datagram counted as received is
            // either written to the TUN or dropped once the counters settle (read apart, not at once)
            long settle = System.nanoTime() + 5_000_000_000L;
            long rx;
            do {
                Thread.sleep(200);
                rx = m.udpRxPackets() - rx0;
            } while (rx != (m.tunTxPackets() - tun0) + (m.udpRxDropped() - drop0) && System.nanoTime() < settle);
            assertEquals(rx, (m.tunTxPackets() - tun0) + (m.udpRxDropped() - drop0), m.toString());
            for (UdpMetrics.Drop d : List.of(UdpMetrics.Drop.TOO_SHORT, UdpMetrics.Drop.OVERSIZE,
                    UdpMetrics.Drop.BAD_TOTAL_LENGTH, UdpMetrics.Drop.BAD_HEADER_LENGTH, UdpMetrics.Drop.TTL_EXPIRED,
                    UdpMetrics.Drop.NOT_IPV4)) {
                assertTrue(m.drops(d) > 0, d + " " + m);
            }
            ping(a, "10.244.1.1", "10.244.2.1");
            ping(b, "10.244.2.1", "10.244.1.1");
        }
    }

    /** A raw IPv4 UDP packet (UDP checksum 0: none, which IPv4 allows) carrying {@code text}. */
    private static byte[] udp(String src, String dst, int dstPort, String text) throws Exception {
        byte[] data = text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ByteBuf b = Unpooled.buffer();
        b.writeByte(0x45).writeByte(0).writeShort(20 + 8 + data.length).writeShort(9).writeShort(0x4000).writeByte(64)
                .writeByte(17).writeShort(0).writeBytes(InetAddress.getByName(src).getAddress())
                .writeBytes(InetAddress.getByName(dst).getAddress());
        b.setShort(10, Ipv4Packets.checksum(b, 0, 20));
        b.writeShort(4000).writeShort(dstPort).writeShort(8 + data.length).writeShort(0).writeBytes(data);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    private static String receiveText(DatagramSocket s) throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
        s.receive(p);
        return new String(p.getData(), 0, p.getLength(), java.nio.charset.StandardCharsets.US_ASCII);
    }

    /**
     * Node c holds no lease; b does, but forges inner sources (a subnet nobody holds, one another
     * node holds, a's own) or sends to a subnet that is not a's. None of it reaches the listener
     * on a's pod address, each is counted by its reason, and b's honest datagram still arrives.
     * With -udp-accept-any-source all of it is written to the TUN, as flannel does.
     */
    @ParameterizedTest(name = "accept any source: {0}")
    @CsvSource({"false", "true"})
    void onlyLeaseHoldersMaySendAndOnlyFromTheirOwnSubnetToOurs(boolean acceptAny, Underlay ul, @TempDir Path sa,
                                                                 @TempDir Path sb, @TempDir Path sc) throws Exception {
        try (TestNode a = TestNode.of(ul.addNode("a"), sa); TestNode b = TestNode.of(ul.addNode("b"), sb);
             TestNode c = TestNode.of(ul.addNode("c"), sc)) {
            UdpBackend[] p = pair(a, b, UdpSettings.DEFAULT.withAcceptAnySource(acceptAny));
            // 10.244.3.0/24 belongs to some other node (not b, not c)
            p[0].handle(TestLeases.added(TestLeases.lease("10.244.3.0/24", "192.0.2.33", "udp", null)));
            UdpMetrics m = p[0].metrics();
            InetSocketAddress aPort = new InetSocketAddress(a.ext.ifaceAddr().toInetAddress(), 8285);
            try (DatagramSocket listener = a.ns.run(() -> new DatagramSocket(new InetSocketAddress("10.244.1.1", 5400)))) {
                listener.setSoTimeout(5000);
                long tun0 = m.tunTxPackets();
                java.util.Map<UdpMetrics.Drop, Long> d0 = m.dropCounts();
                sendFrom(c, List.of(udp("10.244.2.1", "10.244.1.1", 5400, "from a stranger")), aPort);
                sendFrom(b, List.of(udp("10.244.9.7", "10.244.1.1", 5400, "source nobody holds"),
                        udp("10.244.3.7", "10.244.1.1", 5400, "source another node holds"),
                        udp("10.244.1.9", "10.244.1.1", 5400, "source in a's own subnet"),
                        udp("10.244.2.1", "10.244.2.5", 5400, "destination not a's")), aPort);
                if (acceptAny) {
                    await(m::tunTxPackets, tun0 + 5, "all five written to a's TUN");
                    // (the one from a's own subnet meets the kernel's reverse path check, if that is on)
                    List<String> expected = List.of("from a stranger", "source nobody holds", "source another node holds");
                    java.util.Set<String> got = new java.util.HashSet<>();
                    while (!got.containsAll(expected)) {
                        got.add(receiveText(listener));
                    }
                    for (UdpMetrics.Drop d : List.of(UdpMetrics.Drop.UNKNOWN_SENDER, UdpMetrics.Drop.SPOOFED_SOURCE,
                            UdpMetrics.Drop.FOREIGN_DESTINATION)) {
                        assertEquals(d0.get(d), m.drops(d), d + " " + m);
                    }
                } else {
                    await(() -> m.drops(UdpMetrics.Drop.UNKNOWN_SENDER) - d0.get(UdpMetrics.Drop.UNKNOWN_SENDER), 1, "unknown_sender");
                    await(() -> m.drops(UdpMetrics.Drop.SPOOFED_SOURCE) - d0.get(UdpMetrics.Drop.SPOOFED_SOURCE), 3, "spoofed_source");
                    await(() -> m.drops(UdpMetrics.Drop.FOREIGN_DESTINATION) - d0.get(UdpMetrics.Drop.FOREIGN_DESTINATION), 1,
                            "foreign_destination");
                    assertEquals(tun0, m.tunTxPackets(), "nothing written to a's TUN: " + m);
                    assertEquals(1, m.drops(UdpMetrics.Drop.UNKNOWN_SENDER) - d0.get(UdpMetrics.Drop.UNKNOWN_SENDER));
                    assertEquals(3, m.drops(UdpMetrics.Drop.SPOOFED_SOURCE) - d0.get(UdpMetrics.Drop.SPOOFED_SOURCE));
                    assertTrue(m.prometheusText().contains("weft_udp_drops_total{reason=\"unknown_sender\"} 1\n"), m.prometheusText());
                    // the honest one is the first thing the listener gets
                    sendFrom(b, List.of(udp("10.244.2.1", "10.244.1.1", 5400, "honest")), aPort);
                    assertEquals("honest", receiveText(listener));
                }
            }
            ping(a, "10.244.1.1", "10.244.2.1");
            ping(b, "10.244.2.1", "10.244.1.1");
        }
    }

    /** Blocks {@code loop} until the returned latch is counted down. */
    private static java.util.concurrent.CountDownLatch block(io.netty.channel.IoEventLoop loop) throws InterruptedException {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch blocked = new java.util.concurrent.CountDownLatch(1);
        loop.execute(() -> {
            blocked.countDown();
            try {
                release.await(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(blocked.await(10, java.util.concurrent.TimeUnit.SECONDS), "the loop did not take the blocking task");
        return release;
    }

    private static long nstat(TestNode n, String counter) {
        for (String l : n.node.exec("nstat", "-az", counter).stdout().lines().toList()) {
            String[] f = l.trim().split("\\s+");
            if (f.length >= 2 && f[0].equals(counter)) {
                return Long.parseLong(f[1]);
            }
        }
        throw new AssertionError("nstat printed no " + counter);
    }

    /**
     * 400 UDP packets to an address no lease covers, queued in the TUN while the sending loop is
     * held, then read in one go: the first {@value IcmpRateLimit#BURST} get their net-unreachable
     * (the pod's kernel counts exactly those), the rest are counted as suppressed.
     */
    @Test
    void netUnreachableRepliesAreRateLimited(Underlay ul, @TempDir Path sa, @TempDir Path sb) throws Exception {
        try (TestNode a = TestNode.of(ul.addNode("a"), sa); TestNode b = TestNode.of(ul.addNode("b"), sb)) {
            UdpBackend[] p = pair(a, b);
            UdpMetrics m = p[0].metrics();
            int flood = 400;
            long inUnreach0 = nstat(a, "IcmpInDestUnreachs");
            long noRoute0 = m.drops(UdpMetrics.Drop.NO_ROUTE);
            long sent0 = m.icmpUnreachableSent();
            long suppressed0 = m.icmpUnreachableSuppressed();
            java.util.concurrent.CountDownLatch release = block(p[0].dataPath().sendingLoop());
            try {
                a.node.exec("python3", "-c", "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                        + "s.bind(('10.244.1.1',0))\nfor i in range(" + flood + "): s.sendto(b'x'*32,('10.244.99.1',9))\n");
            } finally {
                release.countDown();
            }
            await(() -> m.drops(UdpMetrics.Drop.NO_ROUTE) - noRoute0, flood, "packets to the unleased address read");
            long sent = m.icmpUnreachableSent() - sent0;
            long suppressed = m.icmpUnreachableSuppressed() - suppressed0;
            assertEquals(flood, sent + suppressed, m.toString());
            assertTrue(sent >= IcmpRateLimit.BURST, "the burst goes out: " + sent);
            assertTrue(suppressed > 0, "a flood is held back: " + m);
            await(() -> nstat(a, "IcmpInDestUnreachs") - inUnreach0, sent, "net-unreachables seen by the sender's kernel");
            assertEquals(sent, nstat(a, "IcmpInDestUnreachs") - inUnreach0, "the sender saw exactly the ones sent");
            assertTrue(m.prometheusText().contains("weft_udp_icmp_unreachable_suppressed_total " + suppressed + "\n"), m.prometheusText());
        }
    }

    /** Drops of the node's UDP sockets on port 8285, from /proc/net/udp in its namespace. */
    private static long socketDrops(TestNode n) {
        long drops = 0;
        for (String l : n.node.exec("cat", "/proc/net/udp").stdout().lines().skip(1).toList()) {
            String[] f = l.trim().split("\\s+");
            if (f[1].endsWith(String.format(":%04X", 8285))) {
                drops += Long.parseLong(f[f.length - 1]);
            }
        }
        return drops;
    }

    /**
     * The receiving loop is held while b sends far more than a's socket buffer holds: the kernel
     * drops the rest, and once the loop reads again weft_udp_socket_overflow_drops_total says
     * exactly what /proc/net/udp says (read via SO_RXQ_OVFL with GRO, SO_MEMINFO without).
     */
    @ParameterizedTest(name = "offloads {0}")
    @CsvSource({"true", "false"})
    void receiveBufferOverflowIsCounted(boolean offloads, Underlay ul, @TempDir Path sa, @TempDir Path sb) throws Exception {
        try (TestNode a = TestNode.of(ul.addNode("a"), sa); TestNode b = TestNode.of(ul.addNode("b"), sb)) {
            UdpBackend[] p = pair(a, b, offloads, 0);
            UdpMetrics m = p[0].metrics();
            InetSocketAddress aPort = new InetSocketAddress(a.ext.ifaceAddr().toInetAddress(), 8285);
            List<byte[]> lots = new java.util.ArrayList<>();
            for (int i = 0; i < 12_000; i++) {
                lots.add(udp("10.244.2.1", "10.244.1.1", 5401, "x".repeat(1300)));
            }
            assertEquals(0, socketDrops(a));
            java.util.concurrent.CountDownLatch release = block(p[0].dataPath().receivingLoop());
            try {
                sendFrom(b, lots, aPort);
            } finally {
                release.countDown();
            }
            long kernel = socketDrops(a);
            assertTrue(kernel > 0, "the socket buffer did not overflow");
            // a datagram queued after the drops carries their count (SO_RXQ_OVFL)
            sendFrom(b, List.of(udp("10.244.2.1", "10.244.1.1", 5401, "after")), aPort);
            await(m::socketOverflowDrops, kernel, "overflow drops learnt");
            assertEquals(kernel, m.socketOverflowDrops(), m.toString());
            assertEquals(kernel, socketDrops(a));
            assertTrue(m.prometheusText().contains("weft_udp_socket_overflow_drops_total " + kernel + "\n"), m.prometheusText());
        }
    }
}
