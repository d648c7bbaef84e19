package dev.weft.flannel.backend.ipip;

import dev.weft.flannel.backend.udp.Ipv4Packets;
import dev.weft.flannel.backend.udp.RouteTable;
import dev.weft.flannel.backend.udp.UdpMetrics.Drop;
import io.netty.buffer.ByteBuf;

/**
 * IPv4-in-IPv4 (RFC 2003) as the Linux ipip driver writes and reads it, as pure functions on a
 * buffer at an absolute offset: no I/O, no state, no allocation.
 *
 * <p>What the kernel puts in the outer header. Calico's {@code tunl0} is the ipip driver's fallback
 * device ({@code ipip_fb_tunnel_init} in net/ipv4/ipip.c: version 4, IHL 5, protocol 4, nothing
 * else), shown by {@code ip -d link} as {@code ttl inherit nopmtudisc}; Felix creates it the same
 * way (no PMTUDISC attribute). {@code ip_tunnel_xmit} (net/ipv4/ip_tunnel.c) then sets, per packet:
 * <ul>
 *   <li>TTL: the tunnel's TTL 0 means inherit, so the inner packet's TTL (after the host's own
 *       forwarding decrement, which happened before the packet reached the device);
 *   <li>DF: the tunnel's {@code frag_off} (0 with nopmtudisc) OR the inner packet's DF bit, so DF
 *       is copied from the inner packet;
 *   <li>TOS: the tunnel's TOS 0 with the inner ECN field encapsulated ({@code INET_ECN_encapsulate}:
 *       ECT(0)/ECT(1) copied, CE written as ECT(0)); the DSCP bits are 0;
 *   <li>ID: a kernel-chosen value ({@code __ip_select_ident}); receivers do not interpret it
 *       unless the outer packet is fragmented, so any per-sender counter serves.
 * </ul>
 * The source is the node's underlay address; the destination the peer node's. (A device made with
 * {@code ip link add NAME type ipip} would differ in one field: pmtudisc is on by default there,
 * so DF is always set outside. Calico uses tunl0, so its rules are the ones to match.)
 *
 * <p>On receipt ({@code ipip_rcv}, {@code ip_tunnel_rcv}) the kernel strips the outer header,
 * leaves the inner TTL alone, and applies RFC 6040 ({@code INET_ECN_decapsulate}): an outer CE
 * marks an ECN-capable inner packet CE, and a CE on a not-ECN-capable inner packet drops it.
 */
final class IpipCodec {
    /** IPPROTO_IPIP. */
    static final int PROTOCOL = 4;
    /** The outer header: IHL 5, no options. */
    static final int OUTER = 20;
    private static final int DF = 0x4000;
    private static final int ECN_MASK = 0x03;
    private static final int ECT_0 = 0x02;
    private static final int CE = 0x03;

    private IpipCodec() {
    }

    /**
     * Writes the outer header at {@code off} for the validated inner packet of {@code innerLen}
     * bytes that starts at {@code off + 20}, with the kernel's fields (see the class comment).
     */
    static void encapsulate(ByteBuf b, int off, int innerLen, int src, int dst, int id) {
        writeOuter(b, off, b, off + OUTER, innerLen, src, dst, id);
    }

    /**
     * Writes into {@code out} at {@code off} the outer header for the validated inner packet of
     * {@code innerLen} bytes at {@code innerOff} of {@code in} (elsewhere: sent gathered after it).
     */
    static void writeOuter(ByteBuf out, int off, ByteBuf in, int innerOff, int innerLen, int src, int dst, int id) {
        int ecn = in.getUnsignedByte(innerOff + 1) & ECN_MASK;
        int df = in.getUnsignedShort(innerOff + 6) & DF;
        int ttl = in.getUnsignedByte(innerOff + 8);
        out.setByte(off, 0x45);
        out.setByte(off + 1, ecn == CE ? ECT_0 : ecn);
        out.setShort(off + 2, OUTER + innerLen);
        out.setShort(off + 4, id);
        out.setShort(off + 6, df);
        out.setByte(off + 8, ttl);
        out.setByte(off + 9, PROTOCOL);
        out.setShort(off + 10, 0);
        out.setInt(off + 12, src);
        out.setInt(off + 16, dst);
        out.setShort(off + 10, Ipv4Packets.checksum(out, off, OUTER));
    }

    /**
     * Checks a received packet of {@code len} bytes at {@code off} (outer header included, as a
     * raw socket reads it) and applies the ECN decapsulation to the inner header in place. Returns
     * null when the inner packet at {@link #innerOffset} of {@link #innerLength} bytes may go to
     * the TUN, else why not. In this order: the outer header's bounds, its protocol, its source
     * (must be a node in {@code peers}), the inner header's bounds, ECN.
     */
    static Drop decapsulate(ByteBuf b, int off, int len, RouteTable peers) {
        Drop bad = Ipv4Packets.validate(b, off, len);
        if (bad != null) {
            return bad;
        }
        if (b.getUnsignedByte(off + 9) != PROTOCOL) {
            return Drop.WRONG_PROTOCOL;
        }
        if (!peers.isPeer(Ipv4Packets.source(b, off))) {
            return Drop.UNKNOWN_SENDER;
        }
        int inner = innerOffset(b, off);
        bad = Ipv4Packets.validate(b, inner, innerLength(b, off));
        if (bad != null) {
            return bad;
        }
        return (b.getUnsignedByte(off + 1) & ECN_MASK) == CE ? markCe(b, inner) : null;
    }

    /** Where the inner packet of a checked packet at {@code off} starts. */
    static int innerOffset(ByteBuf b, int off) {
        return off + (b.getUnsignedByte(off) & 0x0f) * 4;
    }

    /** The bytes after the outer header, up to the outer total length. */
    static int innerLength(ByteBuf b, int off) {
        return Ipv4Packets.totalLength(b, off) - (b.getUnsignedByte(off) & 0x0f) * 4;
    }

    /** RFC 6040 with an outer CE: null after marking an ECN-capable inner packet CE, a drop otherwise. */
    private static Drop markCe(ByteBuf b, int inner) {
        int word = b.getUnsignedShort(inner); // version, IHL, TOS
        int ecn = word & ECN_MASK;
        if (ecn == 0) {
            return Drop.CE_NOT_ECT;
        }
        if (ecn != CE) {
            Ipv4Packets.setHeaderWord(b, inner, 0, word | CE);
        }
        return null;
    }
}
