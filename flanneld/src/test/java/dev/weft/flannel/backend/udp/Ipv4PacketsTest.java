package dev.weft.flannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Ipv4PacketsTest {

    /** An IPv4 packet with a correct header checksum. */
    static ByteBuf packet(int ttl, int proto, int src, int dst, int payload, int fragWord) {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(0x45).writeByte(0).writeShort(20 + payload).writeShort(0x1234).writeShort(fragWord)
                .writeByte(ttl).writeByte(proto).writeShort(0).writeInt(src).writeInt(dst);
        for (int i = 0; i < payload; i++) {
            b.writeByte(i);
        }
        b.setShort(10, Ipv4Packets.checksum(b, 0, 20));
        return b;
    }

    @Test
    void ttlDecrementKeepsTheChecksumValidForAllTtlsAndRandomHeaders() {
        Random r = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            int ttl = 2 + r.nextInt(254);
            ByteBuf b = packet(ttl, r.nextInt(256), r.nextInt(), r.nextInt(), 0, r.nextInt(0x10000));
            b.setShort(4, r.nextInt(0x10000));
            b.setShort(10, 0);
            b.setShort(10, Ipv4Packets.checksum(b, 0, 20));
            assertTrue(Ipv4Packets.decrementTtl(b, 0));
            assertEquals(ttl - 1, b.getUnsignedByte(8));
            assertEquals(0, Ipv4Packets.checksum(b, 0, 20), "header sums to 0xffff after the update");
        }
    }

    @Test
    void ttlOfOneOrZeroIsNotForwarded() {
        ByteBuf b = packet(1, 6, 1, 2, 0, 0);
        assertFalse(Ipv4Packets.decrementTtl(b, 0));
        assertEquals(1, b.getUnsignedByte(8));
        assertFalse(Ipv4Packets.decrementTtl(packet(0, 6, 1, 2, 0, 0), 0));
    }

    @Test
    void validationNamesTheReason() {
        assertNull(Ipv4Packets.validate(packet(64, 6, 1, 2, 10, 0), 0, 30));
        assertNull(Ipv4Packets.validate(packet(64, 6, 1, 2, 10, 0), 0, 35), "trailing bytes are fine");
        assertEquals(UdpMetrics.Drop.TOO_SHORT, Ipv4Packets.validate(Unpooled.buffer().writeZero(19), 0, 19));
        ByteBuf v6 = packet(64, 6, 1, 2, 10, 0).setByte(0, 0x60);
        assertEquals(UdpMetrics.Drop.NOT_IPV4, Ipv4Packets.validate(v6, 0, 30));
        assertEquals(UdpMetrics.Drop.BAD_HEADER_LENGTH, Ipv4Packets.validate(packet(64, 6, 1, 2, 10, 0).setByte(0, 0x44), 0, 30));
        assertEquals(UdpMetrics.Drop.BAD_HEADER_LENGTH, Ipv4Packets.validate(packet(64, 6, 1, 2, 10, 0).setByte(0, 0x4f), 0, 30));
        assertEquals(UdpMetrics.Drop.BAD_TOTAL_LENGTH, Ipv4Packets.validate(packet(64, 6, 1, 2, 10, 0), 0, 29));
        assertEquals(UdpMetrics.Drop.BAD_TOTAL_LENGTH, Ipv4Packets.validate(packet(64, 6, 1, 2, 10, 0).setShort(2, 19), 0, 30));
    }

    @Test
    void netUnreachableQuotesTheOffenderAndChecksumsCorrectly() {
        ByteBuf off = packet(64, 6, 0x0af40101, 0x0af46301, 100, 0x4000);
        assertTrue(Ipv4Packets.wantsUnreachable(off, 0));
        ByteBuf out = Unpooled.buffer();
        Ipv4Packets.writeNetUnreachable(out, 0x0af40100, off, 0, 120);
        assertEquals(20 + 8 + 28, out.readableBytes());
        assertEquals(0, Ipv4Packets.checksum(out, 0, 20));
        assertEquals(0, Ipv4Packets.checksum(out, 20, 36));
        assertEquals(8, out.getUnsignedByte(8));
        assertEquals(1, out.getUnsignedByte(9));
        assertEquals(0x0af40100, out.getInt(12));
        assertEquals(0x0af40101, out.getInt(16));
        assertEquals(3, out.getUnsignedByte(20));
        assertEquals(0, out.getUnsignedByte(21));
        assertEquals(off.getInt(16), out.getInt(28 + 16), "quoted header");
    }

    @Test
    void noUnreachableForIcmpOrLaterFragments() {
        assertFalse(Ipv4Packets.wantsUnreachable(packet(64, 1, 1, 2, 8, 0), 0));
        assertFalse(Ipv4Packets.wantsUnreachable(packet(64, 17, 1, 2, 8, 0x2000 | 10), 0));
        assertTrue(Ipv4Packets.wantsUnreachable(packet(64, 17, 1, 2, 8, 0x2000), 0), "first fragment");
    }
}
