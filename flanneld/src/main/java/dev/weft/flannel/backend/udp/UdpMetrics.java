package dev.weft.flannel.backend.udp;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.EnumMap;
import java.util.Map;

/**
 * Counters of the udp data path. Written by the one event-loop thread only (opaque stores, no
 * read-modify-write atomics on the per-packet path), readable from any thread.
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
        TUN_READ_ERROR
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
    private static final int DROPS = 10;

    private final long[] c = new long[DROPS + Drop.values().length];

    private void add(int i, long v) {
        LONGS.setOpaque(c, i, (long) LONGS.getOpaque(c, i) + v);
    }

    private long get(int i) {
        return (long) LONGS.getOpaque(c, i);
    }

    void tunRx(int bytes) {
        add(TUN_RX_PACKETS, 1);
        add(TUN_RX_BYTES, bytes);
    }

    void udpTx(int bytes) {
        add(UDP_TX_PACKETS, 1);
        add(UDP_TX_BYTES, bytes);
    }

    void udpRx(int bytes) {
        add(UDP_RX_PACKETS, 1);
        add(UDP_RX_BYTES, bytes);
    }

    void tunTx(int bytes) {
        add(TUN_TX_PACKETS, 1);
        add(TUN_TX_BYTES, bytes);
    }

    void icmpUnreachable() {
        add(ICMP_UNREACHABLE, 1);
    }

    void drop(Drop d) {
        add(DROPS + d.ordinal(), 1);
    }

    /** A received datagram was dropped (also counted by reason). */
    void udpRxDrop(Drop d) {
        add(UDP_RX_DROPPED, 1);
        drop(d);
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

    @Override
    public String toString() {
        return "tunRx=" + tunRxPackets() + "/" + tunRxBytes() + "B udpTx=" + udpTxPackets() + "/" + udpTxBytes()
                + "B udpRx=" + udpRxPackets() + "/" + udpRxBytes() + "B tunTx=" + tunTxPackets() + "/" + tunTxBytes()
                + "B icmpUnreach=" + icmpUnreachableSent() + " udpRxDropped=" + udpRxDropped() + " drops=" + dropCounts();
    }
}
