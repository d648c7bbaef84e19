package dev.weft.flannel.backend.udp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.unix.IovArray;
import java.io.IOException;

/**
 * Receive-side GRO for the TUN: consecutive in-order TCP segments of one flow, as they come out of
 * one read burst of the socket, are written to the TUN as one super-segment with a virtio_net_hdr
 * (GSO_TCPV4, checksum partial), so the kernel and the pod's TCP handle one large packet instead of
 * dozens. The rules are the kernel's own GRO rules, made stricter where that is simpler: same
 * addresses, ports, TOS, TTL, fragment field, ACK number, window and TCP options; no IP options,
 * no fragments; flags ACK or ACK|PSH only (PSH ends a run); every segment but the last exactly the
 * first one's size; each segment's own checksum verified first (a bad one is passed on alone, for
 * the pod's stack to count and drop). Anything else is written as it came, in order.
 *
 * <p>Payloads are not copied: the coalescer keeps the received buffers (retained) and gathers
 * them with writev(2) at {@link #flush}. One instance per event loop; not thread-safe.
 */
public final class TcpCoalescer implements AutoCloseable {
    static final int MAX_SEGMENTS = 64;
    private static final int MAX_IP_TOTAL = 65_535;
    private static final int PROTO_TCP = 6;
    private static final int TCP_ACK = 0x10;
    private static final int TCP_PSH = 0x08;

    private final TunWriter tun;
    private final UdpMetrics metrics;
    /** virtio_net_hdr + the first segment's IP and TCP headers: the super-segment's header. */
    private final ByteBuf head;
    private final ByteBuf[] bufs = new ByteBuf[MAX_SEGMENTS];
    private final int[] offs = new int[MAX_SEGMENTS];
    private final int[] lens = new int[MAX_SEGMENTS];
    private int count;
    private int hdrs;
    private int mss;
    private int payload;
    private long nextSeq;
    private boolean closed;
    private boolean push;

    public TcpCoalescer(TunWriter tun, UdpMetrics metrics, ByteBufAllocator alloc) {
        this.tun = tun;
        this.metrics = metrics;
        this.head = alloc.directBuffer(VnetHdr.SIZE + 120);
    }

    /**
     * Offers a validated, TTL-decremented packet of {@code total} bytes at {@code off}. Returns
     * true when it was taken (retained; written by a later {@link #flush}), false when the caller
     * must write it alone — after calling {@link #flush}, to keep the order.
     */
    public boolean offer(ByteBuf b, int off, int total) {
        int plen = coalescablePayload(b, off, total);
        if (plen <= 0) {
            return false;
        }
        int ihl = 20;
        int thl = total - ihl - plen;
        if (count > 0 && !continues(b, off, thl, plen)) {
            flush();
        }
        if (count == 0) {
            start(b, off, thl, plen);
        }
        bufs[count] = b.retain();
        offs[count] = off + ihl + thl;
        lens[count] = plen;
        count++;
        payload += plen;
        nextSeq = (b.getUnsignedInt(off + ihl + 4) + plen) & 0xffffffffL;
        if (plen < mss) {
            closed = true;
        }
        if ((b.getUnsignedByte(off + ihl + 13) & TCP_PSH) != 0) {
            push = true;
            flush();
        } else if (count == MAX_SEGMENTS || hdrs + payload + mss > MAX_IP_TOTAL) {
            flush();
        }
        return true;
    }

    /** Payload length when the packet may be coalesced at all, else 0. */
    private static int coalescablePayload(ByteBuf b, int off, int total) {
        if (b.getUnsignedByte(off) != 0x45 || b.getUnsignedByte(off + 9) != PROTO_TCP
                || (b.getUnsignedShort(off + 6) & 0x3fff) != 0) {
            return 0; // IP options, not TCP, or a fragment
        }
        int tcp = off + 20;
        if (total < 40) {
            return 0;
        }
        int thl = (b.getUnsignedByte(tcp + 12) >>> 4) * 4;
        int flags = b.getUnsignedByte(tcp + 13);
        int plen = total - 20 - thl;
        if (thl < 20 || plen <= 0 || (flags & ~TCP_PSH) != TCP_ACK) {
            return 0;
        }
        long acc = Checksum.add(b, tcp, thl + plen, Checksum.pseudoV4(b, off, PROTO_TCP, thl + plen));
        return Checksum.finish(acc) == 0xffff ? plen : 0;
    }

    /** Whether the segment extends the run being built. */
    private boolean continues(ByteBuf b, int off, int thl, int plen) {
        int h = VnetHdr.SIZE;
        if (closed || plen > mss || 20 + thl != hdrs || hdrs + payload + plen > MAX_IP_TOTAL
                || b.getUnsignedInt(off + 24) != nextSeq) {
            return false;
        }
        // TOS, fragment field, TTL, addresses, ports, ACK number, data offset/flags, window, options
        return b.getUnsignedByte(off + 1) == head.getUnsignedByte(h + 1)
                && b.getUnsignedShort(off + 6) == head.getUnsignedShort(h + 6)
                && b.getUnsignedByte(off + 8) == head.getUnsignedByte(h + 8)
                && b.getLong(off + 12) == head.getLong(h + 12)
                && b.getInt(off + 20) == head.getInt(h + 20)
                && b.getInt(off + 28) == head.getInt(h + 28)
                && (b.getUnsignedShort(off + 32) & ~TCP_PSH) == head.getUnsignedShort(h + 32)
                && b.getUnsignedShort(off + 34) == head.getUnsignedShort(h + 34)
                && sameOptions(b, off + 40, h + 40, thl - 20);
    }

