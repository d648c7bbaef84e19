package dev.weft.flannel.backend.ipip;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.weft.flannel.backend.udp.Ipv4Packets;
import dev.weft.flannel.backend.udp.RouteTable;
import dev.weft.flannel.backend.udp.UdpMetrics.Drop;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Encapsulation and decapsulation of real packets, as the kernel's ipip device does them. */
class IpipCodecTest {
    private static final int NODE_A = ip("192.168.10.2");
    private static final int NODE_B = ip("192.168.20.2");
    private static final RouteTable PEERS = RouteTable.of(Map.of(
            Cidr.parse("10.244.1.0/24"), new InetSocketAddress(IpAddress.parse("192.168.10.2").toInetAddress(), 0)));

    private static int ip(String s) {
        return IpAddress.parse(s).toV4Int();
    }

    /**
     * An ICMP echo request 10.244.1.2 → 10.244.2.2 of {@code total} bytes, with a valid header
     * checksum, written at {@code at}: what a pod's ping puts on the wire.
     */
    static ByteBuf echo(ByteBuf b, int at, int tos, int flags, int ttl, int total) {
        b.writerIndex(at);
        b.writeByte(0x45).writeByte(tos).writeShort(total).writeShort(0x3a7c).writeShort(flags).writeByte(ttl)
                .writeByte(1).writeShort(0).writeInt(ip("10.244.1.2")).writeInt(ip("10.244.2.2"));
        b.setShort(at + 10, Ipv4Packets.checksum(b, at, 20));
        b.writeByte(8).writeByte(0).writeShort(0).writeShort(7).writeShort(1);
        for (int i = 28; i < total; i++) {
            b.writeByte(i);
        }
        return b;
    }

    /** An encapsulated echo from node A, as the kernel would send it. */
    private static ByteBuf fromNodeA(int innerTos) {
        ByteBuf b = Unpooled.buffer(128);
        echo(b, 20, innerTos, 0x4000, 63, 84);
        IpipCodec.encapsulate(b, 0, 84, NODE_A, NODE_B, 0x1234);
        return b;
    }

    @ParameterizedTest(name = "inner tos {0} flags {1} ttl {2} -> outer tos {3} flags {4}")
    @CsvSource({
        // tos, frag field, ttl -> outer tos, outer frag field
        "0x00, 0x4000, 63, 0x00, 0x4000",  // DF copied
        "0x00, 0x0000, 64, 0x00, 0x0000",  // no DF: none outside either (tunl0 is nopmtudisc)
        "0xb8, 0x4000, 1,  0x00, 0x4000",  // DSCP EF is not copied (the tunnel's TOS is 0), TTL 1 inherited as is
        "0x01, 0x0000, 5,  0x01, 0x0000",  // ECT(1) copied
        "0x02, 0x4000, 9,  0x02, 0x4000",  // ECT(0) copied
        "0x03, 0x4000, 9,  0x02, 0x4000",  // CE becomes ECT(0) (INET_ECN_encapsulate)
        "0x00, 0x2000, 9,  0x00, 0x0000",  // a fragment's MF and offset stay inside
    })
    void outerHeaderIsTheKernelTunl0s(int tos, int flags, int ttl, int outerTos, int outerFlags) {
        ByteBuf b = echo(Unpooled.buffer(128), 20, tos, flags, ttl, 84);
        byte[] inner = new byte[84];
        b.getBytes(20, inner);
        IpipCodec.encapsulate(b, 0, 84, NODE_A, NODE_B, 0x1234);
        assertEquals(0x45, b.getUnsignedByte(0), "version 4, IHL 5");
        assertEquals(outerTos, b.getUnsignedByte(1), "TOS");
        assertEquals(104, b.getUnsignedShort(2), "total length");
        assertEquals(0x1234, b.getUnsignedShort(4), "ID");
        assertEquals(outerFlags, b.getUnsignedShort(6), "flags and fragment offset");
        assertEquals(ttl, b.getUnsignedByte(8), "TTL inherited (tunl0: ttl 0 = inherit)");
        assertEquals(4, b.getUnsignedByte(9), "protocol IPIP");
        assertEquals(0, Ipv4Packets.checksum(b, 0, 20), "header checksum");
        assertEquals(NODE_A, b.getInt(12));
        assertEquals(NODE_B, b.getInt(16));
        byte[] after = new byte[84];
        b.getBytes(20, after);
        assertEquals(java.util.HexFormat.of().formatHex(inner), java.util.HexFormat.of().formatHex(after), "inner packet unchanged");
    }

    @Test
    void kernelBytesDecapsulate() {
        // 45 00 0068 1234 4000 3f 04 csum c0a80a02 c0a81402, then the echo: what tunl0 emits for a pod ping
        ByteBuf b = fromNodeA(0);
        assertEquals("4500006812344000" + "3f04", java.util.HexFormat.of().formatHex(b.array(), 0, 10));
        assertNull(IpipCodec.decapsulate(b, 0, 104, PEERS));
        assertEquals(20, IpipCodec.innerOffset(b, 0));
        assertEquals(84, IpipCodec.innerLength(b, 0));
        assertEquals(ip("10.244.2.2"), Ipv4Packets.destination(b, 20));
    }

