package dev.weft.flannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.netns.NetNs;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.SegmentedDatagramPacket;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The GRO reader on the loopback of a test namespace: UDP GSO batches sent before the reader is
 * registered are read in one drain, each as one recvmsg of several datagrams.
 */
@KernelTest
class GroReaderTest {
    private static final int SEG = 100;

    /** Records what the reader hands over and, like the coalescer, keeps every buffer until letGo. */
    private static final class HoldingSink implements GroReader.Sink {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final List<ByteBuf> held = new ArrayList<>();
        final List<Integer> heldOffsets = new ArrayList<>();
        final List<Byte> heldFirstBytes = new ArrayList<>();
        final CountDownLatch drained;
        int buffersSeen;
        ByteBuf lastBuffer;

        HoldingSink(int letGos) {
            drained = new CountDownLatch(letGos);
        }

        @Override
        public void datagram(int sender, ByteBuf buf, int off, int len) {
            if (sender != 0x7f000001) {
                events.add("sender " + Integer.toHexString(sender) + " is not 127.0.0.1");
            }
            if (buf != lastBuffer) {
                buffersSeen++;
                lastBuffer = buf;
            }
            events.add("d" + len + ":" + buf.getByte(off));
            held.add(buf.retain());
            heldOffsets.add(off);
            heldFirstBytes.add(buf.getByte(off));
        }

        @Override
        public void truncated(int sender, int len) {
            events.add("truncated");
        }

        @Override
        public void overflow(long socketDrops) {
            events.add("overflow" + socketDrops);
        }

        @Override
        public void endOfRead(int datagrams) {
            events.add("end" + datagrams);
        }

        @Override
        public void letGo() {
            if (held.isEmpty()) {
                return; // the reader also calls this when it stops with nothing held
            }
            // nothing held was overwritten by a later read
            for (int i = 0; i < held.size(); i++) {
                if (held.get(i).getByte(heldOffsets.get(i)) != heldFirstBytes.get(i)) {
                    events.add("OVERWRITTEN");
                }
                held.get(i).release();
            }
            held.clear();
            heldOffsets.clear();
            heldFirstBytes.clear();
            events.add("letGo");
            drained.countDown();
        }

        @Override
        public void error(int errno) {
            events.add("error" + errno);
        }
    }

    /** A GSO batch of {@code n} datagrams of SEG bytes, datagram i filled with the byte {@code first + i}. */
    private static SegmentedDatagramPacket batch(int first, int n, InetSocketAddress to) {
        ByteBuf b = Unpooled.directBuffer(n * SEG);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < SEG; j++) {
                b.writeByte(first + i);
            }
        }
        return new SegmentedDatagramPacket(b, SEG, to);
    }

    private static List<String> readBatches(TestNetns tns, int[] sizes, int letGos) throws Exception {
        tns.ip("link", "set", "lo", "up");
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try (NetNs ns = NetNs.open(tns.path().toString())) {
            IoEventLoop loop = (IoEventLoop) group.next();
            EpollDatagramChannel rx = ns.run(() -> new EpollDatagramChannel(SocketProtocolFamily.INET));
            EpollDatagramChannel tx = ns.run(() -> new EpollDatagramChannel(SocketProtocolFamily.INET));
            rx.config().setOption(EpollChannelOption.UDP_GRO, true);
            rx.config().setAutoRead(false);
            loop.register(rx).sync();
            loop.register(tx).sync();
            rx.bind(new InetSocketAddress("127.0.0.1", 0)).sync();
            tx.bind(new InetSocketAddress("127.0.0.1", 0)).sync();
            InetSocketAddress to = (InetSocketAddress) rx.localAddress();
            int first = 1;
            for (int n : sizes) {
                tx.writeAndFlush(batch(first, n, to)).sync();
                first += n;
            }
            HoldingSink sink = new HoldingSink(letGos);
            GroReader reader = new GroReader(rx.fd().intValue(), loop, sink, PooledByteBufAllocator.DEFAULT);
            IoRegistration reg = loop.register(reader).sync().getNow();
            // queued before the registration: epoll reports it at once, and one drain reads it all
            loop.submit(() -> reg.submit(EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLET))).sync();
            assertTrue(sink.drained.await(10, TimeUnit.SECONDS), "reader did not drain: " + sink.events);
            loop.submit(reg::cancel).sync();
            tx.close().sync();
            rx.close().sync();
            loop.submit(reader::release).sync();
            return List.copyOf(sink.events);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aRunMayGoOnIntoTheNextReadBecauseTheReadsAlternateBuffers(TestNetns ns) throws Exception {
        List<String> events = readBatches(ns, new int[] {3, 1}, 1);
        // two reads, the second into the other buffer: the first read's datagrams stay held
        // through it and are let go only when the queue is empty
        assertEquals(List.of("d100:1", "d100:2", "d100:3", "end3", "d100:4", "end1", "letGo"), events);
    }

    @Test
    void aBufferStillHeldIsLetGoBeforeItIsReadIntoAgain(TestNetns ns) throws Exception {
        List<String> events = readBatches(ns, new int[] {2, 2, 1}, 2);
        // the third read reuses the first buffer: the sink lets go first, with nothing overwritten
        assertEquals(List.of("d100:1", "d100:2", "end2", "d100:3", "d100:4", "end2", "letGo",
                "d100:5", "end1", "letGo"), events);
    }
}
