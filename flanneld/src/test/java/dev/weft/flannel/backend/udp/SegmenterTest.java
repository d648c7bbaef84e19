package dev.weft.flannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The TUN → wire split, checked field by field against what the kernel's segmentation makes. */
class SegmenterTest {
    static final int MTU = 1472;
    static final InetSocketAddress PEER = new InetSocketAddress("192.0.2.2", 8285);
    static final InetSocketAddress OTHER = new InetSocketAddress("192.0.2.3", 8285);

    private final List<DatagramPacket> out = new ArrayList<>();
    private final GsoBatch batch = new GsoBatch(PooledByteBufAllocator.DEFAULT, true);
    private final Segmenter seg = new Segmenter(batch, out::add, MTU);

    @AfterEach
    void release() {
        out.forEach(DatagramPacket::release);
        batch.discard();
    }

    /**
     * A virtio_net_hdr + IPv4 + TCP (12 bytes of timestamp option) packet with {@code payload},
     * TCP checksum partial (pseudo-header only), as a TUN with TSO hands it over.
     */
    static ByteBuf tcpFrame(byte[] payload, int gsoType, int gsoSize, int tcpFlags) {
        int thl = 32;
        int total = 20 + thl + payload.length;
        ByteBuf b = Unpooled.directBuffer(VnetHdr.SIZE + total);
        b.writeZero(VnetHdr.SIZE);
        VnetHdr.set(b, 0, VnetHdr.F_NEEDS_CSUM, gsoType, 20 + thl, gsoSize, 20, 16);
        int ip = b.writerIndex();
        b.writeByte(0x45).writeByte(0).writeShort(total).writeShort(0x1234).writeShort(0x4000)
                .writeByte(63).writeByte(6).writeShort(0).writeInt(0x0af40102).writeInt(0x0af40203);
        b.setShort(ip + 10, Checksum.of(b, ip, 20));
        b.writeShort(40000).writeShort(5201).writeInt(0xfffff000).writeInt(0x01020304)
                .writeByte(thl / 4 << 4).writeByte(tcpFlags).writeShort(502).writeShort(0).writeShort(0)
                .writeByte(1).writeByte(1).writeByte(8).writeByte(10).writeInt(11111).writeInt(22222);
        b.writeBytes(payload);
        b.setShort(ip + 20 + 16, Checksum.finish(Checksum.pseudoV4(b, ip, 6, thl + payload.length)));
        return b;
    }

    static byte[] random(int n, long seed) {
        byte[] d = new byte[n];
        new Random(seed).nextBytes(d);
        return d;
    }

    /** The wire datagrams of the emitted batches, in order. */
    private List<ByteBuf> wire() {
        List<ByteBuf> pkts = new ArrayList<>();
        for (DatagramPacket p : out) {
            ByteBuf c = p.content();
            int size = p instanceof SegmentedDatagramPacket s ? s.segmentSize() : c.readableBytes();
            for (int at = c.readerIndex(); at < c.writerIndex(); at += size) {
                pkts.add(c.slice(at, Math.min(size, c.writerIndex() - at)));
            }
        }
        return pkts;
    }

    private static void assertValidTcp(ByteBuf p) {
        assertEquals(0, Checksum.of(p, 0, 20), "IP header checksum");
        int total = p.getUnsignedShort(2);
        assertEquals(p.readableBytes(), total, "total length");
        long acc = Checksum.add(p, 20, total - 20, Checksum.pseudoV4(p, 0, 6, total - 20));
        assertEquals(0xffff, Checksum.finish(acc), "TCP checksum");
    }

