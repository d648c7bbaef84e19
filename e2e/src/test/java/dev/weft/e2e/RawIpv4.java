package dev.weft.e2e;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * Raw IPv4 packets built by hand, as a flannel node puts them in a UDP datagram (no header of its
 * own), and an independent statement of which received datagrams the udp backend may forward.
 */
final class RawIpv4 {
    static final int PROTO_ICMP = 1;
    static final int PROTO_UDP = 17;

    private RawIpv4() {
    }

    /** An IPv4 header (IHL 5, DF, correct checksum) followed by {@code payload}. */
    static byte[] packet(String src, String dst, int ttl, int protocol, int id, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length)).putShort((short) id).putShort((short) 0x4000)
                .put((byte) ttl).put((byte) protocol).putShort((short) 0).put(addr(src)).put(addr(dst)).put(payload);
        byte[] p = b.array();
        int c = Pcap.checksum(p, 0, 20);
        p[10] = (byte) (c >>> 8);
        p[11] = (byte) c;
        return p;
    }

    /** An ICMP echo request with its checksum. */
    static byte[] echoRequest(String src, String dst, int ttl, int ident, int seq, byte[] data) {
        ByteBuffer icmp = ByteBuffer.allocate(8 + data.length);
        icmp.put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) ident).putShort((short) seq).put(data);
        byte[] i = icmp.array();
        int c = Pcap.checksum(i, 0, i.length);
        i[2] = (byte) (c >>> 8);
        i[3] = (byte) c;
        return packet(src, dst, ttl, PROTO_ICMP, seq, i);
    }

    /** A UDP datagram with its checksum (over the pseudo-header). */
    static byte[] udp(String src, int srcPort, String dst, int dstPort, int ttl, byte[] data) {
        int len = 8 + data.length;
        ByteBuffer pseudo = ByteBuffer.allocate(12 + len + (len & 1));
        pseudo.put(addr(src)).put(addr(dst)).put((byte) 0).put((byte) PROTO_UDP).putShort((short) len);
        pseudo.putShort((short) srcPort).putShort((short) dstPort).putShort((short) len).putShort((short) 0).put(data);
        int c = Pcap.checksum(pseudo.array(), 0, pseudo.capacity());
        ByteBuffer u = ByteBuffer.allocate(len);
        u.putShort((short) srcPort).putShort((short) dstPort).putShort((short) len).putShort((short) (c == 0 ? 0xffff : c)).put(data);
        return packet(src, dst, ttl, PROTO_UDP, 0x5151, u.array());
    }

    static byte[] addr(String a) {
        try {
            return InetAddress.getByName(a).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(a, e);
        }
    }

    /**
     * Whether a received datagram is one the udp backend must write to the TUN: at most a TUN MTU,
     * an IPv4 header that fits (version 4, IHL 5..15 within the datagram), a total length from the
     * header to the end of the datagram, an inner source in the sending node's subnet and an inner
     * destination in the receiving node's, and a TTL that survives the decrement. Written from the
     * spec, not from the implementation; each failing check is one of the drop reasons.
     */
    static boolean forwardable(byte[] d, int tunMtu, String senderSubnet, String receiverSubnet) {
        if (d.length > tunMtu || d.length < 20) {
            return false;
        }
        int ihl = (d[0] & 0x0f) * 4;
        int total = Pcap.u16(d, 2);
        int ttl = d[8] & 0xff;
        return (d[0] & 0xf0) == 0x40 && ihl >= 20 && ihl <= d.length && total >= ihl && total <= d.length
                && inSubnet(d, 12, senderSubnet) && inSubnet(d, 16, receiverSubnet) && ttl > 1;
    }

    /** Whether the IPv4 address at {@code at} of {@code d} is in {@code cidr} (a.b.c.d/len). */
    static boolean inSubnet(byte[] d, int at, String cidr) {
        int slash = cidr.indexOf('/');
        int len = Integer.parseInt(cidr.substring(slash + 1));
        int mask = len == 0 ? 0 : -1 << (32 - len);
        return (ByteBuffer.wrap(d, at, 4).getInt() & mask) == (ByteBuffer.wrap(addr(cidr.substring(0, slash))).getInt() & mask);
    }
}
