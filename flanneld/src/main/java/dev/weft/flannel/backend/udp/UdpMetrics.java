package dev.weft.flannel.backend.udp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Counters of a userspace data path between a TUN and a socket: the udp backend's, and the bgp
 * backend's userspace IPIP ({@code dev.weft.flannel.backend.ipip}), which names its wire legs and
 * metrics after its own wire ({@link #UdpMetrics(String)}). Readable from any thread. Each instance is written by one thread
 * only (opaque stores, no read-modify-write atomics on the per-packet path). A data path with
 * several event loops gives each loop its own {@link #newShard() shard}: the readers here sum the
 * instance and its shards, so no counter's cache line bounces between the loops.
 */
public final class UdpMetrics {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    /** Why a packet was dropped. */
    public enum Drop {
        /** Datagram shorter than an IPv4 header. */
        TOO_SHORT,
        /** Version field is not 4. */
        NOT_IPV4,
        /** IHL below 5 or beyond the datagram. */
        BAD_HEADER_LENGTH,
        /** Total length below the header or beyond the datagram. */
        BAD_TOTAL_LENGTH,
        /** Datagram larger than the TUN MTU. */
        OVERSIZE,
        /** TTL would reach 0. */
        TTL_EXPIRED,
        /** No lease covers the destination (an ICMP net-unreachable may have been returned). */
        NO_ROUTE,
        /** The socket's send queue is full. */
        SEND_BACKPRESSURE,
        /** sendto failed. */
        SEND_ERROR,
        /** write(2) to the TUN failed. */
        TUN_WRITE_ERROR,
        /** read(2) from the TUN failed. */
        TUN_READ_ERROR,
        /** A super-segment from the TUN whose GSO header does not match the packet. */
        BAD_GSO,
        /** A super-segment of a kind the udp backend does not carry (IPv6, UFO). */
        UNSUPPORTED_GSO,
        /** A datagram whose outer source holds no lease (not a node of the network). */
        UNKNOWN_SENDER,
        /** A datagram whose inner source is outside the subnets its sender holds (forged). */
        SPOOFED_SOURCE,
        /** A datagram whose inner destination is outside this node's subnet (not for us to relay). */
        FOREIGN_DESTINATION,
        /** A packet whose outer IPv4 protocol is not the tunnel's (IPIP: 4). */
        WRONG_PROTOCOL,
        /** An IPIP packet marked CE around an inner packet that is not ECN-capable (RFC 6040 drops it). */
        CE_NOT_ECT,
        /** A TCP packet from the wire, joined by the kernel's GRO, whose checksum is neither partial nor right. */
        BAD_CHECKSUM
    }

    private static final int TUN_RX_PACKETS = 0;
    private static final int TUN_RX_BYTES = 1;
    private static final int UDP_TX_PACKETS = 2;
    private static final int UDP_TX_BYTES = 3;
    private static final int UDP_RX_PACKETS = 4;
    private static final int UDP_RX_BYTES = 5;
    private static final int TUN_TX_PACKETS = 6;
    private static final int TUN_TX_BYTES = 7;
    private static final int ICMP_UNREACHABLE = 8;
    private static final int UDP_RX_DROPPED = 9;
    private static final int TUN_RX_DROPPED = 10;
    private static final int ICMP_SUPPRESSED = 11;
    private static final int SOCKET_OVERFLOW = 12;
    private static final int DROPS = 13;
    private static final int BATCHES = DROPS + Drop.values().length;

    /** The four legs of the data path; batch counters are kept per leg. */
    public enum Path {
        /** read(2) from the TUN: one packet, or one TSO super-segment with offloads. */
        TUN_RX,
        /** send on the socket: one sendmmsg of several datagrams, or one UDP GSO batch. */
        UDP_TX,
        /** receive on the socket: one recvmmsg, or one UDP GRO batch. */
        UDP_RX,
        /** write(2) to the TUN: one packet, or one coalesced TCP super-segment. */
        TUN_TX;

        /** The leg's label, e.g. "udp_tx"; the wire legs are named after the wire in use. */
        String label(String wire) {
            String l = name().toLowerCase(java.util.Locale.ROOT);
            return l.startsWith("udp_") ? wire + l.substring(3) : l;
        }
    }

    /** The TUN's offloads (UdpBackend.enableTunOffloads) and the receive-side TCP coalescing any wire has. */
    private static final List<String> TUN_OFFLOADS = List.of("vnet_hdr", "csum", "tso4", "tso6", "uso4", "uso6", "tcp_coalesce");
    /** Those and the UDP socket's segmentation and receive offloads (UdpDataPath.start). */
    private static final List<String> UDP_OFFLOADS = List.of("vnet_hdr", "csum", "tso4", "tso6", "uso4", "uso6", "udp_gso", "udp_gro",
            "tcp_coalesce");

    /** Upper bounds of the batch-size histogram buckets (packets per batch), then +Inf. */
    static final int[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64};
    private static final int PER_PATH = 2 + BATCH_BUCKETS.length + 1; // batches, packets, buckets.., +Inf

    private final long[] c = new long[BATCHES + Path.values().length * PER_PATH];
    private volatile String offloads = "";
    private volatile int loops;
    private volatile boolean steered;
    private final List<UdpMetrics> shards = new CopyOnWriteArrayList<>();
    /** The wire's name in the metric names and the wire legs' labels: "udp", "ipip". */
    private final String wire;

    /** The udp backend's counters (weft_udp_*). */
    public UdpMetrics() {
        this("udp");
    }

    /** Counters named weft_{@code wire}_*, with wire legs {@code wire}_tx and {@code wire}_rx. */
    public UdpMetrics(String wire) {
        if (!wire.matches("[a-z][a-z0-9]*")) {
            throw new IllegalArgumentException("wire name must be lower-case alphanumeric: " + wire);
        }
        this.wire = wire;
    }

    /** A new set of counters for one more writing thread, summed into this one's readings. */
    public UdpMetrics newShard() {
        UdpMetrics s = new UdpMetrics(wire);
        shards.add(s);
        return s;
    }

    /** The shards, in creation order. */
    List<UdpMetrics> shards() {
        return List.copyOf(shards);
    }

    private void add(int i, long v) {
        LONGS.setOpaque(c, i, (long) LONGS.getOpaque(c, i) + v);
    }

    private long get(int i) {
        long v = (long) LONGS.getOpaque(c, i);
        for (UdpMetrics s : shards) {
            v += s.get(i);
        }
        return v;
    }

    public void tunRx(int bytes) {
        add(TUN_RX_PACKETS, 1);
        add(TUN_RX_BYTES, bytes);
    }

    public void tunRx(int packets, long bytes) {
        add(TUN_RX_PACKETS, packets);
        add(TUN_RX_BYTES, bytes);
    }

    /** One TUN read of {@code len} bytes: dropped for {@code bad}, or forwarded as {@code segments} wire packets. */
    public void tunRead(int len, Drop bad, int segments) {
        if (bad != null) {
            tunRx(len);
            tunRxDrop(bad);
        } else {
            tunRx(segments, len);
            batch(Path.TUN_RX, segments);
        }
    }

    public void udpTx(int packets, long bytes) {
        add(UDP_TX_PACKETS, packets);
        add(UDP_TX_BYTES, bytes);
    }

    public void tunTx(int packets, long bytes) {
        add(TUN_TX_PACKETS, packets);
        add(TUN_TX_BYTES, bytes);
    }

    public void udpTx(int bytes) {
        add(UDP_TX_PACKETS, 1);
        add(UDP_TX_BYTES, bytes);
    }

    public void udpRx(int bytes) {
        add(UDP_RX_PACKETS, 1);
        add(UDP_RX_BYTES, bytes);
    }

    public void tunTx(int bytes) {
        add(TUN_TX_PACKETS, 1);
        add(TUN_TX_BYTES, bytes);
    }

    void icmpUnreachable() {
        add(ICMP_UNREACHABLE, 1);
    }

    /** A net-unreachable was due but the rate limit held it back. */
    void icmpSuppressed() {
        add(ICMP_SUPPRESSED, 1);
    }

    /**
     * The kernel's count of datagrams it dropped because this shard's socket's receive buffer was
     * full (SO_RXQ_OVFL / SK_MEMINFO_DROPS: a running total per socket, so it is set, not added).
     */
    void socketOverflow(long total) {
        LONGS.setOpaque(c, SOCKET_OVERFLOW, total);
    }

    public void drop(Drop d) {
        add(DROPS + d.ordinal(), 1);
    }

    /** One syscall (or batch) on {@code p} moved {@code packets} wire packets. */
    public void batch(Path p, int packets) {
        int base = BATCHES + p.ordinal() * PER_PATH;
        add(base, 1);
        add(base + 1, packets);
        int b = 0;
        while (b < BATCH_BUCKETS.length && packets > BATCH_BUCKETS[b]) {
            b++;
        }
        add(base + 2 + b, 1);
    }

    /** Batches (syscalls) on a leg. */
    public long batches(Path p) {
        return get(BATCHES + p.ordinal() * PER_PATH);
    }

    /** Wire packets moved by those batches. */
    public long batchPackets(Path p) {
        return get(BATCHES + p.ordinal() * PER_PATH + 1);
    }

    /** Records which offloads the data path runs with, e.g. "vnet_hdr tso4 tso6 udp_gso udp_gro". */
    public void offloads(String names) {
        offloads = names;
    }

    /** Records the event loops of the data path and whether incoming datagrams are steered to one. */
    public void loops(int n, boolean steeredToReceiver) {
        loops = n;
        steered = steeredToReceiver;
    }

    /** Event loops of the data path (0 before it starts). */
    public int loops() {
        return loops;
    }

    /** Whether a reuseport BPF program sends every incoming datagram to the receiving loop. */
    public boolean steered() {
        return steered;
    }

    /** Every offload this wire's data path may use, whether it does or not: the TUN's, then the socket's. */
    List<String> knownOffloads() {
        return "udp".equals(wire) ? UDP_OFFLOADS : TUN_OFFLOADS;
    }

    /** The offloads in use, space separated; empty when none. */
    public String offloads() {
        return offloads;
    }

    /** A received datagram was dropped (also counted by reason). */
    public void udpRxDrop(Drop d) {
        add(UDP_RX_DROPPED, 1);
        drop(d);
    }

    /** A packet read from the TUN was not sent (also counted by reason). */
    public void tunRxDrop(Drop d) {
        add(TUN_RX_DROPPED, 1);
        drop(d);
    }

    /**
     * Packets read from the TUN that were dropped, for any reason: the send-side counterpart of
     * {@link #udpRxDropped()}.
     */
    public long tunRxDropped() {
        return get(TUN_RX_DROPPED);
    }

    /** Packets read from the TUN. */
    public long tunRxPackets() {
        return get(TUN_RX_PACKETS);
    }

    public long tunRxBytes() {
        return get(TUN_RX_BYTES);
    }

    /** Datagrams handed to the socket. */
    public long udpTxPackets() {
        return get(UDP_TX_PACKETS);
    }

    public long udpTxBytes() {
        return get(UDP_TX_BYTES);
    }

    /** Datagrams received on the socket, valid or not. */
    public long udpRxPackets() {
        return get(UDP_RX_PACKETS);
    }

    public long udpRxBytes() {
        return get(UDP_RX_BYTES);
    }

    /** Packets written to the TUN (forwarded ones, not ICMP replies). */
    public long tunTxPackets() {
        return get(TUN_TX_PACKETS);
    }

    public long tunTxBytes() {
        return get(TUN_TX_BYTES);
    }

    /** ICMP net-unreachable replies written to the TUN. */
    public long icmpUnreachableSent() {
        return get(ICMP_UNREACHABLE);
    }

    /** Net-unreachable replies the rate limit held back. */
    public long icmpUnreachableSuppressed() {
        return get(ICMP_SUPPRESSED);
    }

    /**
     * Datagrams the kernel dropped before weftd could read them, its sockets' receive buffers being
     * full (as far as weftd has learnt: a socket reports its count with the next datagram it holds).
     * Not part of {@link #udpRxPackets()}: they were never received.
     */
    public long socketOverflowDrops() {
        return get(SOCKET_OVERFLOW);
    }

    /**
     * Received datagrams that were dropped, for any reason: every received datagram is either
     * written to the TUN or counted here.
     */
    public long udpRxDropped() {
        return get(UDP_RX_DROPPED);
    }

    public long drops(Drop d) {
        return get(DROPS + d.ordinal());
    }

    public long totalDrops() {
        long t = 0;
        for (Drop d : Drop.values()) {
            t += drops(d);
        }
        return t;
    }

    /** All drop counters. */
    public Map<Drop, Long> dropCounts() {
        Map<Drop, Long> m = new EnumMap<>(Drop.class);
        for (Drop d : Drop.values()) {
            m.put(d, drops(d));
        }
        return m;
    }

    /**
     * The counters in the Prometheus text format, named after the wire (weft_udp_* here,
     * weft_ipip_* for IPIP): weft_udp_packets_total and weft_udp_bytes_total by path, weft_udp_drops_total by reason,
     * weft_udp_dropped_total by direction (rx, tx), weft_udp_icmp_unreachable_total,
     * weft_udp_icmp_unreachable_suppressed_total, weft_udp_socket_overflow_drops_total,
     * weft_udp_batches_total and the weft_udp_batch_size_packets histogram by path, and
     * weft_udp_offload{feature}: 1 for each offload in use, 0 for each the data path could use but does not.
     */
    public String prometheusText() {
        StringBuilder b = new StringBuilder(4096);
        String n = "weft_" + wire + "_";
        long[][] pb = {
            {tunRxPackets(), tunRxBytes()}, {udpTxPackets(), udpTxBytes()},
            {udpRxPackets(), udpRxBytes()}, {tunTxPackets(), tunTxBytes()}};
        b.append("# HELP " + n + "packets_total IPv4 packets (as on the wire) per leg of the " + wire + " data path.\n")
                .append("# TYPE " + n + "packets_total counter\n");
        for (Path p : Path.values()) {
            b.append(n + "packets_total{path=\"").append(p.label(wire)).append("\"} ").append(pb[p.ordinal()][0]).append('\n');
        }
        b.append("# HELP " + n + "bytes_total Bytes of those packets.\n# TYPE " + n + "bytes_total counter\n");
        for (Path p : Path.values()) {
            b.append(n + "bytes_total{path=\"").append(p.label(wire)).append("\"} ").append(pb[p.ordinal()][1]).append('\n');
        }
        b.append("# HELP " + n + "drops_total Packets dropped, by reason.\n# TYPE " + n + "drops_total counter\n");
        for (Drop d : Drop.values()) {
            b.append(n + "drops_total{reason=\"").append(d.name().toLowerCase(java.util.Locale.ROOT)).append("\"} ")
                    .append(drops(d)).append('\n');
        }
        b.append("# HELP " + n + "dropped_total Packets of the data path that went no further: rx, received on the wire and not written "
                + "to the TUN; tx, read from the TUN and not sent.\n# TYPE " + n + "dropped_total counter\n")
                .append(n + "dropped_total{direction=\"rx\"} ").append(udpRxDropped()).append('\n')
                .append(n + "dropped_total{direction=\"tx\"} ").append(tunRxDropped()).append('\n');
        b.append("# HELP " + n + "icmp_unreachable_total ICMP net-unreachable replies written to the TUN.\n")
                .append("# TYPE " + n + "icmp_unreachable_total counter\n" + n + "icmp_unreachable_total ")
                .append(icmpUnreachableSent()).append('\n');
        b.append("# HELP " + n + "icmp_unreachable_suppressed_total ICMP net-unreachable replies held back by the rate limit.\n")
                .append("# TYPE " + n + "icmp_unreachable_suppressed_total counter\n" + n + "icmp_unreachable_suppressed_total ")
                .append(icmpUnreachableSuppressed()).append('\n');
        b.append("# HELP " + n + "socket_overflow_drops_total Datagrams the kernel dropped, the socket receive buffer being full.\n")
                .append("# TYPE " + n + "socket_overflow_drops_total counter\n" + n + "socket_overflow_drops_total ")
                .append(socketOverflowDrops()).append('\n');
        b.append("# HELP " + n + "batches_total Syscalls (batches) per leg.\n# TYPE " + n + "batches_total counter\n");
        for (Path p : Path.values()) {
            b.append(n + "batches_total{path=\"").append(p.label(wire)).append("\"} ").append(batches(p)).append('\n');
        }
        b.append("# HELP " + n + "batch_size_packets Wire packets per batch.\n# TYPE " + n + "batch_size_packets histogram\n");
        for (Path p : Path.values()) {
            int base = BATCHES + p.ordinal() * PER_PATH;
            long cum = 0;
            for (int i = 0; i <= BATCH_BUCKETS.length; i++) {
                cum += get(base + 2 + i);
                String le = i < BATCH_BUCKETS.length ? Integer.toString(BATCH_BUCKETS[i]) : "+Inf";
                b.append(n + "batch_size_packets_bucket{path=\"").append(p.label(wire)).append("\",le=\"").append(le).append("\"} ")
                        .append(cum).append('\n');
            }
            b.append(n + "batch_size_packets_sum{path=\"").append(p.label(wire)).append("\"} ").append(batchPackets(p)).append('\n');
            b.append(n + "batch_size_packets_count{path=\"").append(p.label(wire)).append("\"} ").append(batches(p)).append('\n');
        }
        b.append("# HELP " + n + "event_loops Event loops of the data path: 1 for both directions, 2 for one each.\n")
                .append("# TYPE " + n + "event_loops gauge\n" + n + "event_loops ").append(loops).append('\n');
        b.append("# HELP " + n + "reuseport_steering 1 when every incoming datagram is steered to the receiving loop.\n")
                .append("# TYPE " + n + "reuseport_steering gauge\n" + n + "reuseport_steering ").append(steered ? 1 : 0).append('\n');
        b.append("# HELP " + n + "offload Offloads the data path can run with: 1 in use, 0 not (off, or the kernel lacks it).\n")
                .append("# TYPE " + n + "offload gauge\n");
        List<String> inUse = java.util.Arrays.stream(offloads.split(" ")).filter(f -> !f.isEmpty()).toList();
        List<String> known = knownOffloads();
        for (String f : known) {
            b.append(n + "offload{feature=\"").append(f).append("\"} ").append(inUse.contains(f) ? 1 : 0).append('\n');
        }
        for (String f : inUse) {
            if (!known.contains(f)) {
                b.append(n + "offload{feature=\"").append(f).append("\"} 1\n");
            }
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return "tunRx=" + tunRxPackets() + "/" + tunRxBytes() + "B udpTx=" + udpTxPackets() + "/" + udpTxBytes()
                + "B udpRx=" + udpRxPackets() + "/" + udpRxBytes() + "B tunTx=" + tunTxPackets() + "/" + tunTxBytes()
                + "B icmpUnreach=" + icmpUnreachableSent() + " icmpSuppressed=" + icmpUnreachableSuppressed()
                + " socketOverflow=" + socketOverflowDrops() + " udpRxDropped=" + udpRxDropped() + " tunRxDropped=" + tunRxDropped() + " drops=" + dropCounts();
    }
}
