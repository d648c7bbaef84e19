package dev.weft.flannel.backend.udp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.function.Consumer;

/**
 * Turns what the TUN hands over into flannel's wire format, one IPv4 packet per datagram, no
 * longer than the TUN MTU, into {@link GsoBatch}es. With IFF_VNET_HDR the kernel may hand over a
 * TCP (TSO) or UDP (USO) super-segment of up to 64 KB: it is split here into MTU-sized packets with
 * their own total length, IP ID, checksums, sequence numbers and flags, exactly as the kernel's
 * own segmentation would have made them; a packet that still needs its L4 checksum gets it.
 */
public final class Segmenter {
    private static final int PROTO_TCP = 6;
    private static final int PROTO_UDP = 17;
    private static final int TCP_FIN = 0x01;
    private static final int TCP_PSH = 0x08;
    private static final int TCP_CWR = 0x80;
    /**
     * Batch size asked for by the segments of a super-segment: a full GSO send. A super-segment
     * means a bulk flow, and its last segments usually open the batch that the next super-segment
     * fills (45-46 segments of 64 KB do not fit one send of 44); a batch sized for those few
     * segments would be grown, and copied, five times on the way to 64 KB.
     */
    private static final int BULK_HINT = GsoBatch.MAX_BYTES;

    private final GsoBatch batch;
    private final Consumer<DatagramPacket> emit;
    private final int mtu;
    private int segments;

    /**
     * @param batch where the datagrams go
     * @param emit  takes a full batch (writes it to the channel)
     * @param mtu   the TUN MTU: the largest packet allowed on the wire
     */
    public Segmenter(GsoBatch batch, Consumer<DatagramPacket> emit, int mtu) {
        this.batch = batch;
        this.emit = emit;
        this.mtu = mtu;
    }

    /** Wire packets the last {@link #forward} produced. */
    public int segments() {
        return segments;
    }

    /** Emits the batch being filled, if any. */
    public void flush() {
        if (!batch.isEmpty()) {
            emit.accept(batch.take());
        }
    }

    /**
     * Forwards the validated, TTL-decremented packet of {@code total} bytes at {@code off} to
     * {@code peer}; {@code hdr} is the offset of its virtio_net_hdr, or −1 when the TUN has none.
     * Returns null, or why the packet was dropped.
     */
    public UdpMetrics.Drop forward(ByteBuf b, int hdr, int off, int total, InetSocketAddress peer) {
        segments = 0;
        if (hdr < 0) {
            return copy(b, off, total, peer);
        }
        int gso = VnetHdr.gsoType(b, hdr);
        if (gso == VnetHdr.GSO_NONE) {
            if ((VnetHdr.flags(b, hdr) & VnetHdr.F_NEEDS_CSUM) != 0) {
                UdpMetrics.Drop bad = completeChecksum(b, hdr, off, total);
                if (bad != null) {
                    return bad;
                }
            }
            return copy(b, off, total, peer);
        }
        if (gso == VnetHdr.GSO_TCPV4) {
            return splitTcp(b, off, total, VnetHdr.gsoSize(b, hdr), peer);
        }
        if (gso == VnetHdr.GSO_UDP_L4) {
            return splitUdp(b, off, total, VnetHdr.gsoSize(b, hdr), peer);
        }
        return UdpMetrics.Drop.UNSUPPORTED_GSO;
    }

    /** Fills in the L4 checksum the kernel left partial (csum_start/csum_offset, relative to the packet). */
    private static UdpMetrics.Drop completeChecksum(ByteBuf b, int hdr, int off, int total) {
        int start = VnetHdr.csumStart(b, hdr);
        int field = start + VnetHdr.csumOffset(b, hdr);
        if (start < Ipv4Packets.MIN_HEADER || field + 2 > total) {
            return UdpMetrics.Drop.BAD_GSO;
        }
        // the field holds the pseudo-header sum; summing over it finishes the checksum
        int sum = ~Checksum.finish(Checksum.add(b, off + start, total - start, 0)) & 0xffff;
        if (sum == 0 && b.getUnsignedByte(off + 9) == PROTO_UDP) {
            sum = 0xffff; // 0 means "no checksum" in UDP
        }
        b.setShort(off + field, sum);
        return null;
    }

    private UdpMetrics.Drop copy(ByteBuf b, int off, int total, InetSocketAddress peer) {
        if (total > mtu) {
            return UdpMetrics.Drop.OVERSIZE;
        }
        ByteBuf out = reserve(peer, total, total);
        out.writeBytes(b, off, total);
        batch.appended(total);
        segments = 1;
        return null;
    }

