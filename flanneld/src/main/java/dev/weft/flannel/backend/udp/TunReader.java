package dev.weft.flannel.backend.udp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.SegmentedDatagramPacket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TUN → UDP direction of one event loop: drains one TUN queue (edge-triggered, until EAGAIN)
 * and forwards each read — a packet, or with IFF_VNET_HDR a TSO/USO super-segment of up to 64 KB —
 * through the {@link Segmenter} into {@link GsoBatch}es, one UDP GSO send per batch on the loop's
 * own socket. The read buffer and the batch state are this loop's alone; only the route table is
 * shared (an immutable snapshot, swapped whole).
 */
final class TunReader extends TunBatchReader {
    private static final Logger LOG = LoggerFactory.getLogger(TunReader.class);

    private final boolean vnetHdr;
    private final int tunAddr;
    private final Supplier<RouteTable> routes;
    private final UdpMetrics metrics;
    private final ByteBufAllocator alloc;
    private final EpollDatagramChannel channel;
    private final GsoBatch batch;
    private final Segmenter segmenter;
    /** Writes the ICMP errors of the sending side into the TUN. */
    private final TunWriter icmpWriter;
    private final IcmpRateLimit icmpLimit = new IcmpRateLimit();

    /**
     * @param fd      this loop's TUN queue (non-blocking); not closed here
     * @param tunAddr the TUN's address, source of ICMP errors
     * @param routes  the current lease table
     * @param channel the loop's socket, where the batches go
     * @param gso     whether that socket sends UDP GSO batches
     */
    TunReader(FileDescriptor fd, boolean vnetHdr, int mtu, int tunAddr, Supplier<RouteTable> routes,
              UdpMetrics metrics, ByteBufAllocator alloc, EpollDatagramChannel channel, boolean gso) {
        super(fd, alloc.directBuffer(vnetHdr ? VnetHdr.SIZE + 65_535 : mtu + 1), metrics);
        this.vnetHdr = vnetHdr;
        this.tunAddr = tunAddr;
        this.routes = routes;
        this.metrics = metrics;
        this.alloc = alloc;
        this.channel = channel;
        this.batch = new GsoBatch(alloc, gso);
        this.segmenter = new Segmenter(batch, this::emit, mtu);
        this.icmpWriter = new TunWriter(fd, vnetHdr, alloc);
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        if (((EpollIoEvent) event).ops().contains(EpollIoOps.EPOLLERR)) {
            LOG.warn("udp: EPOLLERR on the TUN fd {}", fd.intValue());
        }
        drain();
    }

    boolean gso() {
        return batch.gso();
    }

    /** The socket refused a segmented send (EIO): one datagram per send from now on. */
    void disableGso() {
        batch.disableGso();
    }

    /** Reads the queue until it is empty and sends what it held; on the loop thread only. */
    /** Sends the batch being filled and flushes the socket. */
    @Override
    protected void flushSends() {
        segmenter.flush();
        channel.flush();
    }

    @Override
    protected void fromTun(int n) {
        int off = vnetHdr ? VnetHdr.SIZE : 0;
        int len = n - off;
        if (len < 0) {
            metrics.tunRxDrop(UdpMetrics.Drop.TOO_SHORT);
            return;
        }
        UdpMetrics.Drop bad = Ipv4Packets.validate(buf, off, len);
        if (bad == null) {
            bad = route(off, len);
        }
        metrics.tunRead(len, bad, bad == null ? segmenter.segments() : 0);
    }

    /** Looks up the peer, decrements the TTL and hands the packet to the segmenter; null when sent. */
    private UdpMetrics.Drop route(int off, int len) {
        InetSocketAddress peer = routes.get().lookup(Ipv4Packets.destination(buf, off));
        if (peer == null) {
            if (Ipv4Packets.wantsUnreachable(buf, off)) {
                if (icmpLimit.tryAcquire(System.nanoTime())) {
                    sendUnreachable(off, len);
                } else {
                    metrics.icmpSuppressed();
                }
            }
            return UdpMetrics.Drop.NO_ROUTE;
        }
        if (!Ipv4Packets.decrementTtl(buf, off)) {
            return UdpMetrics.Drop.TTL_EXPIRED;
        }
        if (!channel.isWritable()) {
            return UdpMetrics.Drop.SEND_BACKPRESSURE;
        }
        return segmenter.forward(buf, vnetHdr ? 0 : -1, off, Ipv4Packets.totalLength(buf, off), peer);
    }

    /** Writes a finished batch to the channel (flushed by the drain loop). */
    private void emit(DatagramPacket p) {
        int bytes = p.content().readableBytes();
        int packets = p instanceof SegmentedDatagramPacket s ? (bytes + s.segmentSize() - 1) / s.segmentSize() : 1;
        metrics.udpTx(packets, bytes);
        metrics.batch(UdpMetrics.Path.UDP_TX, packets);
        channel.write(p, channel.voidPromise());
    }

    private void sendUnreachable(int off, int len) {
        ByteBuf out = alloc.directBuffer(Ipv4Packets.unreachableLength(buf, off, len));
        try {
            Ipv4Packets.writeNetUnreachable(out, tunAddr, buf, off, len);
            icmpWriter.write(out, out.readerIndex(), out.readableBytes());
            metrics.icmpUnreachable();
        } catch (IOException e) {
            metrics.drop(UdpMetrics.Drop.TUN_WRITE_ERROR);
        } finally {
            out.release();
        }
    }

    /** Lets the buffers go; once the loop has stopped. */
    void release() {
        batch.discard();
        icmpWriter.close();
        buf.release();
    }
}