    private boolean sameOptions(ByteBuf b, int at, int headAt, int len) {
        for (int i = 0; i < len; i += 4) {
            if (b.getInt(at + i) != head.getInt(headAt + i)) {
                return false;
            }
        }
        return true;
    }

    private void start(ByteBuf b, int off, int thl, int plen) {
        hdrs = 20 + thl;
        mss = plen;
        payload = 0;
        closed = false;
        push = false;
        head.clear();
        head.writeZero(VnetHdr.SIZE);
        head.writeBytes(b, off, hdrs);
    }

    /**
     * Writes a TCP packet of {@code total} bytes at {@code off} that arrived already longer than the
     * TUN's {@code mtu}, as one super-segment of segments that fit the MTU; what is pending goes
     * first. Such a packet is the kernel's own GRO at work on the underlay (a NIC, or a veth with GRO
     * on, joins a flow's IPIP packets, inner TCP included, before the raw socket reads them): its
     * IPv4 lengths are the joined ones and its TCP checksum is left partial (the pseudo-header sum),
     * after GRO has checked every segment's. A TUN write of it without a GSO header would be dropped
     * as larger than the pod's MTU. The segment size is the largest the MTU allows with its headers:
     * GRO does not say the sender's, and the pod's TCP takes it as a hint only.
     *
     * <p>Returns null, or why it was dropped: not TCP, IP options or a fragment (GRO joins none of
     * those: {@link UdpMetrics.Drop#OVERSIZE}), a TCP checksum neither partial nor right.
     */
    public UdpMetrics.Drop writeOversize(ByteBuf b, int off, int total, int mtu) {
        flush();
        if (b.getUnsignedByte(off) != 0x45 || b.getUnsignedByte(off + 9) != PROTO_TCP
                || (b.getUnsignedShort(off + 6) & 0x3fff) != 0 || total < 40) {
            return UdpMetrics.Drop.OVERSIZE;
        }
        int tcp = off + 20;
        int thl = (b.getUnsignedByte(tcp + 12) >>> 4) * 4;
        int plen = total - 20 - thl;
        int segment = mtu - 20 - thl;
        if (thl < 20 || plen <= segment || segment <= 0) {
            return UdpMetrics.Drop.OVERSIZE;
        }
        long pseudo = Checksum.pseudoV4(b, off, PROTO_TCP, thl + plen);
        if (b.getUnsignedShort(tcp + 16) != Checksum.finish(pseudo)
                && Checksum.finish(Checksum.add(b, tcp, thl + plen, pseudo)) != 0xffff) {
            return UdpMetrics.Drop.BAD_CHECKSUM;
        }
        start(b, off, thl, segment);
        bufs[0] = b.retain();
        offs[0] = tcp + thl;
        lens[0] = plen;
        count = 1;
        payload = plen;
        flush();
        return null;
    }

    /** Writes what is pending: one packet as it came, several (or one too long) as one super-segment. */
    public void flush() {
        if (count == 0) {
            return;
        }
        int segments = count == 1 ? (payload + mss - 1) / mss : count;
        try {
            if (segments == 1) {
                tun.write(bufs[0], offs[0] - hdrs, hdrs + lens[0]);
            } else {
                writeSuperSegment();
            }
            metrics.tunTx(segments, (long) hdrs * segments + payload);
            metrics.batch(UdpMetrics.Path.TUN_TX, segments);
        } catch (IOException | RuntimeException e) {
            for (int i = 0; i < count; i++) {
                metrics.udpRxDrop(UdpMetrics.Drop.TUN_WRITE_ERROR);
            }
        } finally {
            for (int i = 0; i < count; i++) {
                bufs[i].release();
                bufs[i] = null;
            }
            count = 0;
            payload = 0;
        }
    }

    private void writeSuperSegment() throws IOException {
        int h = VnetHdr.SIZE;
        int total = hdrs + payload;
        VnetHdr.set(head, 0, VnetHdr.F_NEEDS_CSUM, VnetHdr.GSO_TCPV4, hdrs, mss, 20, 16);
        head.setShort(h + 2, total);
        head.setShort(h + 10, 0);
        head.setShort(h + 10, Checksum.of(head, h, 20));
        if (push) {
            head.setByte(h + 33, head.getUnsignedByte(h + 33) | TCP_PSH);
        }
        // checksum partial: the field holds the pseudo-header sum, the kernel completes it if it must
        head.setShort(h + 36, Checksum.finish(Checksum.pseudoV4(head, h, PROTO_TCP, total - 20)));
        IovArray iov = tun.gather();
        iov.add(head, 0, VnetHdr.SIZE + hdrs);
        for (int i = 0; i < count; i++) {
            iov.add(bufs[i], offs[i], lens[i]);
        }
        tun.writeGathered();
    }

    @Override
    public void close() {
        for (int i = 0; i < count; i++) {
            bufs[i].release();
            bufs[i] = null;
        }
        count = 0;
        head.release();
    }
}
