package dev.weft.flannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.unix.FileDescriptor;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receive-side coalescer writing into a plain file instead of a TUN: each writev lands as one
 * record, so the test can read back exactly what the TUN would have been given.
 */
class TcpCoalescerTest {
    @TempDir
    Path dir;
    private FileDescriptor fd;
    private TunWriter tun;
    private TcpCoalescer gro;
    private final UdpMetrics metrics = new UdpMetrics();
    private final List<ByteBuf> held = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        io.netty.channel.epoll.Epoll.ensureAvailability(); // loads the native library FileDescriptor needs
        fd = FileDescriptor.from(dir.resolve("tun").toFile());
        tun = new TunWriter(fd, true, PooledByteBufAllocator.DEFAULT);
        gro = new TcpCoalescer(tun, metrics, PooledByteBufAllocator.DEFAULT);
    }

    @AfterEach
    void close() throws Exception {
        if (gro != null) {
            gro.close();
            tun.close();
            fd.close();
        }
        held.forEach(ByteBuf::release);
    }

    /** A wire packet (no vnet header) with a full TCP checksum. */
    private ByteBuf segment(long seq, byte[] payload, int flags) {
        ByteBuf f = SegmenterTest.tcpFrame(payload, VnetHdr.GSO_NONE, 0, flags);
        int total = f.readableBytes() - VnetHdr.SIZE;
        ByteBuf p = Unpooled.directBuffer(total).writeBytes(f, VnetHdr.SIZE, total);
        f.release();
        p.setInt(24, (int) seq);
        p.setShort(36, 0);
        p.setShort(36, ~Checksum.finish(Checksum.add(p, 20, total - 20, Checksum.pseudoV4(p, 0, 6, total - 20))) & 0xffff);
        held.add(p);
        return p;
    }

    private boolean offer(ByteBuf p) {
        return gro.offer(p, 0, p.readableBytes());
    }

    private byte[] written() throws Exception {
        return Files.readAllBytes(dir.resolve("tun"));
    }

    @Test
    void inOrderSegmentsBecomeOneSuperSegmentWithAGsoHeader() throws Exception {
        byte[] data = SegmenterTest.random(1420 * 5 + 100, 9);
        long seq = 1000;
        for (int i = 0; i < 6; i++) {
            int len = i < 5 ? 1420 : 100;
            byte[] chunk = java.util.Arrays.copyOfRange(data, i * 1420, i * 1420 + len);
            assertTrue(offer(segment(seq, chunk, i < 5 ? 0x10 : 0x18)), "segment " + i);
            seq += len;
        }
        // PSH on the last one flushed the run
        ByteBuf w = Unpooled.wrappedBuffer(written());
        assertEquals(VnetHdr.F_NEEDS_CSUM, VnetHdr.flags(w, 0));
        assertEquals(VnetHdr.GSO_TCPV4, VnetHdr.gsoType(w, 0));
        assertEquals(1420, VnetHdr.gsoSize(w, 0));
        assertEquals(20, VnetHdr.csumStart(w, 0));
        assertEquals(16, VnetHdr.csumOffset(w, 0));
        int ip = VnetHdr.SIZE;
        assertEquals(52 + data.length, w.getUnsignedShort(ip + 2), "total length of the super-segment");
        assertEquals(0, Checksum.of(w, ip, 20), "IP header checksum");
        assertEquals(1000, w.getUnsignedInt(ip + 24), "first sequence number");
        assertEquals(0x18, w.getUnsignedByte(ip + 33), "PSH carried over");
        assertEquals(Checksum.finish(Checksum.pseudoV4(w, ip, 6, 32 + data.length)), w.getUnsignedShort(ip + 36),
                "checksum field = pseudo-header sum (partial)");
        byte[] payload = new byte[data.length];
        w.getBytes(ip + 52, payload);
        assertArrayEquals(data, payload);
        assertEquals(6, metrics.tunTxPackets());
        assertEquals(1, metrics.batches(UdpMetrics.Path.TUN_TX));
    }

    @Test
    void aGapAPureAckOrABadChecksumIsNotCoalesced() throws Exception {
        assertTrue(offer(segment(1000, new byte[1420], 0x10)));
        assertTrue(offer(segment(5000, new byte[1420], 0x10)), "out of order: starts a new run");
        assertFalse(offer(segment(6420, new byte[0], 0x10)), "pure ACK goes alone");
        gro.flush(); // the caller flushes before writing the refused packet alone
        ByteBuf bad = segment(6420, new byte[1420], 0x10);
        bad.setByte(100, bad.getByte(100) ^ 1);
        assertFalse(offer(bad), "corrupt segment goes alone, for the pod to drop");
        assertFalse(offer(segment(1, new byte[10], 0x02)), "SYN");
        ByteBuf w = Unpooled.wrappedBuffer(written());
        // two single writes, each with an all-zero virtio_net_hdr and the packet as it came
        assertEquals(2 * (VnetHdr.SIZE + 52 + 1420), w.readableBytes());
        for (int at : new int[] {0, VnetHdr.SIZE + 1472}) {
            assertEquals(0, w.getLong(at));
            assertEquals(0, w.getShort(at + 8));
            assertEquals(1472, w.getUnsignedShort(at + VnetHdr.SIZE + 2));
        }
    }

    @Test
    void differentFlowsAndAShortSegmentEndRuns() throws Exception {
        assertTrue(offer(segment(1000, new byte[1420], 0x10)));
        assertTrue(offer(segment(2420, new byte[700], 0x10)));
        assertTrue(offer(segment(3120, new byte[1420], 0x10)), "after a short one: new run");
        ByteBuf other = segment(4540, new byte[1420], 0x10);
        other.setShort(20, 40001); // another source port
        other.setShort(36, 0);
        other.setShort(36, ~Checksum.finish(Checksum.add(other, 20, 1452, Checksum.pseudoV4(other, 0, 6, 1452))) & 0xffff);
        assertTrue(offer(other));
        gro.flush();
        ByteBuf w = Unpooled.wrappedBuffer(written());
        int first = VnetHdr.SIZE + 52 + 2120;
        assertEquals(VnetHdr.GSO_TCPV4, VnetHdr.gsoType(w, 0));
        assertEquals(52 + 2120, w.getUnsignedShort(VnetHdr.SIZE + 2));
        assertEquals(0, VnetHdr.gsoType(w, first), "a run of one is written plain");
        assertEquals(3, metrics.batches(UdpMetrics.Path.TUN_TX));
        assertEquals(4, metrics.tunTxPackets());
    }

    /** A packet as the kernel's GRO leaves it: joined lengths, TCP checksum partial (the pseudo-header sum). */
    private ByteBuf groJoined(byte[] data) {
        ByteBuf f = SegmenterTest.tcpFrame(data, VnetHdr.GSO_NONE, 0, 0x18);
        int total = f.readableBytes() - VnetHdr.SIZE;
        ByteBuf p = Unpooled.directBuffer(total).writeBytes(f, VnetHdr.SIZE, total);
        f.release();
        held.add(p);
        return p;
    }

    @Test
    void aPacketJoinedByTheKernelsGroGoesToTheTunAsOneSuperSegment() throws Exception {
        byte[] data = SegmenterTest.random(30_000, 3);
        assertTrue(offer(segment(7, new byte[1420], 0x10)), "a run pending before it");
        assertEquals(null, gro.writeOversize(groJoined(data), 0, 52 + data.length, 1480));
        ByteBuf w = Unpooled.wrappedBuffer(written());
        int at = VnetHdr.SIZE + 1472; // the pending run went first, plain
        assertEquals(VnetHdr.F_NEEDS_CSUM, VnetHdr.flags(w, at));
        assertEquals(VnetHdr.GSO_TCPV4, VnetHdr.gsoType(w, at));
        assertEquals(1480 - 52, VnetHdr.gsoSize(w, at), "segments as large as the TUN MTU allows");
        int ip = at + VnetHdr.SIZE;
        assertEquals(52 + data.length, w.getUnsignedShort(ip + 2));
        assertEquals(0, Checksum.of(w, ip, 20), "IP header checksum");
        assertEquals(Checksum.finish(Checksum.pseudoV4(w, ip, 6, 32 + data.length)), w.getUnsignedShort(ip + 36));
        byte[] payload = new byte[data.length];
        w.getBytes(ip + 52, payload);
        assertArrayEquals(data, payload);
        assertEquals(1 + (data.length + 1427) / 1428, metrics.tunTxPackets(), "counted as the segments it carries");

        // a complete, right checksum is taken too; a wrong one, or a joined non-TCP packet, is not
        ByteBuf full = groJoined(data);
        full.setShort(36, 0);
        full.setShort(36, ~Checksum.finish(Checksum.add(full, 20, 32 + data.length, Checksum.pseudoV4(full, 0, 6, 32 + data.length))) & 0xffff);
        assertEquals(null, gro.writeOversize(full, 0, 52 + data.length, 1480));
        ByteBuf bad = groJoined(data);
        bad.setShort(36, bad.getUnsignedShort(36) ^ 0x100);
        assertEquals(UdpMetrics.Drop.BAD_CHECKSUM, gro.writeOversize(bad, 0, 52 + data.length, 1480));
        ByteBuf udp = groJoined(data);
        udp.setByte(9, 17);
        assertEquals(UdpMetrics.Drop.OVERSIZE, gro.writeOversize(udp, 0, 52 + data.length, 1480));
        assertEquals(3 * (VnetHdr.SIZE + 52) + 1420 + 2 * data.length, written().length, "nothing written for the last two");
    }
}
