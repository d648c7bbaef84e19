package dev.weft.flannel.backend.udp;

import dev.weft.flannel.backend.BackendException;
import dev.weft.net.IpAddress;
import dev.weft.netns.NetNs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
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
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forwarding loop: one Netty epoll event loop drives both the UDP socket (an
 * {@link EpollDatagramChannel}) and the TUN fd (an {@link EpollIoHandle} registered through
 * {@link IoEventLoop#register}, edge-triggered, drained until EAGAIN). All packet work runs on that
 * one thread; buffers come from a pooled direct allocator.
 */
final class UdpDataPath implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UdpDataPath.class);
    /** Datagrams queued in the channel before a flush while draining the TUN. */
    private static final int FLUSH_EVERY = 64;
    private static final int SOCKET_BUFFER = 4 << 20;

    private final FileDescriptor tunFd;
    private final int mtu;
    private final int tunAddr;
    private final int port;
    private final UdpMetrics metrics;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private volatile RouteTable routes = RouteTable.EMPTY;

    private MultiThreadIoEventLoopGroup group;
    private IoEventLoop loop;
    private EpollDatagramChannel channel;
    private IoRegistration tunRegistration;

    /**
     * @param tunFdInt the TUN fd (already O_NONBLOCK, after TUNSETIFF); not closed here
     * @param mtu      the TUN MTU: the largest packet either way
     * @param tunAddr  the TUN's address, source of ICMP errors
     * @param port     the port peers listen on
     */
    UdpDataPath(int tunFdInt, int mtu, IpAddress tunAddr, int port, UdpMetrics metrics) {
        this.tunFd = new FileDescriptor(tunFdInt);
        this.mtu = mtu;
        this.tunAddr = tunAddr.toV4Int();
        this.port = port;
        this.metrics = metrics;
    }

    /** Opens the socket (in {@code ns}, or here when null), binds it to {@code bind}:port and starts the loop. */
    void start(NetNs ns, IpAddress bind) {
        Epoll.ensureAvailability();
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("weft-udp", true),
                EpollIoHandler.newFactory());
        try {
            loop = (IoEventLoop) group.next();
            channel = ns == null ? newChannel() : ns.run(UdpDataPath::newChannel);
            channel.config().setOption(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(mtu + 1));
            channel.config().setAllocator(alloc);
            channel.config().setOption(ChannelOption.SO_RCVBUF, SOCKET_BUFFER);
            channel.config().setOption(ChannelOption.SO_SNDBUF, SOCKET_BUFFER);
            // Room for a full drain batch between flushes; beyond it the socket itself is full.
            channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1 << 20, 2 << 20));
            channel.pipeline().addLast(new Inbound());
            loop.register(channel).syncUninterruptibly();
            channel.bind(new InetSocketAddress(bind.toInetAddress(), port)).syncUninterruptibly();
            tunRegistration = loop.register(new TunHandle()).syncUninterruptibly().getNow();
            loop.submit(() -> tunRegistration.submit(EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLET)))
                    .syncUninterruptibly();
        } catch (RuntimeException e) {
            close();
            throw new BackendException("udp: cannot start the data path on " + bind + ":" + port + ": " + e, e);
        }
    }

    private static EpollDatagramChannel newChannel() {
        return new EpollDatagramChannel(SocketProtocolFamily.INET);
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
        int queued = 0;
        for (;;) {
            ByteBuf buf = alloc.directBuffer(mtu, mtu);
            int n;
            try {
                n = readTun(buf);
            } catch (IOException | RuntimeException e) {
                buf.release();
                metrics.drop(UdpMetrics.Drop.TUN_READ_ERROR);
                LOG.debug("udp: TUN read failed: {}", e.toString());
                break;
            }
            if (n <= 0) {
                buf.release();
                break;
            }
            buf.writerIndex(n);
            metrics.tunRx(n);
            if (fromTun(buf)) {
                if (++queued >= FLUSH_EVERY) {
                    channel.flush();
                    queued = 0;
                }
            }
        }
        if (queued > 0) {
            channel.flush();
        }
    }

    private int readTun(ByteBuf buf) throws IOException {
        if (buf.hasMemoryAddress()) {
            return tunFd.readAddress(buf.memoryAddress(), 0, buf.capacity());
        }
        java.nio.ByteBuffer nio = buf.internalNioBuffer(0, buf.capacity());
        return tunFd.read(nio, nio.position(), nio.limit());
    }

    /** Handles one packet from the TUN; true when it was queued on the channel (which now owns it). */
    private boolean fromTun(ByteBuf buf) {
        int len = buf.readableBytes();
        UdpMetrics.Drop bad = Ipv4Packets.validate(buf, 0, len);
        if (bad != null) {
            metrics.drop(bad);
            buf.release();
            return false;
        }
        InetSocketAddress peer = routes.lookup(Ipv4Packets.destination(buf, 0));
        if (peer == null) {
            metrics.drop(UdpMetrics.Drop.NO_ROUTE);
            if (Ipv4Packets.wantsUnreachable(buf, 0)) {
                sendUnreachable(buf, len);
            }
            buf.release();
            return false;
        }
        if (!Ipv4Packets.decrementTtl(buf, 0)) {
            metrics.drop(UdpMetrics.Drop.TTL_EXPIRED);
            buf.release();
            return false;
        }
        if (!channel.isWritable()) {
            metrics.drop(UdpMetrics.Drop.SEND_BACKPRESSURE);
            buf.release();
            return false;
        }
        metrics.udpTx(len);
        channel.write(new DatagramPacket(buf, peer), channel.voidPromise());
        return true;
    }

    private void sendUnreachable(ByteBuf offender, int len) {
        ByteBuf out = alloc.directBuffer(Ipv4Packets.unreachableLength(offender, 0, len));
        try {
            Ipv4Packets.writeNetUnreachable(out, tunAddr, offender, 0, len);
            writeTun(out, out.readerIndex(), out.readableBytes());
            metrics.icmpUnreachable();
        } catch (IOException e) {
            metrics.drop(UdpMetrics.Drop.TUN_WRITE_ERROR);
        } finally {
            out.release();
        }
    }

    private void writeTun(ByteBuf b, int off, int len) throws IOException {
        if (b.hasMemoryAddress()) {
            tunFd.writeAddress(b.memoryAddress(), off, off + len);
        } else if (b.isDirect()) {
            java.nio.ByteBuffer nio = b.internalNioBuffer(off, len);
            tunFd.write(nio, nio.position(), nio.limit());
        } else {
            ByteBuf d = alloc.directBuffer(len);
            try {
                d.writeBytes(b, off, len);
                writeTun(d, 0, len);
            } finally {
                d.release();
            }
        }
    }

    // ---- UDP -> TUN ----

    private final class Inbound extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket)) {
                io.netty.util.ReferenceCountUtil.release(msg);
                return;
            }
            DatagramPacket p = (DatagramPacket) msg;
            try {
                fromUdp(p.content());
            } catch (RuntimeException e) {
                LOG.debug("udp: datagram handling failed: {}", e.toString());
            } finally {
                p.release();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // e.g. ICMP port unreachable surfacing as ECONNREFUSED: never fatal for the loop
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
        try {
            writeTun(b, off, total);
            metrics.tunTx(total);
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
        }
    }
}
