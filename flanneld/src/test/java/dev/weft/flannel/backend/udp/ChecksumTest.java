package dev.weft.flannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChecksumTest {
    /** RFC 1071 the slow way: big-endian 16-bit words. */
    private static int reference(byte[] d, int off, int len, long init) {
        long sum = init;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((d[off + i] & 0xff) << 8) | (d[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (d[off + len - 1] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    @Test
    void matchesTheBigEndianDefinitionForEveryLengthAndAlignment() {
        Random r = new Random(7);
        byte[] d = new byte[3000];
        for (int len = 0; len < 1600; len += (len < 80 ? 1 : 37)) {
            for (int off = 0; off < 4; off++) {
                r.nextBytes(d);
                ByteBuf direct = Unpooled.directBuffer(d.length).writeBytes(d);
                ByteBuf heap = Unpooled.wrappedBuffer(d);
                try {
                    int want = reference(d, off, len, 0);
                    assertEquals(want, Checksum.of(direct, off, len), "direct len " + len + " off " + off);
                    assertEquals(want, Checksum.of(heap, off, len), "heap len " + len + " off " + off);
                } finally {
                    direct.release();
                }
            }
        }
    }

    @Test
    void allOnesDataAndLargeRegionsFoldCorrectly() {
        byte[] d = new byte[65_535];
        java.util.Arrays.fill(d, (byte) 0xff);
        ByteBuf b = Unpooled.directBuffer(d.length).writeBytes(d);
        try {
            assertEquals(reference(d, 0, d.length, 0), Checksum.of(b, 0, d.length));
            assertEquals(reference(d, 1, 65_000, 0), Checksum.of(b, 1, 65_000));
        } finally {
            b.release();
        }
    }

    @Test
    void pseudoHeaderIsTheRfc793One() {
        // 10.0.0.1 -> 10.0.0.2, TCP, length 1234: 0x0a00+0x0001+0x0a00+0x0002+0x0006+0x04d2
        ByteBuf ip = Unpooled.buffer(20).writeZero(12).writeInt(0x0a000001).writeInt(0x0a000002);
        long acc = Checksum.pseudoV4(ip, 0, 6, 1234);
        assertEquals((0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x0006 + 0x04d2) & 0xffff, Checksum.finish(acc));
    }
}