    @Test
    void tsoSuperSegmentIsSplitLikeTheKernelDoes() {
        byte[] payload = random(64_000, 1);
        int mss = 1420;
        ByteBuf f = tcpFrame(payload, VnetHdr.GSO_TCPV4, mss, 0x18 | 0x80); // ACK|PSH|CWR
        assertNull(seg.forward(f, 0, VnetHdr.SIZE, f.readableBytes() - VnetHdr.SIZE, PEER));
        seg.flush();
        int n = (payload.length + mss - 1) / mss;
        assertEquals(n, seg.segments());
        List<ByteBuf> pkts = wire();
        assertEquals(n, pkts.size());
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            ByteBuf p = pkts.get(i);
            assertTrue(p.readableBytes() <= MTU, "segment " + i + " longer than the MTU");
            assertValidTcp(p);
            assertEquals((0x1234 + i) & 0xffff, p.getUnsignedShort(4), "IP ID increments");
            assertEquals(63, p.getUnsignedByte(8), "TTL untouched by the split");
            assertEquals((0xfffff000L + (long) i * mss) & 0xffffffffL, p.getUnsignedInt(24), "sequence (wraps)");
            int flags = p.getUnsignedByte(33);
            assertEquals(i == n - 1 ? 0x18 : 0x10, flags & 0x18, "PSH only on the last");
            assertEquals(i == 0 ? 0x80 : 0, flags & 0x80, "CWR only on the first");
            assertEquals(11111, p.getInt(44), "timestamp option copied");
            byte[] chunk = new byte[p.readableBytes() - 52];
            p.getBytes(52, chunk);
            joined.writeBytes(chunk);
        }
        assertArrayEquals(payload, joined.toByteArray());
        // 46 segments of up to 1472 bytes do not fit one 65507-byte send: two GSO batches
        assertEquals(2, out.size());
        assertTrue(out.get(0) instanceof SegmentedDatagramPacket);
        assertEquals(MTU, ((SegmentedDatagramPacket) out.get(0)).segmentSize());
        f.release();
    }

    @Test
    void theLastSegmentsOfASuperSegmentOpenAFullSizedBatchTheNextOneFills() {
        int mss = 1420;
        ByteBuf first = tcpFrame(random(46 * mss, 9), VnetHdr.GSO_TCPV4, mss, 0x10);
        ByteBuf second = tcpFrame(random(46 * mss, 10), VnetHdr.GSO_TCPV4, mss, 0x10);
        assertNull(seg.forward(first, 0, VnetHdr.SIZE, first.readableBytes() - VnetHdr.SIZE, PEER));
        // 44 segments went out as one send; the other 2 wait in a batch sized for a whole send
        assertEquals(1, out.size());
        assertEquals(2, batch.count());
        assertNull(seg.forward(second, 0, VnetHdr.SIZE, second.readableBytes() - VnetHdr.SIZE, PEER));
        seg.flush();
        assertEquals(List.of(44, 44, 4), out.stream().map(p -> p.content().readableBytes() / MTU).toList());
        for (DatagramPacket p : out) {
            // the batch was never grown on the way (a grown buffer's capacity would be a power of two)
            assertEquals(GsoBatch.MAX_BYTES, p.content().capacity(), "batch buffer capacity");
        }
        first.release();
        second.release();
    }

    @Test
    void partialChecksumOfAPlainPacketIsCompleted() {
        ByteBuf f = tcpFrame(random(333, 2), VnetHdr.GSO_NONE, 0, 0x18);
        assertNull(seg.forward(f, 0, VnetHdr.SIZE, f.readableBytes() - VnetHdr.SIZE, PEER));
        seg.flush();
        List<ByteBuf> pkts = wire();
        assertEquals(1, pkts.size());
        assertValidTcp(pkts.get(0));
        f.release();
    }

    @Test
    void equalSizedPacketsToOnePeerShareABatchAndAPeerChangeEndsIt() {
        for (int i = 0; i < 5; i++) {
            ByteBuf f = tcpFrame(new byte[0], VnetHdr.GSO_NONE, 0, 0x10);
            assertNull(seg.forward(f, 0, VnetHdr.SIZE, f.readableBytes() - VnetHdr.SIZE, i < 4 ? PEER : OTHER));
            f.release();
        }
        seg.flush();
        assertEquals(2, out.size());
        assertTrue(out.get(0) instanceof SegmentedDatagramPacket, "4 ACKs in one GSO send");
        assertEquals(4 * 52, out.get(0).content().readableBytes());
        assertEquals(PEER, out.get(0).recipient());
        assertEquals(OTHER, out.get(1).recipient());
        wire().forEach(SegmenterTest::assertValidTcp);
    }

    @Test
    void withoutGsoEveryDatagramIsItsOwnPacket() {
        GsoBatch plain = new GsoBatch(PooledByteBufAllocator.DEFAULT, false);
        Segmenter s = new Segmenter(plain, out::add, MTU);
        ByteBuf f = tcpFrame(random(5000, 3), VnetHdr.GSO_TCPV4, 1420, 0x10);
        assertNull(s.forward(f, 0, VnetHdr.SIZE, f.readableBytes() - VnetHdr.SIZE, PEER));
        s.flush();
        assertEquals(4, out.size());
        out.forEach(p -> assertTrue(!(p instanceof SegmentedDatagramPacket)));
        wire().forEach(SegmenterTest::assertValidTcp);
        f.release();
    }

    @Test
    void usoSuperSegmentBecomesSeparateUdpDatagrams() {
        byte[] payload = random(4000, 4);
        int total = 28 + payload.length;
        ByteBuf f = Unpooled.directBuffer(VnetHdr.SIZE + total).writeZero(VnetHdr.SIZE);
        VnetHdr.set(f, 0, VnetHdr.F_NEEDS_CSUM, VnetHdr.GSO_UDP_L4, 28, 1000, 20, 6);
        f.writeByte(0x45).writeByte(0).writeShort(total).writeShort(7).writeShort(0).writeByte(63).writeByte(17)
                .writeShort(0).writeInt(0x0af40102).writeInt(0x0af40203);
        f.writeShort(5000).writeShort(6000).writeShort(8 + payload.length).writeShort(0).writeBytes(payload);
        assertNull(seg.forward(f, 0, VnetHdr.SIZE, total, PEER));
        seg.flush();
        List<ByteBuf> pkts = wire();
        assertEquals(4, pkts.size());
        for (int i = 0; i < 4; i++) {
            ByteBuf p = pkts.get(i);
            assertEquals(0, Checksum.of(p, 0, 20));
            assertEquals(1028, p.getUnsignedShort(2));
            assertEquals(1008, p.getUnsignedShort(24), "UDP length");
            long acc = Checksum.add(p, 20, 1008, Checksum.pseudoV4(p, 0, 17, 1008));
            assertEquals(0xffff, Checksum.finish(acc), "UDP checksum");
            byte[] chunk = new byte[1000];
            p.getBytes(28, chunk);
            assertArrayEquals(java.util.Arrays.copyOfRange(payload, i * 1000, i * 1000 + 1000), chunk);
        }
        f.release();
    }

    @Test
    void malformedOrForeignSuperSegmentsAreDroppedWithAReason() {
        ByteBuf tooBig = tcpFrame(random(4000, 5), VnetHdr.GSO_TCPV4, 1600, 0x10);
        assertEquals(UdpMetrics.Drop.OVERSIZE, seg.forward(tooBig, 0, VnetHdr.SIZE, tooBig.readableBytes() - VnetHdr.SIZE, PEER));
        ByteBuf zeroMss = tcpFrame(random(4000, 6), VnetHdr.GSO_TCPV4, 0, 0x10);
        assertEquals(UdpMetrics.Drop.BAD_GSO, seg.forward(zeroMss, 0, VnetHdr.SIZE, zeroMss.readableBytes() - VnetHdr.SIZE, PEER));
        ByteBuf v6 = tcpFrame(random(4000, 7), 4 /* TCPV6 */, 1400, 0x10);
        assertEquals(UdpMetrics.Drop.UNSUPPORTED_GSO, seg.forward(v6, 0, VnetHdr.SIZE, v6.readableBytes() - VnetHdr.SIZE, PEER));
        ByteBuf badStart = tcpFrame(random(100, 8), VnetHdr.GSO_NONE, 0, 0x10);
        badStart.setShortLE(6, 4000);
        assertEquals(UdpMetrics.Drop.BAD_GSO, seg.forward(badStart, 0, VnetHdr.SIZE, badStart.readableBytes() - VnetHdr.SIZE, PEER));
        seg.flush();
        assertTrue(out.isEmpty());
        tooBig.release();
        zeroMss.release();
        v6.release();
        badStart.release();
    }
}
