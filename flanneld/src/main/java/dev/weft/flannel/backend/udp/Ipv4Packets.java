package dev.weft.flannel.backend.udp;

import io.netty.buffer.ByteBuf;

/**
 * The IPv4 header work of the data path, done in place on a buffer at an absolute offset:
 * validation, TTL decrement with an incremental checksum update (RFC 1624) and the ICMP
 * net-unreachable reply. No allocation except the reply buffer. Shared with the userspace IPIP
 * data path.
 */
public final class Ipv4Packets {
    public static final int MIN_HEADER = 20;
    static final int PROTO_ICMP = 1;
    static final int ICMP_UNREACHABLE_TTL = 8;

    private Ipv4Packets() {
    }

    /**
     * Checks a packet of {@code len} bytes at {@code off}; returns null when it is a sane IPv4
     * packet, else why not. A total length shorter than {@code len} is fine (trailing bytes).
     */
    public static UdpMetrics.Drop validate(ByteBuf b, int off, int len) {
        if (len < MIN_HEADER) {
            return UdpMetrics.Drop.TOO_SHORT;
        }
        int vihl = b.getUnsignedByte(off);
        if ((vihl >>> 4) != 4) {
            return UdpMetrics.Drop.NOT_IPV4;
        }
        int ihl = (vihl & 0x0f) * 4;
        if (ihl < MIN_HEADER || ihl > len) {
            return UdpMetrics.Drop.BAD_HEADER_LENGTH;
        }
        int total = b.getUnsignedShort(off + 2);
        if (total < ihl || total > len) {
            return UdpMetrics.Drop.BAD_TOTAL_LENGTH;
        }
        return null;
    }

    public static int totalLength(ByteBuf b, int off) {
        return b.getUnsignedShort(off + 2);
    }

    public static int source(ByteBuf b, int off) {
        return b.getInt(off + 12);
    }

    public static int destination(ByteBuf b, int off) {
        return b.getInt(off + 16);
    }

    /**
     * Decrements the TTL and patches the header checksum incrementally (RFC 1624 eqn. 3:
     * HC' = ~(~HC + ~m + m')). Returns false, leaving the packet as it was, when the TTL is 0 or 1
     * (the packet must not be forwarded).
     */
    static boolean decrementTtl(ByteBuf b, int off) {
        int ttl = b.getUnsignedByte(off + 8);
        if (ttl <= 1) {
            return false;
        }
        setHeaderWord(b, off, 8, b.getUnsignedShort(off + 8) - 0x100); // TTL << 8 | protocol
        return true;
    }

    /**
     * Replaces the 16-bit word {@code at} bytes into the IPv4 header at {@code off} and patches the
     * header checksum incrementally (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')).
     */
    public static void setHeaderWord(ByteBuf b, int off, int at, int newWord) {
        int oldWord = b.getUnsignedShort(off + at);
        int sum = (~b.getUnsignedShort(off + 10) & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        b.setShort(off + at, newWord);
        b.setShort(off + 10, ~sum & 0xffff);
    }

    /** The Internet checksum of {@code len} bytes at {@code off}. */
    public static int checksum(ByteBuf b, int off, int len) {
        long sum = 0;
        int i = 0;
        for (; i + 1 < len; i += 2) {
            sum += b.getUnsignedShort(off + i);
        }
        if (i < len) {
            sum += b.getUnsignedByte(off + i) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /**
     * Whether an unknown destination deserves a net-unreachable: not for ICMP packets (no error
     * about an error) and not for non-first fragments. Expects a validated packet.
     */
    static boolean wantsUnreachable(ByteBuf b, int off) {
        int proto = b.getUnsignedByte(off + 9);
        int fragOffset = b.getUnsignedShort(off + 6) & 0x1fff;
        return proto != PROTO_ICMP && fragOffset == 0;
    }

    /** Length of the ICMP net-unreachable about the validated packet at {@code off} ({@code len} bytes). */
    static int unreachableLength(ByteBuf b, int off, int len) {
        int ihl = (b.getUnsignedByte(off) & 0x0f) * 4;
        return MIN_HEADER + 8 + Math.min(ihl + 8, len);
    }

    /**
     * Writes an ICMP type 3 code 0 from {@code src} back to the offender's source into {@code out}
     * at its writer index: IPv4 header (TTL 8), ICMP header, the offender's header and 8 bytes.
     */
    static void writeNetUnreachable(ByteBuf out, int src, ByteBuf offender, int off, int len) {
        int total = unreachableLength(offender, off, len);
        int quoted = total - MIN_HEADER - 8;
        int start = out.writerIndex();
        out.ensureWritable(total);
        out.writeByte(0x45);
        out.writeByte(0);
        out.writeShort(total);
        out.writeShort(0);               // id
        out.writeShort(0);               // flags, fragment offset
        out.writeByte(ICMP_UNREACHABLE_TTL);
        out.writeByte(PROTO_ICMP);
        out.writeShort(0);               // header checksum, below
        out.writeInt(src);
        out.writeInt(offender.getInt(off + 12));
        out.setShort(start + 10, checksum(out, start, MIN_HEADER));
        int icmp = out.writerIndex();
        out.writeByte(3);                // destination unreachable
        out.writeByte(0);                // net unreachable
        out.writeShort(0);               // checksum, below
        out.writeInt(0);                 // unused
        out.writeBytes(offender, off, quoted);
        out.setShort(icmp + 2, checksum(out, icmp, 8 + quoted));
    }
}