    /** The batch buffer positioned for a datagram of {@code len} bytes, emitting the full batch first. */
    private ByteBuf reserve(InetSocketAddress peer, int len, int hint) {
        if (!batch.isEmpty() && !batch.fits(peer, len)) {
            emit.accept(batch.take());
        }
        return batch.open(peer, len, hint);
    }

    private UdpMetrics.Drop splitTcp(ByteBuf b, int off, int total, int mss, InetSocketAddress peer) {
        int ihl = (b.getUnsignedByte(off) & 0x0f) * 4;
        if (b.getUnsignedByte(off + 9) != PROTO_TCP || total < ihl + 20) {
            return UdpMetrics.Drop.BAD_GSO;
        }
        int tcp = off + ihl;
        int thl = (b.getUnsignedByte(tcp + 12) >>> 4) * 4;
        int hdrs = ihl + thl;
        if (thl < 20 || hdrs > total || mss <= 0) {
            return UdpMetrics.Drop.BAD_GSO;
        }
        if (hdrs + mss > mtu) {
            return UdpMetrics.Drop.OVERSIZE;
        }
        int payload = total - hdrs;
        int n = Math.max(1, (payload + mss - 1) / mss);
        long seq = b.getUnsignedInt(tcp + 4);
        int id = b.getUnsignedShort(off + 4);
        int flags = b.getUnsignedByte(tcp + 13);
        for (int i = 0; i < n; i++) {
            int plen = Math.min(mss, payload - i * mss);
            int len = hdrs + plen;
            ByteBuf out = segment(b, off, ihl, hdrs, i * mss, plen, id + i, peer);
            int w = out.writerIndex() - len;
            int t = w + ihl;
            out.setInt(t + 4, (int) (seq + (long) i * mss));
            int f = flags;
            if (i != n - 1) {
                f &= ~(TCP_FIN | TCP_PSH);   // only the last segment ends a push or the stream
            }
            if (i != 0) {
                f &= ~TCP_CWR;                // congestion window reduced: said once
            }
            out.setByte(t + 13, f);
            out.setShort(t + 16, 0);
            long acc = Checksum.add(out, t, thl + plen, Checksum.pseudoV4(out, w, PROTO_TCP, thl + plen));
            out.setShort(t + 16, ~Checksum.finish(acc) & 0xffff);
            batch.appended(len);
        }
        segments = n;
        return null;
    }

    private UdpMetrics.Drop splitUdp(ByteBuf b, int off, int total, int gsoSize, InetSocketAddress peer) {
        int ihl = (b.getUnsignedByte(off) & 0x0f) * 4;
        int hdrs = ihl + 8;
        if (b.getUnsignedByte(off + 9) != PROTO_UDP || total < hdrs || gsoSize <= 0) {
            return UdpMetrics.Drop.BAD_GSO;
        }
        if (hdrs + gsoSize > mtu) {
            return UdpMetrics.Drop.OVERSIZE;
        }
        int payload = total - hdrs;
        int n = Math.max(1, (payload + gsoSize - 1) / gsoSize);
        int id = b.getUnsignedShort(off + 4);
        for (int i = 0; i < n; i++) {
            int plen = Math.min(gsoSize, payload - i * gsoSize);
            int len = hdrs + plen;
            ByteBuf out = segment(b, off, ihl, hdrs, i * gsoSize, plen, id + i, peer);
            int w = out.writerIndex() - len;
            int u = w + ihl;
            out.setShort(u + 4, 8 + plen);
            out.setShort(u + 6, 0);
            int sum = ~Checksum.finish(Checksum.add(out, u, 8 + plen, Checksum.pseudoV4(out, w, PROTO_UDP, 8 + plen))) & 0xffff;
            out.setShort(u + 6, sum == 0 ? 0xffff : sum);
            batch.appended(len);
        }
        segments = n;
        return null;
    }

    /**
     * Appends one segment to the batch: the super-segment's headers, then {@code plen} payload
     * bytes from {@code at} (relative to the payload), with its own total length, IP ID and header
     * checksum. Returns the batch buffer, its writer index just past the segment.
     */
    private ByteBuf segment(ByteBuf b, int off, int ihl, int hdrs, int at, int plen, int id, InetSocketAddress peer) {
        int len = hdrs + plen;
        ByteBuf out = reserve(peer, len, BULK_HINT);
        int w = out.writerIndex();
        out.writeBytes(b, off, hdrs);
        out.writeBytes(b, off + hdrs + at, plen);
        fixIpHeader(out, w, ihl, len, id);
        return out;
    }

    /** Total length, IP ID and a fresh header checksum for one segment. */
    private static void fixIpHeader(ByteBuf out, int w, int ihl, int len, int id) {
        out.setShort(w + 2, len);
        out.setShort(w + 4, id & 0xffff);
        out.setShort(w + 10, 0);
        out.setShort(w + 10, Checksum.of(out, w, ihl));
    }
}
