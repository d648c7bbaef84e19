package dev.weft.flannel.backend.udp;

import io.netty.buffer.ByteBuf;

/**
 * The {@code struct virtio_net_hdr} that a TUN opened with IFF_VNET_HDR puts before every packet
 * (10 bytes, fields in the host's order, little-endian here): it says whether the packet still
 * needs its L4 checksum and whether it is a GSO super-segment, and of what kind.
 */
public final class VnetHdr {
    public static final int SIZE = 10;
    static final int F_NEEDS_CSUM = 1;
    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_UDP_L4 = 5;
    static final int GSO_ECN = 0x80;

    private VnetHdr() {
    }

    static int flags(ByteBuf b, int off) {
        return b.getUnsignedByte(off);
    }

    /** The GSO type without the ECN bit. */
    static int gsoType(ByteBuf b, int off) {
        return b.getUnsignedByte(off + 1) & ~GSO_ECN;
    }

    static int gsoSize(ByteBuf b, int off) {
        return b.getUnsignedShortLE(off + 4);
    }

    static int csumStart(ByteBuf b, int off) {
        return b.getUnsignedShortLE(off + 6);
    }

    static int csumOffset(ByteBuf b, int off) {
        return b.getUnsignedShortLE(off + 8);
    }

    /** Writes a header at {@code off}. */
    static void set(ByteBuf b, int off, int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset) {
        b.setByte(off, flags);
        b.setByte(off + 1, gsoType);
        b.setShortLE(off + 2, hdrLen);
        b.setShortLE(off + 4, gsoSize);
        b.setShortLE(off + 6, csumStart);
        b.setShortLE(off + 8, csumOffset);
    }
}
