package dev.weft.flannel.backend.udp;

import dev.weft.flannel.backend.BackendException;
import dev.weft.net.IpAddress;
import dev.weft.netns.NetNs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forwarding loop: one Netty epoll event loop drives both the UDP socket (an
 * {@link EpollDatagramChannel}, recvmmsg, UDP_GRO when offloads are on) and the TUN fd (an
 * {@link EpollIoHandle} registered through {@link IoEventLoop#register}, edge-triggered, drained
 * until EAGAIN). All packet work runs on that one thread.
 *
 * <p>TUN → UDP: each read (a packet, or with IFF_VNET_HDR a TSO/USO super-segment of up to 64 KB)
 * goes through the {@link Segmenter} into {@link GsoBatch}es: one UDP GSO send per batch, one
 * packet per wire datagram. UDP → TUN: each datagram is checked and its TTL decremented in place,
 * then written to the TUN, or gathered by the {@link TcpCoalescer} into a super-segment when it
 * continues a TCP run. The TUN read buffer, the iovecs and the coalescer's header are allocated
 * once; batches come from the pooled direct allocator.
 */
final class UdpDataPath implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UdpDataPath.class);
    /** TUN reads between socket flushes while draining: bounds the queued bytes and the latency. */
    private static final int FLUSH_EVERY = 16;
    private static final int SOCKET_BUFFER = 4 << 20;
    /** With UDP_GRO one read returns up to 64 KB of equal-sized datagrams from one peer. */
    private static final int GRO_SLOT = 65_535;
    /**
     * One GRO read per syscall: Netty reads the UDP_GRO segment size only on its recvmsg path (with
     * several slots it uses recvmmsg and would hand over a whole GRO batch as one oversized datagram).
     */
    private static final int GRO_SLOTS = 1;
    /** Without GRO: recvmmsg of up to this many datagrams per syscall. */
    private static final int MMSG_SLOTS = 32;

    private final FileDescriptor tunFd;
    private final int mtu;
    private final int tunAddr;
    private final int port;
    private final UdpMetrics metrics;
    private final boolean vnetHdr;
    private final boolean socketOffloads;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private volatile RouteTable routes = RouteTable.EMPTY;

    private MultiThreadIoEventLoopGroup group;
    private IoEventLoop loop;
    private EpollDatagramChannel channel;
    private IoRegistration tunRegistration;
    private ByteBuf tunBuf;
    private GsoBatch batch;
    private Segmenter segmenter;
    private TunWriter tunWriter;
    private TcpCoalescer coalescer;
    private int rxBurst;

    /**
     * @param tunFdInt       the TUN fd (already O_NONBLOCK, after TUNSETIFF); not closed here
     * @param mtu            the TUN MTU: the largest packet either way on the wire
     * @param tunAddr        the TUN's address, source of ICMP errors
     * @param port           the port peers listen on
     * @param vnetHdr        whether the TUN was opened with IFF_VNET_HDR (its offloads are set)
     * @param socketOffloads whether to use UDP GSO and GRO on the socket where the kernel has them
     */
    UdpDataPath(int tunFdInt, int mtu, IpAddress tunAddr, int port, UdpMetrics metrics, boolean vnetHdr,
                boolean socketOffloads) {
        this.tunFd = new FileDescriptor(tunFdInt);
        this.mtu = mtu;
        this.tunAddr = tunAddr.toV4Int();
        this.port = port;
        this.metrics = metrics;
        this.vnetHdr = vnetHdr;
        this.socketOffloads = socketOffloads;
    }

    /**
     * Opens the socket (in {@code ns}, or here when null), binds it to {@code bind}:port and starts
     * the loop. Returns the socket offloads in use ("udp_gso", "udp_gro", "tcp_coalesce").
     */
    String start(NetNs ns, IpAddress bind) {
        Epoll.ensureAvailability();
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("weft-udp", true),
                EpollIoHandler.newFactory());
        try {
            loop = (IoEventLoop) group.next();
            channel = ns == null ? newChannel() : ns.run(UdpDataPath::newChannel);
            boolean gso = socketOffloads && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
            boolean gro = socketOffloads && enableGro(channel);
            int slot = gro ? GRO_SLOT : mtu + 1; // one byte more than allowed: oversize shows
            int slots = gro ? GRO_SLOTS : MMSG_SLOTS;
            channel.config().setOption(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, slot);
            FixedRecvByteBufAllocator recv = new FixedRecvByteBufAllocator(slot * slots);
            channel.config().setRecvByteBufAllocator(recv);
            channel.config().setMaxMessagesPerRead(1024); // counts datagrams: a GRO read holds dozens
            channel.config().setAllocator(alloc);
            channel.config().setOption(ChannelOption.SO_RCVBUF, SOCKET_BUFFER);
            channel.config().setOption(ChannelOption.SO_SNDBUF, SOCKET_BUFFER);
            // Room for a full drain between flushes; beyond it the socket itself is full.
            channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(2 << 20, 4 << 20));
            channel.pipeline().addLast(new Inbound());

            tunBuf = alloc.directBuffer(vnetHdr ? VnetHdr.SIZE + 65_535 : mtu + 1);
            batch = new GsoBatch(alloc, gso);
            segmenter = new Segmenter(batch, this::emit, mtu);
            tunWriter = new TunWriter(tunFd, vnetHdr, alloc);
            coalescer = vnetHdr ? new TcpCoalescer(tunWriter, metrics, alloc) : null;

            loop.register(channel).syncUninterruptibly();
            channel.bind(new InetSocketAddress(bind.toInetAddress(), port)).syncUninterruptibly();
            tunRegistration = loop.register(new TunHandle()).syncUninterruptibly().getNow();
            loop.submit(() -> tunRegistration.submit(EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLET)))
                    .syncUninterruptibly();
            return (gso ? "udp_gso " : "") + (gro ? "udp_gro " : "") + (coalescer != null ? "tcp_coalesce" : "");
        } catch (RuntimeException e) {
            close();
            throw new BackendException("udp: cannot start the data path on " + bind + ":" + port + ": " + e, e);
        }
    }

    private static EpollDatagramChannel newChannel() {
        return new EpollDatagramChannel(SocketProtocolFamily.INET);
    }

    private static boolean enableGro(EpollDatagramChannel ch) {
        try {
            return ch.config().setOption(EpollChannelOption.UDP_GRO, true) && ch.config().isUdpGro();
        } catch (ChannelException e) {
            LOG.info("udp: UDP_GRO not available: {}", e.toString());
            return false;
        }
    }

    /** Swaps in a new lease table; packets read after this see it. */
    void setRoutes(RouteTable t) {
        routes = t;
    }

    RouteTable routes() {
        return routes;
    }

    // ---- TUN -> UDP ----

    private final class TunHandle implements EpollIoHandle {
        @Override
        public FileDescriptor fd() {
            return tunFd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            EpollIoOps ops = ((EpollIoEvent) event).ops();
            if (ops.contains(EpollIoOps.EPOLLERR)) {
                LOG.warn("udp: EPOLLERR on the TUN fd");
            }
            drainTun();
        }

        @Override
        public void close() {
            // The TUN fd belongs to the backend.
        }
    }

    private void drainTun() {
        int reads = 0;
        for (;;) {
            int n;
            try {
                n = tunFd.readAddress(tunBuf.memoryAddress(), 0, tunBuf.capacity());
            } catch (IOException | RuntimeException e) {
                metrics.drop(UdpMetrics.Drop.TUN_READ_ERROR);
                LOG.debug("udp: TUN read failed: {}", e.toString());
                break;
            }
            if (n <= 0) {
                break;
            }
            fromTun(n);
            if (++reads % FLUSH_EVERY == 0) {
                segmenter.flush();
                channel.flush();
            }
        }
        segmenter.flush();
        channel.flush();
    }

    /** Handles one read of {@code n} bytes from the TUN (with its virtio_net_hdr when on). */
    private void fromTun(int n) {
        int off = vnetHdr ? VnetHdr.SIZE : 0;
        int len = n - off;
        if (len < 0) {
            metrics.tunRxDrop(UdpMetrics.Drop.TOO_SHORT);
            return;
        }
        UdpMetrics.Drop bad = Ipv4Packets.validate(tunBuf, off, len);
        if (bad == null) {
            bad = route(off, len);
        }
        if (bad != null) {
            metrics.tunRx(len);
            metrics.tunRxDrop(bad);
            return;
        }
        int segments = segmenter.segments();
        metrics.tunRx(segments, len);
        metrics.batch(UdpMetrics.Path.TUN_RX, segments);
    }

    /** Looks up the peer, decrements the TTL and hands the packet to the segmenter; null when sent. */
    private UdpMetrics.Drop route(int off, int len) {
        InetSocketAddress peer = routes.lookup(Ipv4Packets.destination(tunBuf, off));
        if (peer == null) {
            if (Ipv4Packets.wantsUnreachable(tunBuf, off)) {
                sendUnreachable(tunBuf, off, len);
            }
            return UdpMetrics.Drop.NO_ROUTE;
        }
        if (!Ipv4Packets.decrementTtl(tunBuf, off)) {
            return UdpMetrics.Drop.TTL_EXPIRED;
        }
        if (!channel.isWritable()) {
            return UdpMetrics.Drop.SEND_BACKPRESSURE;
        }
        return segmenter.forward(tunBuf, vnetHdr ? 0 : -1, off, Ipv4Packets.totalLength(tunBuf, off), peer);
    }

    /** Writes a finished batch to the channel (flushed by the drain loop). */
    private void emit(DatagramPacket p) {
        int bytes = p.content().readableBytes();
        int packets = p instanceof SegmentedDatagramPacket s ? (bytes + s.segmentSize() - 1) / s.segmentSize() : 1;
        metrics.udpTx(packets, bytes);
        metrics.batch(UdpMetrics.Path.UDP_TX, packets);
        channel.write(p, channel.voidPromise());
    }

    private void sendUnreachable(ByteBuf offender, int off, int len) {
        ByteBuf out = alloc.directBuffer(Ipv4Packets.unreachableLength(offender, off, len));
        try {
            Ipv4Packets.writeNetUnreachable(out, tunAddr, offender, off, len);
            tunWriter.write(out, out.readerIndex(), out.readableBytes());
            metrics.icmpUnreachable();
        } catch (IOException e) {
            metrics.drop(UdpMetrics.Drop.TUN_WRITE_ERROR);
        } finally {
            out.release();
        }
    }

    // ---- UDP -> TUN ----

    private final class Inbound extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            DatagramPacket p = (DatagramPacket) msg;
            try {
                rxBurst++;
                fromUdp(p.content());
            } catch (RuntimeException e) {
                LOG.debug("udp: datagram handling failed: {}", e.toString());
            } finally {
                p.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            // the end of a read burst ends every run being coalesced: no packet waits for the next
            if (coalescer != null) {
                coalescer.flush();
            }
            if (rxBurst > 0) {
                metrics.batch(UdpMetrics.Path.UDP_RX, rxBurst);
                rxBurst = 0;
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // e.g. ICMP port unreachable surfacing as ECONNREFUSED: never fatal for the loop
            if (batch.gso() && String.valueOf(cause.getMessage()).contains("Input/output error")) {
                // the egress device cannot checksum a segmented send: plain datagrams from now on
                LOG.warn("udp: the kernel refused a UDP GSO send ({}); sending one datagram per syscall", cause.toString());
                batch.disableGso();
            }
            metrics.drop(UdpMetrics.Drop.SEND_ERROR);
            LOG.debug("udp: socket error: {}", cause.toString());
        }
    }

    private void fromUdp(ByteBuf b) {
        int off = b.readerIndex();
        int len = b.readableBytes();
        metrics.udpRx(len);
        if (len > mtu) {
            metrics.udpRxDrop(UdpMetrics.Drop.OVERSIZE);
            return;
        }
        UdpMetrics.Drop bad = Ipv4Packets.validate(b, off, len);
        if (bad != null) {
            metrics.udpRxDrop(bad);
            return;
        }
        if (!Ipv4Packets.decrementTtl(b, off)) {
            metrics.udpRxDrop(UdpMetrics.Drop.TTL_EXPIRED);
            return;
        }
        int total = Ipv4Packets.totalLength(b, off);
        if (coalescer != null) {
            if (coalescer.offer(b, off, total)) {
                return;
            }
            coalescer.flush(); // keep the order: what was gathered goes first
        }
        try {
            tunWriter.write(b, off, total);
            metrics.tunTx(total);
            metrics.batch(UdpMetrics.Path.TUN_TX, 1);
        } catch (IOException e) {
            metrics.udpRxDrop(UdpMetrics.Drop.TUN_WRITE_ERROR);
            LOG.debug("udp: TUN write failed: {}", e.toString());
        }
    }

    /** Stops the loop and closes the socket; the TUN fd stays open (its owner closes it). */
    @Override
    public void close() {
        if (group == null) {
            return;
        }
        try {
            if (tunRegistration != null) {
                IoRegistration r = tunRegistration;
                loop.submit(() -> r.cancel()).awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
            if (channel != null) {
                channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            group = null;
            releaseBuffers();
        }
    }

    private void releaseBuffers() {
        if (batch != null) {
            batch.discard();
        }
        if (coalescer != null) {
            coalescer.close();
        }
        if (tunWriter != null) {
            tunWriter.close();
        }
        if (tunBuf != null) {
            tunBuf.release();
            tunBuf = null;
        }
    }
}
