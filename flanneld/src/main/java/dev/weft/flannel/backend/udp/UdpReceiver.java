package dev.weft.flannel.backend.udp;

import dev.weft.libc.NativeMemory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.ReferenceCountUtil;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP → TUN direction of one socket, on that socket's loop (the mirror of {@link TunReader}):
 * checks each datagram (its sender and inner addresses by the {@link DatagramFilter}, then the
 * IPv4 header), decrements its TTL and writes it to the TUN, or gathers it into a TCP super-segment
 * with the {@link TcpCoalescer}. Its coalescer, TUN writers and counters are its own, so two
 * receiving loops share nothing. Netty's reads (no GRO) and a {@link GroReader}'s end up in the
 * same calls: a datagram, the end of a read, let go.
 */
final class UdpReceiver extends ChannelInboundHandlerAdapter implements GroReader.Sink {
    private static final Logger LOG = LoggerFactory.getLogger(UdpReceiver.class);

    private final UdpMetrics m;
    private final int mtu;
    private final Supplier<RouteTable> routes;
    private final DatagramFilter filter;
    /** The sending side on this socket, told when a GSO send fails; null on a receive-only socket. */
    private final TunReader sender;
    private final TunWriter tunWriter;
    private final TcpCoalescer coalescer;
    /** SO_MEMINFO's answer, for the socket's drop count when Netty reads it. */
    private final NativeMemory meminfo = NativeMemory.allocate(UdpSockets.MEMINFO_BYTES + 4);
    private int rxBurst;

    /**
     * @param tunFd  the TUN (non-blocking); not closed here
     * @param sender the {@link TunReader} sending on the same socket, or null
     */
    UdpReceiver(FileDescriptor tunFd, boolean vnetHdr, int mtu, Supplier<RouteTable> routes, DatagramFilter filter,
                TunReader sender, UdpMetrics m, ByteBufAllocator alloc) {
        this.m = m;
        this.mtu = mtu;
        this.routes = routes;
        this.filter = filter;
        this.sender = sender;
        this.tunWriter = new TunWriter(tunFd, vnetHdr, alloc);
        this.coalescer = vnetHdr ? new TcpCoalescer(tunWriter, m, alloc) : null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        DatagramPacket p = (DatagramPacket) msg;
        try {
            rxBurst++;
            ByteBuf b = p.content();
            datagram(DatagramFilter.ipv4(p.sender()), b, b.readerIndex(), b.readableBytes());
        } finally {
            p.release();
        }
    }

    @Override
    public void datagram(int from, ByteBuf buf, int off, int len) {
        try {
            fromUdp(from, buf, off, len);
        } catch (RuntimeException e) {
            LOG.debug("udp: datagram handling failed: {}", e.toString());
        }
    }

    @Override
    public void truncated(int from, int len) {
        m.udpRx(len);
        UdpMetrics.Drop bad = filter.sender(routes.get(), from);
        m.udpRxDrop(bad != null ? bad : UdpMetrics.Drop.OVERSIZE);
    }

    @Override
    public void endOfRead(int datagrams) {
        // a run may go on in the next read (the reader alternates buffers): no flush here
        m.batch(UdpMetrics.Path.UDP_RX, datagrams);
    }

    @Override
    public void letGo() {
        if (coalescer != null) {
            coalescer.flush();
        }
    }

    @Override
    public void overflow(long socketDrops) {
        m.socketOverflow(socketDrops);
    }

    @Override
    public void error(int errno) {
        // e.g. ECONNREFUSED: an ICMP port unreachable for an earlier send
        m.drop(UdpMetrics.Drop.SEND_ERROR);
        LOG.debug("udp: socket error: errno {}", errno);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // the end of a read burst ends every run being coalesced: no packet waits for the next
        letGo();
        if (rxBurst > 0) {
            endOfRead(rxBurst);
            rxBurst = 0;
            // recvmmsg has no room for SO_RXQ_OVFL: ask the socket once per burst instead
            long drops = UdpSockets.drops(((EpollDatagramChannel) ctx.channel()).fd().intValue(), meminfo);
            if (drops >= 0) {
                overflow(drops);
            }
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // e.g. ICMP port unreachable surfacing as ECONNREFUSED: never fatal for the loop
        if (sender != null && sender.gso() && String.valueOf(cause.getMessage()).contains("Input/output error")) {
            // the egress device cannot checksum a segmented send: plain datagrams from now on
            // (the sending socket's errors surface on the sending loop, which owns the reader)
            LOG.warn("udp: the kernel refused a UDP GSO send ({}); sending one datagram per syscall", cause.toString());
            sender.disableGso();
        }
        m.drop(UdpMetrics.Drop.SEND_ERROR);
        LOG.debug("udp: socket error: {}", cause.toString());
    }

    /** Checks, in this order: the sender, the size, the IPv4 header, the inner addresses, the TTL. */
    private void fromUdp(int from, ByteBuf b, int off, int len) {
        m.udpRx(len);
        RouteTable t = routes.get();
        UdpMetrics.Drop bad = filter.sender(t, from);
        if (bad == null && len > mtu) {
            bad = UdpMetrics.Drop.OVERSIZE;
        }
        if (bad == null) {
            bad = Ipv4Packets.validate(b, off, len);
        }
        if (bad == null) {
            bad = filter.inner(t, from, b, off);
        }
        if (bad == null && !Ipv4Packets.decrementTtl(b, off)) {
            bad = UdpMetrics.Drop.TTL_EXPIRED;
        }
        if (bad != null) {
            m.udpRxDrop(bad);
            return;
        }
        int total = Ipv4Packets.totalLength(b, off);
        if (coalescer != null) {
            if (coalescer.offer(b, off, total)) {
                return;
            }
            coalescer.flush(); // keep the order: what was gathered goes first
        }
        tunWriter.writeCounted(b, off, total, m);
    }

    /** Lets the buffers go; once the loop has stopped. */
    void release() {
        if (coalescer != null) {
            coalescer.close();
        }
        tunWriter.close();
        meminfo.close();
    }
}