    @Test
    void outerOptionsAreSkipped() {
        ByteBuf b = Unpooled.buffer(128);
        echo(b, 24, 0, 0x4000, 63, 84);
        b.writerIndex(0);
        b.writeByte(0x46).writeByte(0).writeShort(108).writeShort(1).writeShort(0x4000).writeByte(63).writeByte(4)
                .writeShort(0).writeInt(NODE_A).writeInt(NODE_B).writeInt(0x01010100); // NOP NOP NOP EOL
        assertNull(IpipCodec.decapsulate(b, 0, 108, PEERS));
        assertEquals(24, IpipCodec.innerOffset(b, 0));
        assertEquals(84, IpipCodec.innerLength(b, 0));
    }

    @Test
    void outerTrailingBytesAreNotPartOfTheInnerPacket() {
        ByteBuf b = fromNodeA(0);
        assertNull(IpipCodec.decapsulate(b, 0, 120, PEERS), "a read longer than the total length (padding)");
        assertEquals(84, IpipCodec.innerLength(b, 0));
    }

    @Test
    void badPacketsAreNamed() {
        assertEquals(Drop.TOO_SHORT, IpipCodec.decapsulate(fromNodeA(0), 0, 19, PEERS), "truncated outer header");
        assertEquals(Drop.BAD_TOTAL_LENGTH, IpipCodec.decapsulate(fromNodeA(0), 0, 103, PEERS), "truncated packet");

        ByteBuf proto = fromNodeA(0);
        proto.setByte(9, 41); // IPv6-in-IPv4
        assertEquals(Drop.WRONG_PROTOCOL, IpipCodec.decapsulate(proto, 0, 104, PEERS));

        ByteBuf ihl = fromNodeA(0);
        ihl.setByte(0, 0x44);
        assertEquals(Drop.BAD_HEADER_LENGTH, IpipCodec.decapsulate(ihl, 0, 104, PEERS), "outer IHL 4");
        ByteBuf version = fromNodeA(0);
        version.setByte(0, 0x65);
        assertEquals(Drop.NOT_IPV4, IpipCodec.decapsulate(version, 0, 104, PEERS));

        ByteBuf stranger = fromNodeA(0);
        stranger.setInt(12, ip("192.168.20.1")); // the router, not a node
        assertEquals(Drop.UNKNOWN_SENDER, IpipCodec.decapsulate(stranger, 0, 104, PEERS));
        assertEquals(Drop.UNKNOWN_SENDER, IpipCodec.decapsulate(fromNodeA(0), 0, 104, RouteTable.EMPTY));

        ByteBuf innerIhl = fromNodeA(0);
        innerIhl.setByte(20, 0x4f); // 60-byte inner header
        innerIhl.setShort(2, 20 + 40);
        assertEquals(Drop.BAD_HEADER_LENGTH, IpipCodec.decapsulate(innerIhl, 0, 104, PEERS), "inner IHL beyond the packet");
        ByteBuf innerShort = fromNodeA(0);
        innerShort.setShort(2, 20 + 12);
        assertEquals(Drop.TOO_SHORT, IpipCodec.decapsulate(innerShort, 0, 104, PEERS), "outer length leaves 12 inner bytes");
        ByteBuf innerLong = fromNodeA(0);
        innerLong.setShort(22, 200);
        assertEquals(Drop.BAD_TOTAL_LENGTH, IpipCodec.decapsulate(innerLong, 0, 104, PEERS), "inner total beyond the outer");
        ByteBuf innerV6 = fromNodeA(0);
        innerV6.setByte(20, 0x60);
        assertEquals(Drop.NOT_IPV4, IpipCodec.decapsulate(innerV6, 0, 104, PEERS));
    }

    @Test
    void outerCeFollowsRfc6040() {
        ByteBuf ect = fromNodeA(0x02);
        ect.setByte(1, 0x03); // congestion on the way
        assertNull(IpipCodec.decapsulate(ect, 0, 104, PEERS));
        assertEquals(0x03, ect.getUnsignedByte(21), "inner marked CE");
        assertEquals(0, Ipv4Packets.checksum(ect, 20, 20), "inner checksum patched");

        ByteBuf notEct = fromNodeA(0x00);
        notEct.setByte(1, 0x03);
        assertEquals(Drop.CE_NOT_ECT, IpipCodec.decapsulate(notEct, 0, 104, PEERS));

        ByteBuf ect1 = fromNodeA(0x01);
        assertNull(IpipCodec.decapsulate(ect1, 0, 104, PEERS));
        assertEquals(0x01, ect1.getUnsignedByte(21), "no CE outside: inner ECN as it was");
    }

    @Test
    void garbageNeverThrows() {
        Random r = new Random(14);
        ByteBuf b = Unpooled.buffer(1600);
        for (int i = 0; i < 20_000; i++) {
            int len = r.nextInt(1600);
            byte[] junk = new byte[len];
            r.nextBytes(junk);
            if (len > 20 && r.nextBoolean()) {
                junk[0] = 0x45;
                junk[9] = 4;
            }
            b.clear().writeBytes(junk);
            assertDoesNotThrow(() -> IpipCodec.decapsulate(b, 0, len, PEERS));
        }
    }
}
