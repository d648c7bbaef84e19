package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.PromExposition;
import dev.weft.testkit.Underlay;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The udp backend end to end (issue 5): weftd processes on a simulated cluster, pods made through
 * the CNI chain, and every claim checked against the kernel or an independent witness (a SHA-256
 * of the bytes, tcpdump captures parsed here, nstat, /proc/net/udp, ping's own TTLs).
 *
 * <p>One two-node cluster (offloads at their default, on) serves every test; a test that adds a
 * node, a pod or a namespace removes it again.
 */
@KernelTest
class UdpBackendE2eTest {
    private static final int METRICS_PORT = 18085;
    private static final List<String> METRICS = List.of("-healthz-ip", "127.0.0.1", "-healthz-port", String.valueOf(METRICS_PORT));
    private static final String UDP = "{\"Type\":\"udp\"}";
    private static final int PORT = 8285;
    private static final int UNDERLAY_MTU = 1500;
    private static final int TUN_MTU = UNDERLAY_MTU - 28;
    private static final long MB = 1024 * 1024;

    private static SimCluster cluster;
    private static SimCluster.Node n1;
    private static SimCluster.Node n2;
    private static SimCluster.Pod a;
    private static SimCluster.Pod b;

    @BeforeAll
    static void startCluster() {
        cluster = SimCluster.start(SimCluster.Options.of(2, UDP).withExtraArgs(METRICS));
        try {
            n1 = cluster.node(0);
            n2 = cluster.node(1);
            a = cluster.addPod(n1);
            b = cluster.addPod(n2);
            awaitPing(a, b.ip());
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    // ------------------------------------------------------------------ 1. pod to pod

    @Test
    void podsOnTwoNodesExchangeBulkDataFragmentsAndBothDirectionsAtOnce() {
        for (SimCluster.Node n : List.of(n1, n2)) {
            assertEquals(TUN_MTU, KernelState.requireLink(n.netns(), "flannel0").mtu(), "flannel0 MTU on " + n.name());
            assertEquals(String.valueOf(TUN_MTU), SimCluster.readSubnetEnv(n).get("FLANNEL_MTU"));
        }
        // Four hops take a TTL each: the answering pod's node forwards, its weftd sends, the asking
        // pod's weftd receives, its node forwards. ping prints the TTL it got.
        int ttlA = Integer.parseInt(a.netns().sysctl("net.ipv4.ip_default_ttl"));
        int ttlB = Integer.parseInt(b.netns().sysctl("net.ipv4.ip_default_ttl"));
        assertPingTtl(a, b.ip(), ttlB - 4);
        assertPingTtl(b, a.ip(), ttlA - 4);

        WeftMetrics before1 = WeftMetrics.scrape(n1, METRICS_PORT);
        WeftMetrics before2 = WeftMetrics.scrape(n2, METRICS_PORT);
        PodTraffic.Transfer t = PodTraffic.tcp(a, b, 5201, 200 * MB, 1, Duration.ofMinutes(3));
        assertTransferIntact(t, "200 MB a -> b");
        WeftMetrics after1 = WeftMetrics.scrape(n1, METRICS_PORT);
        WeftMetrics after2 = WeftMetrics.scrape(n2, METRICS_PORT);
        // The bytes went through the tunnel: n1's weftd sent and n2's wrote at least the payload.
        assertTrue(after1.get("weft_udp_bytes_total{path=\"udp_tx\"}") - before1.get("weft_udp_bytes_total{path=\"udp_tx\"}") > 200 * MB,
                "n1 udp_tx bytes: " + after1.text());
        assertTrue(after2.get("weft_udp_bytes_total{path=\"tun_tx\"}") - before2.get("weft_udp_bytes_total{path=\"tun_tx\"}") > 200 * MB,
                "n2 tun_tx bytes: " + after2.text());

        // 8000-byte datagrams: the sending pod cuts each into 6 fragments (pod MTU 1472), the
        // tunnel carries them one by one, the receiving pod reassembles. Echoed, so both ways.
        long tx0 = WeftMetrics.scrape(n1, METRICS_PORT).packets("udp_tx");
        int count = 50;
        assertEquals(count, PodTraffic.udpEcho(a, b, 5301, 8000, count, 11, Duration.ofSeconds(3)), "8000-byte datagrams a -> b -> a intact");
        long fragments = WeftMetrics.scrape(n1, METRICS_PORT).packets("udp_tx") - tx0;
        assertTrue(fragments >= 6L * count, "n1 sent " + fragments + " tunnel packets for " + count + " datagrams of 8000 bytes");
        assertEquals(count, PodTraffic.udpEcho(b, a, 5302, 8000, count, 12, Duration.ofSeconds(3)), "8000-byte datagrams b -> a -> b intact");

        CompletableFuture<PodTraffic.Transfer> ab = PodTraffic.tcpAsync(a, b, 5202, 64 * MB, 2, Duration.ofMinutes(2));
        CompletableFuture<PodTraffic.Transfer> ba = PodTraffic.tcpAsync(b, a, 5203, 64 * MB, 3, Duration.ofMinutes(2));
        assertTransferIntact(ab.join(), "64 MB a -> b while b -> a");
        assertTransferIntact(ba.join(), "64 MB b -> a while a -> b");
        assertAllReceivedAccountedFor();
    }

    // ------------------------------------------------------------------ 2. the wire

    /**
     * Captures the underlay during a TCP transfer and checks every datagram to or from port 8285:
     * its payload is exactly one IPv4 packet (payload length = inner total length), never above
     * the TUN MTU, with a valid header checksum and the TTL its sender's weftd decremented.
     *
     * <p>Where the capture sits: on n1's bridge port in the underlay namespace, which sees n1's
     * transmissions and everything the bridge delivers to n1. Receive offload on that port is
     * switched off (veth has it off by default; this makes it certain), so the capture is never a
     * GRO merge. UDP segmentation offload is switched off on both nodes' eth0 for the capture: a
     * veth otherwise carries a UDP GSO batch unsegmented to the peer, so no capture point would
     * show the datagrams the wire carries; with it off the kernel cuts the batch at eth0, as a NIC
     * without USO would (weftd's sockets and flags are unchanged).
     */
    @Test
    void everyDatagramOnTheWireIsExactlyOneIpv4PacketWithItsTtlDecremented(@TempDir Path dir) throws IOException {
        Underlay.Node ul1 = n1.host();
        String ulNs = cluster.underlay().netns();
        int ttlA = 77;
        int ttlB = Integer.parseInt(b.netns().sysctl("net.ipv4.ip_default_ttl"));
        String oldTtlA = a.netns().sysctl("net.ipv4.ip_default_ttl");
        Path pcap = dir.resolve("underlay.pcap");
        try {
            a.netns().setSysctl("net.ipv4.ip_default_ttl", String.valueOf(ttlA));
            for (SimCluster.Node n : List.of(n1, n2)) {
                n.host().exec("ethtool", "-K", "eth0", "tx-udp-segmentation", "off");
            }
            Cmd.of("ethtool", "-K", ul1.port(), "gro", "off").netns(ulNs).run();
            String k = Cmd.of("ethtool", "-k", ul1.port()).netns(ulNs).run().stdout();
            assertTrue(k.contains("generic-receive-offload: off"), "GRO still on at the capture point:\n" + k);

            long bytes = 32 * MB;
            PodTraffic.Transfer t;
            Tcpdump cap = Tcpdump.start(ulNs, ul1.port(), pcap, "udp", "port", String.valueOf(PORT));
            try {
                t = PodTraffic.tcp(a, b, 5204, bytes, 4, Duration.ofMinutes(2));
            } finally {
                cap.stop();
            }
            assertTransferIntact(t, "32 MB a -> b under capture");
            assertTrue(cap.complete(), "tcpdump lost packets: " + cap.stats());

            List<String> violations = new ArrayList<>();
            long datagrams = 0;
            long aToB = 0;
            long tcpPayloadAToB = 0;
            int maxPayload = 0;
            for (Pcap.Frame f : Pcap.read(pcap)) {
                Pcap.Udp u = Pcap.udp(f);
                if (u == null || (u.srcPort() != PORT && u.dstPort() != PORT)) {
                    continue;
                }
                datagrams++;
                String where = "datagram " + datagrams + " " + u.src() + ":" + u.srcPort() + " -> " + u.dst() + ":" + u.dstPort();
                if (u.srcPort() != PORT || u.dstPort() != PORT) {
                    violations.add(where + ": flannel sends from its port to its port");
                }
                byte[] p = u.payload();
                maxPayload = Math.max(maxPayload, p.length);
                if (f.data().length != f.wireLength() || u.outerFragment() || p.length != u.udpLength() - 8) {
                    violations.add(where + ": outer packet cut or fragmented (captured " + f.data().length + " of " + f.wireLength() + ")");
                    continue;
                }
                if (p.length < 20 || (p[0] & 0xf0) != 0x40) {
                    violations.add(where + ": payload of " + p.length + " bytes is no IPv4 packet");
                    continue;
                }
                int ihl = (p[0] & 0x0f) * 4;
                int total = Pcap.u16(p, 2);
                String src = Pcap.addr(p, 12);
                String dst = Pcap.addr(p, 16);
                int ttl = p[8] & 0xff;
                if (total != p.length) {
                    violations.add(where + ": payload " + p.length + " bytes but inner total length " + total);
                }
                if (p.length > TUN_MTU) {
                    violations.add(where + ": payload " + p.length + " bytes > TUN MTU " + TUN_MTU);
                }
                if (Pcap.checksum(p, 0, ihl) != 0) {
                    violations.add(where + ": inner header checksum wrong after the TTL update");
                }
                // The pod's TTL, minus its node's forwarding hop, minus the sending weftd. (Pod a's
                // source address may be masqueraded to n1's flannel0 address: without -ip-masq,
                // weft-flannel asks the bridge plugin to masquerade, as flannel's CNI plugin does.)
                boolean fromA = dst.equals(b.ip()) && u.src().equals(n1.address()) && u.dst().equals(n2.address());
                boolean fromB = src.equals(b.ip()) && u.src().equals(n2.address()) && u.dst().equals(n1.address());
                if (!fromA && !fromB) {
                    violations.add(where + ": unexpected inner " + src + " -> " + dst);
                } else if (ttl != (fromA ? ttlA : ttlB) - 2) {
                    violations.add(where + ": inner TTL " + ttl + ", expected " + ((fromA ? ttlA : ttlB) - 2));
                }
                if (fromA && p[9] == 6) {
                    aToB++;
                    int tcpHeader = ((p[ihl + 12] & 0xf0) >>> 4) * 4;
                    tcpPayloadAToB += total - ihl - tcpHeader;
                }
            }
            System.out.printf("UdpBackendE2eTest wire: %d datagrams on port %d (%d a->b carrying %d TCP payload bytes), largest payload %d%n",
                    datagrams, PORT, aToB, tcpPayloadAToB, maxPayload);
            assertTrue(violations.isEmpty(), violations.size() + " of " + datagrams + " datagrams break the wire format, first ones:\n"
                    + String.join("\n", violations.subList(0, Math.min(20, violations.size()))));
            assertTrue(tcpPayloadAToB >= bytes, "the capture holds only " + tcpPayloadAToB + " of " + bytes + " bytes a -> b");
        } finally {
            a.netns().setSysctl("net.ipv4.ip_default_ttl", oldTtlA);
            for (SimCluster.Node n : List.of(n1, n2)) {
                n.host().tryExec("ethtool", "-K", "eth0", "tx-udp-segmentation", "on");
            }
            Files.deleteIfExists(pcap);
        }
    }

    /**
     * A flannel node built by hand: a namespace on the underlay with a UDP socket on port 8285 and
     * a lease in flannel's udp format (PublicIP only). It sends raw IPv4 packets in datagrams, as
     * flannel does: an ICMP echo request reaches the pod and the reply comes back to the hand-made
     * node in the same format; a UDP datagram reaches a listener in the pod. What it sends with a
     * forged inner source (pod a's address), and what a namespace without a lease sends, never
     * reaches the listener and is counted (spoofed_source, unknown_sender); its honest datagram
     * sent after them is the next thing the listener gets.
     */
    @Test
    void aHandBuiltFlannelNodeReachesAPodAndGetsTheAnswerInFlannelsFormat() throws Exception {
        Underlay.Node hand = cluster.underlay().addNode("hand");
        Underlay.Node stranger = cluster.underlay().addNode("stranger");
        String leaseKey = SimCluster.PREFIX + "/subnets/10.244.77.0-24";
        String handPod = "10.244.77.5";
        DatagramSocket flannel = null;
        DatagramSocket listener = null;
        try {
            cluster.etcd().put(leaseKey, "{\"PublicIP\":\"" + hand.address() + "\",\"PublicIPv6\":null}");
            flannel = PodTraffic.inNetns(hand.netns(), () -> new DatagramSocket(new InetSocketAddress(hand.address(), PORT)));
            flannel.setSoTimeout(300);
            InetSocketAddress n2Port = new InetSocketAddress(n2.address(), PORT);
            byte[] data = "weft udp e2e: flannel's echo".getBytes(StandardCharsets.US_ASCII);

            // Until n2's weftd has the new lease the reply has nowhere to go; then it must come.
            byte[] reply = null;
            DatagramPacket in = new DatagramPacket(new byte[4096], 4096);
            int seq = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (reply == null && System.nanoTime() < deadline) {
                seq++;
                byte[] req = RawIpv4.echoRequest(handPod, b.ip(), 64, 0x7777, seq, data);
                flannel.send(new DatagramPacket(req, req.length, n2Port));
                try {
                    flannel.receive(in);
                    reply = Arrays.copyOf(in.getData(), in.getLength());
                } catch (SocketTimeoutException notYet) {
                    // again
                }
            }
            assertTrue(reply != null, "no echo reply came back to the hand-built flannel node");
            assertEquals(new InetSocketAddress(n2.address(), PORT), in.getSocketAddress(), "the reply comes from n2's weftd socket");
            assertEquals(Pcap.u16(reply, 2), reply.length, "one IPv4 packet per datagram, nothing around it");
            assertEquals(0x45, reply[0] & 0xff);
            assertEquals(RawIpv4.PROTO_ICMP, reply[9]);
            assertEquals(b.ip(), Pcap.addr(reply, 12));
            assertEquals(handPod, Pcap.addr(reply, 16));
            assertEquals(0, Pcap.checksum(reply, 0, 20), "IPv4 header checksum");
            int ttlB = Integer.parseInt(b.netns().sysctl("net.ipv4.ip_default_ttl"));
            assertEquals(ttlB - 2, reply[8] & 0xff, "pod b's TTL less n2's forwarding hop and n2's weftd");
            assertEquals(0, reply[20], "ICMP echo reply");
            assertEquals(0x7777, Pcap.u16(reply, 24));
            assertEquals(0, Pcap.checksum(reply, 20, reply.length - 20), "ICMP checksum");
            assertTrue(Arrays.equals(data, Arrays.copyOfRange(reply, 28, reply.length)), "echo data");

            listener = PodTraffic.inNetns(b.netns().name(), () -> new DatagramSocket(new InetSocketAddress(b.ip(), 5401)));
            listener.setSoTimeout(5000);
            byte[] hello = "hello from a flannel node".getBytes(StandardCharsets.US_ASCII);
            byte[] pkt = RawIpv4.udp(handPod, 4444, b.ip(), 5401, 64, hello);
            flannel.send(new DatagramPacket(pkt, pkt.length, n2Port));
            DatagramPacket got = new DatagramPacket(new byte[1500], 1500);
            listener.receive(got);
            assertEquals(new InetSocketAddress(handPod, 4444), got.getSocketAddress());
            assertEquals(new String(hello, StandardCharsets.US_ASCII), new String(got.getData(), 0, got.getLength(), StandardCharsets.US_ASCII));

            WeftMetrics m0 = WeftMetrics.scrape(n2, METRICS_PORT);
            byte[] forged = RawIpv4.udp(a.ip(), 4444, b.ip(), 5401, 64, "forged: pod a's address".getBytes(StandardCharsets.US_ASCII));
            flannel.send(new DatagramPacket(forged, forged.length, n2Port));
            byte[] fromStranger = RawIpv4.udp(handPod, 4444, b.ip(), 5401, 64, "from a host without a lease".getBytes(StandardCharsets.US_ASCII));
            try (DatagramSocket s = PodTraffic.inNetns(stranger.netns(), () -> new DatagramSocket(new InetSocketAddress(stranger.address(), PORT)))) {
                s.send(new DatagramPacket(fromStranger, fromStranger.length, n2Port));
            }
            ClusterAssertions.eventually(Duration.ofSeconds(10), () -> {
                WeftMetrics m = WeftMetrics.scrape(n2, METRICS_PORT);
                return m.drops("spoofed_source") - m0.drops("spoofed_source") == 1 && m.drops("unknown_sender") - m0.drops("unknown_sender") == 1;
            }, "n2 counts the forged datagram as spoofed_source and the stranger's as unknown_sender");
            WeftMetrics m1 = WeftMetrics.scrape(n2, METRICS_PORT);
            assertEquals(m0.packets("tun_tx"), m1.packets("tun_tx"), "neither was written to n2's TUN");
            byte[] again = RawIpv4.udp(handPod, 4444, b.ip(), 5401, 64, "honest again".getBytes(StandardCharsets.US_ASCII));
            flannel.send(new DatagramPacket(again, again.length, n2Port));
            listener.receive(got);
            assertEquals("honest again", new String(got.getData(), 0, got.getLength(), StandardCharsets.US_ASCII),
                    "the next datagram the pod gets is the honest one");
        } finally {
            if (flannel != null) {
                flannel.close();
            }
            if (listener != null) {
                listener.close();
            }
            cluster.etcd().etcdctl("del", leaseKey);
            cluster.underlay().removeNode("hand");
            cluster.underlay().removeNode("stranger");
        }
    }

    // ------------------------------------------------------------------ 3. net unreachable

    /**
     * A destination inside the Network that no lease covers: weftd writes an ICMP net-unreachable
     * (type 3 code 0, from flannel0's address) back into the TUN, so a TCP connect from the pod
     * fails at once with ENETUNREACH (not a timeout), the pod's capture shows the ICMP, and the
     * counter rises by one per offending packet. As in flannel (proxy_amd64.c, RFC 792), an ICMP
     * packet gets no ICMP error: a ping there just goes unanswered.
     */
    @Test
    void anUnleasedDestinationGetsNetUnreachableFromFlannel0(@TempDir Path dir) throws IOException {
        String target = "10.244.250.1";
        assertFalse(ClusterAssertions.leases(cluster).containsKey("10.244.250.0/24"));
        String tunAddr = ClusterAssertions.network(SimCluster.readSubnetEnv(n1).get("FLANNEL_SUBNET")).split("/")[0];
        assertTrue(n1.host().exec("ip", "-4", "-o", "addr", "show", "dev", "flannel0").stdout().contains(tunAddr + "/32"));
        Path pcap = dir.resolve("pod-a.pcap");
        try {
            WeftMetrics m0 = WeftMetrics.scrape(n1, METRICS_PORT);
            Tcpdump cap = Tcpdump.start(a.netns().name(), "eth0", pcap, "icmp");
            int attempts = 3;
            try {
                for (int i = 0; i < attempts; i++) {
                    String err = connectError(a, target, 80);
                    assertTrue(err.contains("Network is unreachable"), "connect to " + target + " from pod a: " + err);
                }
            } finally {
                cap.stop();
            }
            assertTrue(cap.complete(), "tcpdump lost packets: " + cap.stats());
            WeftMetrics m1 = WeftMetrics.scrape(n1, METRICS_PORT);
            assertEquals(attempts, m1.icmpUnreachable() - m0.icmpUnreachable(), "weft_udp_icmp_unreachable_total");
            assertEquals(attempts, m1.drops("no_route") - m0.drops("no_route"), "weft_udp_drops_total{reason=\"no_route\"}");

            int seen = 0;
            for (Pcap.Frame f : Pcap.read(pcap)) {
                byte[] d = f.data();
                if (d.length < 14 + 20 + 8 + 20 || Pcap.u16(d, 12) != 0x0800 || d[14 + 9] != RawIpv4.PROTO_ICMP) {
                    continue;
                }
                int icmp = 14 + (d[14] & 0x0f) * 4;
                if (d[icmp] == 3 && d[icmp + 1] == 0) {
                    assertEquals(tunAddr, Pcap.addr(d, 14 + 12), "net-unreachable source is n1's flannel0 address");
                    assertEquals(a.ip(), Pcap.addr(d, 14 + 16));
                    assertEquals(target, Pcap.addr(d, icmp + 8 + 16), "the quoted packet is the one to " + target);
                    assertEquals(7, d[14 + 8] & 0xff, "weftd's TTL 8 less n1's forwarding hop");
                    seen++;
                }
            }
            assertEquals(attempts, seen, "ICMP net-unreachable messages captured in pod a");

            Cmd.Result ping = a.netns().tryExec("ping", "-c", "2", "-i", "0.2", "-W", "1", target);
            assertFalse(ping.ok());
            assertFalse(ping.stdout().contains("Unreachable"), ping.stdout());
            WeftMetrics m2 = WeftMetrics.scrape(n1, METRICS_PORT);
            assertEquals(m1.icmpUnreachable(), m2.icmpUnreachable(), "no ICMP error about an ICMP packet");
            assertEquals(2, m2.drops("no_route") - m1.drops("no_route"));
        } finally {
            Files.deleteIfExists(pcap);
        }
    }

    // ------------------------------------------------------------------ 4. hostile datagrams

    private enum Kind { RANDOM, EMPTY, SHORT, VERSION_6, VERSION_0, IHL_BELOW_5, TOTAL_BEYOND, TOTAL_BELOW_IHL, TTL_1, TTL_0,
        OVERSIZE, SOURCE_OUTSIDE_NETWORK, SOURCE_WITHOUT_LEASE, SOURCE_IN_RECEIVERS_SUBNET, DESTINATION_NOT_HERE, VALID }

    /**
     * 100,000 datagrams of random length (0..2000) and random bytes, with about 6,000 targeted
     * ones mixed in, sent from n1's namespace to n2's weftd. Every one is accounted for: nstat and
     * /proc/net/udp show the kernel handed all of them to the socket, weftd counted each as
     * received, wrote exactly those to the TUN that the spec's checks let through (n1 holds a
     * lease, so only inner sources in n1's subnet to n2's), and counted the rest as dropped under
     * the reasons the targeted ones exercise. Then weftd is alive and pods still talk.
     */
    @Test
    void hostileDatagramsAreAllAccountedForAndTrafficStillFlows() throws Exception {
        int randomCount = 100_000;
        Random r = new Random(5);
        Kind[] targeted = Arrays.copyOfRange(Kind.values(), 1, Kind.values().length);
        Map<Kind, Integer> sent = new EnumMap<>(Kind.class);
        long expectForward = 0;
        long total = 0;
        String subnet1 = ClusterAssertions.network(SimCluster.readSubnetEnv(n1).get("FLANNEL_SUBNET"));
        String subnet2 = ClusterAssertions.network(SimCluster.readSubnetEnv(n2).get("FLANNEL_SUBNET"));
        Map<String, Long> nstat0 = nstat(n2);
        long socketDrops0 = udpSocket(n2)[1];
        WeftMetrics m0 = atRest(n2, x -> true);
        try (DatagramSocket s = PodTraffic.inNetns(n1.netns(), () -> new DatagramSocket(new InetSocketAddress(n1.address(), 0)))) {
            InetSocketAddress to = new InetSocketAddress(n2.address(), PORT);
            int t = 0;
            for (int i = 0; i < randomCount; i++) {
                List<byte[]> batch = new ArrayList<>(2);
                byte[] d = new byte[r.nextInt(2001)];
                r.nextBytes(d);
                batch.add(d);
                sent.merge(Kind.RANDOM, 1, Integer::sum);
                if (i % 16 == 0) {
                    Kind k = targeted[t++ % targeted.length];
                    batch.add(hostile(k, r));
                    sent.merge(k, 1, Integer::sum);
                }
                for (byte[] x : batch) {
                    s.send(new DatagramPacket(x, x.length, to));
                    total++;
                    if (RawIpv4.forwardable(x, TUN_MTU, subnet1, subnet2)) {
                        expectForward++;
                    }
                    // A burst of 64 fits any socket buffer; then let weftd empty its queue, so
                    // the kernel never drops one and every datagram is weftd's to account for.
                    if (total % 64 == 0) {
                        awaitSocketDrained(n2);
                    }
                }
            }
        }
        awaitSocketDrained(n2);
        WeftMetrics m1 = atRest(n2, m -> m.packets("udp_rx") - m0.packets("udp_rx") >= totalOf(sent));
        Map<String, Long> nstat1 = nstat(n2);
        System.out.println("UdpBackendE2eTest hostile: sent " + sent + ", forwardable " + expectForward + "; n2 drops "
                + m1.keysStartingWith("weft_udp_drops_total").stream().map(k -> k.replaceAll(".*reason=\"(\\w+)\".*", "$1") + "="
                + (m1.get(k) - m0.get(k))).toList());

        assertTrue(n2.weftd().isAlive(), "weftd on n2 died:\n" + n2.weftd().logTail(3000));
        assertTrue(n1.weftd().isAlive(), "weftd on n1 died:\n" + n1.weftd().logTail(3000));
        assertEquals(total, nstat1.get("UdpInDatagrams") - nstat0.get("UdpInDatagrams"), "nstat: datagrams delivered to n2's UDP sockets");
        assertEquals(0, nstat1.get("UdpRcvbufErrors") - nstat0.get("UdpRcvbufErrors"), "nstat: receive buffer overflows on n2");
        assertEquals(socketDrops0, udpSocket(n2)[1], "/proc/net/udp drops of n2's port " + PORT + " socket");
        assertEquals(0, m1.get("weft_udp_socket_overflow_drops_total") - m0.get("weft_udp_socket_overflow_drops_total"),
                "weft_udp_socket_overflow_drops_total agrees: nothing overflowed");

        long rx = m1.packets("udp_rx") - m0.packets("udp_rx");
        long tunTx = m1.packets("tun_tx") - m0.packets("tun_tx");
        long dropped = m1.rxDropped() - m0.rxDropped();
        assertEquals(total, rx, "weft_udp_packets_total{path=\"udp_rx\"} counts every datagram");
        assertTrue(expectForward >= sent.get(Kind.VALID), "the valid ones are forwardable: " + expectForward);
        assertEquals(expectForward, tunTx, "written to the TUN: exactly the datagrams the spec lets through");
        assertEquals(total - expectForward, dropped, "weft_udp_dropped_total{direction=\"rx\"}: all the others");
        // The reasons count drops both ways: what the forwarded ones caused on the way back out
        // (e.g. the kernel forwards a TTL 2 packet to flannel0 as TTL 1, and weftd must drop it)
        // is every packet read from the TUN and not sent.
        long txDropped = (m1.packets("tun_rx") - m0.packets("tun_rx")) - (m1.packets("udp_tx") - m0.packets("udp_tx"));
        long byReason = 0;
        for (String k : m1.keysStartingWith("weft_udp_drops_total")) {
            byReason += m1.get(k) - m0.get(k);
        }
        assertEquals(0, m1.drops("tun_read_error") - m0.drops("tun_read_error"), "TUN read errors");
        assertEquals(dropped + txDropped, byReason, "the drop reasons add up to the received datagrams dropped ("
                + dropped + ") and the TUN packets not sent (" + txDropped + ")");
        assertAtLeast(m0, m1, "too_short", sent.get(Kind.EMPTY) + sent.get(Kind.SHORT));
        assertAtLeast(m0, m1, "not_ipv4", sent.get(Kind.VERSION_6) + sent.get(Kind.VERSION_0));
        assertAtLeast(m0, m1, "bad_header_length", sent.get(Kind.IHL_BELOW_5));
        assertAtLeast(m0, m1, "bad_total_length", sent.get(Kind.TOTAL_BEYOND) + sent.get(Kind.TOTAL_BELOW_IHL));
        assertAtLeast(m0, m1, "ttl_expired", sent.get(Kind.TTL_1) + sent.get(Kind.TTL_0));
        assertAtLeast(m0, m1, "oversize", sent.get(Kind.OVERSIZE));
        assertAtLeast(m0, m1, "spoofed_source", sent.get(Kind.SOURCE_OUTSIDE_NETWORK) + sent.get(Kind.SOURCE_WITHOUT_LEASE)
                + sent.get(Kind.SOURCE_IN_RECEIVERS_SUBNET));
        assertAtLeast(m0, m1, "foreign_destination", sent.get(Kind.DESTINATION_NOT_HERE));
        assertEquals(0, m1.drops("unknown_sender") - m0.drops("unknown_sender"), "n1 holds a lease");

        assertTrue(a.netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", b.ip()).ok(), "a -> b after the hostile datagrams");
        assertTrue(b.netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", a.ip()).ok(), "b -> a after the hostile datagrams");
        assertTransferIntact(PodTraffic.tcp(a, b, 5205, 4 * MB, 7, Duration.ofMinutes(1)), "4 MB a -> b after the hostile datagrams");
        assertAllReceivedAccountedFor();
    }

    private static long totalOf(Map<Kind, Integer> m) {
        return m.values().stream().mapToLong(Integer::longValue).sum();
    }

    /** A datagram from n1 that breaks exactly one rule (n1's pod a to n2's pod b, but for that rule), or none. */
    private static byte[] hostile(Kind k, Random r) {
        byte[] valid = RawIpv4.udp(a.ip(), 4000, b.ip(), 5999, 64, new byte[8 + r.nextInt(200)]);
        switch (k) {
            case EMPTY:
                return new byte[0];
            case SHORT: {
                byte[] d = new byte[1 + r.nextInt(19)];
                r.nextBytes(d);
                d[0] = 0x45;
                return d;
            }
            case VERSION_6:
                valid[0] = 0x65;
                return valid;
            case VERSION_0:
                valid[0] = 0x05;
                return valid;
            case IHL_BELOW_5:
                valid[0] = (byte) (0x40 | r.nextInt(5));
                return valid;
            case TOTAL_BEYOND:
                setTotal(valid, valid.length + 1 + r.nextInt(100));
                return valid;
            case TOTAL_BELOW_IHL:
                setTotal(valid, r.nextInt(20));
                return valid;
            case TTL_1:
                valid[8] = 1;
                return valid;
            case TTL_0:
                valid[8] = 0;
                return valid;
            case OVERSIZE: {
                int[] sizes = {TUN_MTU + 1, 2000, 9000, 65000};
                return RawIpv4.udp(a.ip(), 4000, b.ip(), 5999, 64, new byte[sizes[r.nextInt(sizes.length)] - 28]);
            }
            case SOURCE_OUTSIDE_NETWORK:
                return RawIpv4.udp("10.99.0.1", 4000, b.ip(), 5999, 64, new byte[16]);
            case SOURCE_WITHOUT_LEASE:
                return RawIpv4.udp("10.244.250.7", 4000, b.ip(), 5999, 64, new byte[16]);
            case SOURCE_IN_RECEIVERS_SUBNET:
                return RawIpv4.udp(b.ip(), 4000, b.ip(), 5999, 64, new byte[16]); // n2's own subnet
            case VALID:
                return valid;
            case DESTINATION_NOT_HERE:
                return RawIpv4.udp(a.ip(), 4000, a.ip(), 5999, 64, new byte[16]); // back to n1's subnet
            default:
                throw new IllegalArgumentException(k.toString());
        }
    }

    private static void setTotal(byte[] p, int total) {
        p[2] = (byte) (total >>> 8);
        p[3] = (byte) total;
    }

    private static void assertAtLeast(WeftMetrics m0, WeftMetrics m1, String reason, long targeted) {
        long delta = m1.drops(reason) - m0.drops(reason);
        assertTrue(delta >= targeted, "weft_udp_drops_total{reason=\"" + reason + "\"} rose by " + delta + ", but " + targeted
                + " targeted datagrams were sent for it");
    }

    /** {rx_queue bytes, drops} of the node's UDP sockets on port 8285, from /proc/&lt;weftd&gt;/net/udp. */
    private static long[] udpSocket(SimCluster.Node n) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc", String.valueOf(n.weftd().pid()), "net", "udp"));
        } catch (IOException e) {
            throw new UncheckedIOException("weftd on " + n.name() + " gone?", e);
        }
        long queue = 0;
        long drops = 0;
        int found = 0;
        String port = String.format(":%04X", PORT);
        for (String l : lines.subList(1, lines.size())) {
            String[] f = l.trim().split("\\s+");
            if (f[1].endsWith(port)) {
                found++;
                queue += Long.parseLong(f[4].substring(f[4].indexOf(':') + 1), 16);
                drops += Long.parseLong(f[f.length - 1]);
            }
        }
        if (found == 0) {
            throw new IllegalStateException("no UDP socket on port " + PORT + " in " + n.name() + ":\n" + String.join("\n", lines));
        }
        return new long[] {queue, drops};
    }

    private static void awaitSocketDrained(SimCluster.Node n) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (udpSocket(n)[0] > 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("weftd on " + n.name() + " did not read its socket empty in 10 s");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(100_000); // leave the CPU to weftd
        }
    }

    private static Map<String, Long> nstat(SimCluster.Node n) {
        Map<String, Long> m = new java.util.HashMap<>();
        for (String l : n.host().exec("nstat", "-asz", "UdpInDatagrams", "UdpRcvbufErrors").lines()) {
            String[] f = l.trim().split("\\s+");
            if (f.length >= 2 && !f[0].startsWith("#")) {
                m.put(f[0], Long.parseLong(f[1]));
            }
        }
        if (!m.containsKey("UdpInDatagrams") || !m.containsKey("UdpRcvbufErrors")) {
            throw new IllegalStateException("nstat printed no UDP counters: " + m);
        }
        return m;
    }

    // ------------------------------------------------------------------ 5. leases under traffic

    /**
     * A third node joins while a ping runs between a and b (20 per round, 50 ms apart, every round
     * run to completion), its pod becomes reachable from a; then it leaves (weftd stopped, lease
     * deleted) and a gets net-unreachable for it. The a-b ping loses nothing throughout.
     */
    @Test
    void aNodeJoiningAndLeavingDoesNotDisturbAnEstablishedFlow() {
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<long[]> flow = CompletableFuture.supplyAsync(() -> {
            long tx = 0;
            long rx = 0;
            do {
                Cmd.Result p = Cmd.of("ping", "-q", "-c", "20", "-i", "0.05", "-W", "2", b.ip()).netns(a.netns().name())
                        .timeout(Duration.ofSeconds(30)).tryRun();
                Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(p.stdout());
                if (!m.find()) {
                    throw new IllegalStateException("ping printed no summary: " + p.stdout() + p.stderr());
                }
                tx += Long.parseLong(m.group(1));
                rx += Long.parseLong(m.group(2));
            } while (!stop.get());
            return new long[] {tx, rx};
        });
        SimCluster.Node n3 = null;
        try {
            n3 = cluster.addNode("n3");
            cluster.awaitSubnetEnv(n3, Duration.ofSeconds(60));
            SimCluster.Pod c = cluster.addPod(n3);
            ClusterAssertions.eventually(Duration.ofSeconds(20), () -> a.netns().tryExec("ping", "-c", "1", "-W", "1", c.ip()).ok(),
                    "pod a reaches pod c on the joining node");
            String net3 = ClusterAssertions.network(SimCluster.readSubnetEnv(n3).get("FLANNEL_SUBNET"));
            n3.weftd().stop();
            cluster.etcd().etcdctl("del", SimCluster.PREFIX + "/subnets/" + net3.replace('/', '-'));
            ClusterAssertions.eventually(Duration.ofSeconds(20), () -> connectError(a, c.ip(), 80).contains("Network is unreachable"),
                    "pod a gets net-unreachable for pod c once n3's lease is gone");
        } finally {
            stop.set(true);
            if (n3 != null) {
                cluster.removeNode(n3);
            }
        }
        long[] txRx = flow.join();
        System.out.printf("UdpBackendE2eTest leases: a -> b ping %d sent, %d answered while n3 joined and left%n", txRx[0], txRx[1]);
        assertTrue(txRx[0] >= 20);
        assertEquals(txRx[0], txRx[1], "a -> b ping lost packets while n3 joined and left");
        assertAllReceivedAccountedFor();
    }

    // ------------------------------------------------------------------ 6. offloads on and off

    /**
     * The same seeded 64 MB give the same SHA-256 with offloads at their default (on) and with
     * -udp-offload=false, and equal a local digest of the stream; /metrics names offloads in use
     * in the default mode and none with them off.
     */
    @Test
    void offloadsOnAndOffCarryTheSameBytes() {
        long bytes = 64 * MB;
        long seed = 6;
        String expected = PodTraffic.expectedSha256(bytes, seed);
        WeftMetrics on1 = atRest(n1, x -> true);
        WeftMetrics on2 = atRest(n2, x -> true);
        PodTraffic.Transfer on = PodTraffic.tcp(a, b, 5206, bytes, seed, Duration.ofMinutes(2));
        assertTransferIntact(on, "offloads on");
        assertEquals(expected, on.receivedSha256(), "offloads on: received bytes differ from the seeded stream");
        for (SimCluster.Node n : List.of(n1, n2)) {
            List<String> inUse = WeftMetrics.scrape(n, METRICS_PORT).offloadsInUse();
            assertFalse(inUse.isEmpty(), "no offloads reported in use by default on " + n.name());
            System.out.println("UdpBackendE2eTest offloads on " + n.name() + ": " + inUse);
        }
        // On, the bulk stream moves in batches: TSO super-segments read from n1's TUN, UDP GSO
        // sends, coalesced writes to n2's TUN.
        WeftMetrics after1 = atRest(n1, x -> true);
        WeftMetrics after2 = atRest(n2, x -> true);
        System.out.println("UdpBackendE2eTest offloads on, 64 MB: " + batchSummary(on1, after1, "n1") + " " + batchSummary(on2, after2, "n2"));
        assertTrue(multiPacketBatches(on1, after1, "tun_rx") > 0, "no TUN read on n1 carried more than one packet");
        assertTrue(multiPacketBatches(on1, after1, "udp_tx") > 0, "no UDP send on n1 carried more than one datagram");
        assertTrue(multiPacketBatches(on2, after2, "tun_tx") > 0, "no TUN write on n2 carried more than one packet");
        List<String> offArgs = new ArrayList<>(METRICS);
        offArgs.add("-udp-offload=false");
        try (SimCluster off = SimCluster.start(SimCluster.Options.of(2, UDP).withExtraArgs(offArgs))) {
            SimCluster.Pod oa = off.addPod(off.node(0));
            SimCluster.Pod ob = off.addPod(off.node(1));
            awaitPing(oa, ob.ip());
            PodTraffic.Transfer t = PodTraffic.tcp(oa, ob, 5206, bytes, seed, Duration.ofMinutes(2));
            assertTransferIntact(t, "offloads off");
            assertEquals(expected, t.receivedSha256(), "offloads off: received bytes differ from the seeded stream");
            WeftMetrics empty = WeftMetrics.parse("");
            for (SimCluster.Node n : off.nodes()) {
                WeftMetrics m = atRest(n, x -> true);
                System.out.println("UdpBackendE2eTest offloads off, 64 MB: " + batchSummary(empty, m, n.name()));
                assertEquals(List.of(), m.offloadsInUse(), "offloads reported in use with -udp-offload=false on " + n.name());
                assertTrue(m.keysStartingWith("weft_udp_offload{").size() >= 8, "the offloads not in use show as 0:\n" + m.text());
                assertEquals(m.packets("udp_rx"), m.packets("tun_tx") + m.rxDropped(), "accounting on " + n.name());
                // Off, one packet per TUN read, per send and per TUN write.
                for (String path : List.of("tun_rx", "udp_tx", "tun_tx")) {
                    assertEquals(0, multiPacketBatches(empty, m, path), path + " batches of more than one packet with offloads off on " + n.name());
                }
            }
        }
    }

    /** Batches on a leg between two scrapes that moved more than one packet (histogram count less the le="1" bucket). */
    private static long multiPacketBatches(WeftMetrics before, WeftMetrics after, String path) {
        String count = "weft_udp_batch_size_packets_count{path=\"" + path + "\"}";
        String single = "weft_udp_batch_size_packets_bucket{path=\"" + path + "\",le=\"1\"}";
        return (after.get(count) - before.samples().getOrDefault(count, 0.0).longValue())
                - (after.get(single) - before.samples().getOrDefault(single, 0.0).longValue());
    }

    private static String batchSummary(WeftMetrics before, WeftMetrics after, String node) {
        StringBuilder sb = new StringBuilder(node + " packets/batch");
        for (String path : List.of("tun_rx", "udp_tx", "udp_rx", "tun_tx")) {
            String sum = "weft_udp_batch_size_packets_sum{path=\"" + path + "\"}";
            String count = "weft_udp_batch_size_packets_count{path=\"" + path + "\"}";
            long p = after.get(sum) - before.samples().getOrDefault(sum, 0.0).longValue();
            long c = after.get(count) - before.samples().getOrDefault(count, 0.0).longValue();
            sb.append(String.format(java.util.Locale.ROOT, " %s=%.1f", path, c == 0 ? 0.0 : (double) p / c));
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ 7. /metrics as Prometheus reads it

    /**
     * The udp weftd's /metrics through Prometheus' own parser: the families of every backend, and
     * the udp ones with their units and labels (one dropped family by direction, the batch-size
     * histogram in packets, every offload listed with 1 or 0).
     */
    @Test
    void metricsParseWithPrometheusParser() {
        PromExposition m = PromExposition.parse(atRest(n1, x -> true).text());
        m.assertNodeFamilies();
        assertEquals(Set.of("rx", "tx"), m.labels("weft_udp_dropped", "counter", "direction"));
        m.only("weft_udp_batch_size_packets", "histogram");
        assertTrue(m.sum("weft_udp_batch_size_packets", "weft_udp_batch_size_packets_count", "path", "udp_rx") > 0,
                "the pods' pings came in batches");
        Set<String> features = m.labels("weft_udp_offload", "gauge", "feature");
        assertTrue(features.containsAll(Set.of("vnet_hdr", "tso4", "udp_gso", "udp_gro", "tcp_coalesce")), features.toString());
        for (com.fasterxml.jackson.databind.JsonNode sample : m.families().path("weft_udp_offload").path("samples")) {
            double v = sample.get(2).asDouble();
            assertTrue(v == 0 || v == 1, "an offload is in use or not: " + sample);
        }
        assertTrue(m.sum("weft_udp_offload", "weft_udp_offload") >= 1, "offloads on by default");
        assertTrue(m.sum("weft_netlink_requests", "weft_netlink_requests_total", "op", "newroute", "result", "ok") >= 1,
                "the network's route to flannel0");
    }

    // ------------------------------------------------------------------ helpers

    private static void awaitPing(SimCluster.Pod from, String to) {
        ClusterAssertions.eventually(Duration.ofSeconds(30), () -> from.netns().tryExec("ping", "-c", "1", "-W", "1", to).ok(),
                "pod " + from.ip() + " reaches " + to);
    }

    private static void assertPingTtl(SimCluster.Pod from, String to, int ttl) {
        Cmd.Result r = from.netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", to);
        assertTrue(r.ok(), "ping " + from.ip() + " -> " + to + ":\n" + r.stdout() + r.stderr());
        long replies = r.stdout().lines().filter(l -> l.contains("bytes from " + to)).count();
        long withTtl = r.stdout().lines().filter(l -> l.contains("bytes from " + to) && l.contains(" ttl=" + ttl + " ")).count();
        assertEquals(3, replies, r.stdout());
        assertEquals(replies, withTtl, "every reply " + to + " -> " + from.ip() + " should arrive with ttl=" + ttl + ":\n" + r.stdout());
    }

    private static void assertTransferIntact(PodTraffic.Transfer t, String what) {
        assertEquals(t.sent(), t.received(), what + ": bytes received");
        assertEquals(t.sentSha256(), t.receivedSha256(), what + ": SHA-256 of the received bytes");
    }

    /** On both nodes, at rest: every datagram received was written to the TUN or counted as dropped. */
    private static void assertAllReceivedAccountedFor() {
        for (SimCluster.Node n : List.of(n1, n2)) {
            WeftMetrics m = atRest(n, x -> true);
            assertEquals(m.packets("udp_rx"), m.packets("tun_tx") + m.rxDropped(), "udp_rx = tun_tx + rx_dropped on " + n.name() + ":\n" + m.text());
        }
    }

    /**
     * A scrape taken when weftd is between datagrams: a datagram is counted as received before it
     * is written or dropped, so a scrape during the last ones of a flow can be one step apart.
     * Scrapes until udp_rx = tun_tx + rx_dropped and {@code also} holds, for at most 10 s, and
     * returns the last scrape either way (the caller's assertions then show the numbers).
     */
    private static WeftMetrics atRest(SimCluster.Node n, java.util.function.Predicate<WeftMetrics> also) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        WeftMetrics m = WeftMetrics.scrape(n, METRICS_PORT);
        while (!(m.packets("udp_rx") == m.packets("tun_tx") + m.rxDropped() && also.test(m)) && System.nanoTime() < deadline) {
            SimCluster.sleep(100);
            m = WeftMetrics.scrape(n, METRICS_PORT);
        }
        return m;
    }

    /** Connects from the pod with a 5 s timeout; returns "connected", "timeout" or the error. */
    private static String connectError(SimCluster.Pod from, String ip, int port) {
        return PodTraffic.inNetns(from.netns().name(), () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(ip, port), 5000);
                return "connected";
            } catch (SocketTimeoutException e) {
                return "timeout";
            } catch (IOException e) {
                return e.getClass().getSimpleName() + ": " + e.getMessage();
            }
        });
    }
}
