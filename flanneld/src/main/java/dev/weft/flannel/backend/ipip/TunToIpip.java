package dev.weft.flannel.backend.ipip;

import dev.weft.flannel.backend.udp.TunBatchReader;
import dev.weft.flannel.backend.udp.GsoBatch;
import dev.weft.flannel.backend.udp.Ipv4Packets;
import dev.weft.flannel.backend.udp.RouteTable;
import dev.weft.flannel.backend.udp.Segmenter;
import dev.weft.flannel.backend.udp.UdpMetrics;
import dev.weft.flannel.backend.udp.UdpMetrics.Drop;
import dev.weft.flannel.backend.udp.VnetHdr;
import dev.weft.libc.LibC;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.SegmentedDatagramPacket;
import java.net.InetSocketAddress;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TUN → wire direction, on its own event loop: drains the TUN (edge-triggered, until EAGAIN),
 * looks up the node that holds each packet's destination subnet, and sends the packets on the raw
 * socket. The TUN has TSO: one read may be a TCP super-segment of up to 64 KB, which the udp
 * backend's {@link Segmenter} cuts into MTU-sized packets laid end to end in a {@link GsoBatch}
 * (exactly as the kernel would segment them; checksums completed). Each batch then goes out with
 * one sendmmsg: per packet, its outer header from a fixed block and the packet itself, gathered,
 * so nothing is copied again. The host has already forwarded the packet (and decremented its TTL)
 * on its way into the TUN, as for the kernel's tunl0; the TTL is left alone here.
 */
final class TunToIpip extends TunBatchReader {
    private static final Logger LOG = LoggerFactory.getLogger(TunToIpip.class);
    private static final int EAGAIN = 11;
    private static final int ENOBUFS = 105;

    private final RawIpipSocket socket;
    private final int source;
    private final Supplier<RouteTable> routes;
    private final UdpMetrics metrics;
    private final GsoBatch batch;
    private final Segmenter segmenter;
    /** The outer headers of one send, {@link IpipCodec#OUTER} bytes each. */
    private final ByteBuf headers;
    /** The outer IP ID: a per-sender counter, as the ID is only read for fragments. */
    private int id;

    /**
     * @param tun    the TUN (non-blocking, IFF_VNET_HDR); not closed here
     * @param source the node's underlay address, the outer source
     * @param mtu    the TUN MTU: the largest inner packet
     */
    TunToIpip(FileDescriptor tun, RawIpipSocket socket, int source, int mtu, Supplier<RouteTable> routes,
              UdpMetrics metrics, ByteBufAllocator alloc) {
        super(tun, alloc.directBuffer(VnetHdr.SIZE + 65_535), metrics);
        this.socket = socket;
        this.source = source;
        this.routes = routes;
        this.metrics = metrics;
        this.batch = new GsoBatch(alloc, true);
        this.segmenter = new Segmenter(batch, this::send, mtu);
        this.headers = alloc.directBuffer(RawIpipSocket.BATCH * IpipCodec.OUTER);
    }

    @Override
    protected void flushSends() {
        segmenter.flush();
    }

    /** Handles one read: a virtio_net_hdr and {@code n} − 10 bytes of packet. */
    @Override
    protected void fromTun(int n) {
        int len = n - VnetHdr.SIZE;
        if (len < 0) {
            metrics.tunRxDrop(Drop.TOO_SHORT);
            return;
        }
        int off = VnetHdr.SIZE;
        Drop bad = Ipv4Packets.validate(buf, off, len);
        if (bad == null) {
            InetSocketAddress peer = routes.get().lookup(Ipv4Packets.destination(buf, off));
            bad = peer == null ? Drop.NO_ROUTE : segmenter.forward(buf, 0, off, Ipv4Packets.totalLength(buf, off), peer);
        }
        metrics.tunRead(len, bad, bad == null ? segmenter.segments() : 0);
    }

    /** Sends a batch of packets for one node (all of one size but the last) with one sendmmsg. */
    private void send(DatagramPacket p) {
        try {
            ByteBuf c = p.content();
            int total = c.readableBytes();
            int size = p instanceof SegmentedDatagramPacket s ? s.segmentSize() : total;
            int dst = peerAddress(p.recipient());
            int count = 0;
            for (int at = 0; at < total && count < RawIpipSocket.BATCH; at += size) {
                int len = Math.min(size, total - at);
                int inner = c.readerIndex() + at;
                id = (id + 1) & 0xffff;
                IpipCodec.writeOuter(headers, count * IpipCodec.OUTER, c, inner, len, source, dst, id);
                socket.stage(count, headers.memoryAddress() + (long) count * IpipCodec.OUTER, c.memoryAddress() + inner, len);
                count++;
            }
            int sent = socket.sendStaged(count, dst);
            metrics.udpTx(sent, (long) total + (long) sent * IpipCodec.OUTER);
            metrics.batch(UdpMetrics.Path.UDP_TX, sent);
            if (sent < count) {
                int err = LibC.errno();
                Drop why = err == EAGAIN || err == ENOBUFS ? Drop.SEND_BACKPRESSURE : Drop.SEND_ERROR;
                LOG.debug("ipip: sendmmsg sent {} of {}: errno {}", sent, count, err);
                for (int i = sent; i < count; i++) {
                    metrics.tunRxDrop(why);
                }
            }
        } finally {
            p.release();
        }
    }

    /** The node's IPv4 address as an int; the table's entries are IPv4 only. */
    private static int peerAddress(InetSocketAddress a) {
        byte[] b = a.getAddress().getAddress(); // once per batch, not per packet
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    /** Lets the buffers go; once the loop has stopped. */
    void release() {
        batch.discard();
        headers.release();
        buf.release();
    }
}
