package dev.weft.flannel.backend.udp;

import dev.weft.flannel.backend.BackendException;
import dev.weft.libc.LibC;
import dev.weft.libc.Linux;
import dev.weft.libc.NativeMemory;
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
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forwarding loops. Netty epoll event loops drive the UDP sockets ({@link EpollDatagramChannel}s:
 * UDP GSO sends, and recvmmsg reads when offloads are off) and the TUN fd (a {@link TunReader}, an
 * {@link EpollIoHandle} registered through {@link IoEventLoop#register}, edge-triggered, drained
 * until EAGAIN). With UDP_GRO a {@link GroReader} reads the socket instead of its channel, because
 * Netty's GRO read makes two objects per datagram.
 *
 * <p>With one loop, one socket carries both directions. With two, each direction has its own
 * loop and its own socket, both bound to the same address and port with SO_REUSEPORT (so peers see
 * every datagram come from the flannel port), and a reuseport BPF program steers every incoming
 * datagram to the receiving socket. A bulk TCP flow then has its data forwarded on one loop while
 * its ACKs (and the sender's TCP work they trigger in the kernel, which runs on the writing
 * thread) go through the other: measured +15 % single-stream throughput on 2 CPUs. Should the
 * steering program be refused, datagrams are hashed over both sockets by flow, and each loop
 * handles what it receives; a flow never moves, so nothing is reordered.
 *
 * <p>TUN → UDP: each read (a packet, or with IFF_VNET_HDR a TSO/USO super-segment of up to 64 KB)
 * goes through the {@link Segmenter} into {@link GsoBatch}es: one UDP GSO send per batch, one
 * packet per wire datagram. UDP → TUN: each datagram is checked and its TTL decremented in place,
 * then written to the TUN, or gathered by the {@link TcpCoalescer} into a super-segment when it
 * continues a TCP run. The TUN and GRO read buffers, the iovecs and the coalescer's header are
 * allocated once; batches come from the pooled direct allocator, one object per batch.
 */
final class UdpDataPath implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UdpDataPath.class);
    private static final int SOCKET_BUFFER = 4 << 20;
    /** Without GRO: recvmmsg of up to this many datagrams per syscall. */
    private static final int MMSG_SLOTS = 32;

    /** A SOL_SOCKET option that Netty does not expose. */
    private static final int SO_ATTACH_REUSEPORT_CBPF = 51;

    private final FileDescriptor tunFd;
    private final int threads;
    private final int mtu;
    private final int tunAddr;
    private final int port;
    private final UdpMetrics metrics;
    private final boolean vnetHdr;
    private final boolean socketOffloads;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private volatile RouteTable routes = RouteTable.EMPTY;

    private MultiThreadIoEventLoopGroup group;
    /** Runs TUN → UDP; with one loop, everything. */
    private IoEventLoop loop;
    /** Sends (and with one loop also receives); lives on {@link #loop}. */
    private EpollDatagramChannel channel;
    /** Receives; the same as {@link #channel} with one loop. */
    private EpollDatagramChannel rxChannel;
    /** TUN → UDP, on {@link #loop}. */
    private TunReader reader;
    private final List<GroReader> groReaders = new ArrayList<>();
    /** The TUN's and the GRO readers' registrations with their loops. */
    private final List<IoRegistration> registrations = new ArrayList<>();
    private final List<Receiver> receivers = new ArrayList<>();

    /**
     * @param tunFdInt       the TUN fd (already O_NONBLOCK, after TUNSETIFF); not closed here
     * @param mtu            the TUN MTU: the largest packet either way on the wire
     * @param tunAddr        the TUN's address, source of ICMP errors
     * @param port           the port peers listen on
     * @param vnetHdr        whether the TUN was opened with IFF_VNET_HDR (its offloads are set)
     * @param socketOffloads whether to use UDP GSO and GRO on the socket where the kernel has them
     * @param threads        event loops: 1, or 2 for one per direction
     */
    UdpDataPath(int tunFdInt, int mtu, IpAddress tunAddr, int port, UdpMetrics metrics, boolean vnetHdr,
                boolean socketOffloads, int threads) {
        if (threads != 1 && threads != 2) {
            throw new IllegalArgumentException("udp: the data path runs on 1 or 2 event loops, not " + threads);
        }
        this.threads = threads;
        this.tunFd = new FileDescriptor(tunFdInt);
        this.mtu = mtu;
        this.tunAddr = tunAddr.toV4Int();
        this.port = port;
        this.metrics = metrics;
        this.vnetHdr = vnetHdr;
        this.socketOffloads = socketOffloads;
    }

    /**
     * Opens the sockets (in {@code ns}, or here when null), binds them to {@code bind}:port and
     * starts the loops. Returns the socket offloads in use ("udp_gso", "udp_gro", "tcp_coalesce").
     */
    String start(NetNs ns, IpAddress bind) {
        Epoll.ensureAvailability();
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("weft-udp", true),
                EpollIoHandler.newFactory());
        try {
            InetSocketAddress local = new InetSocketAddress(bind.toInetAddress(), port);
            loop = (IoEventLoop) group.next();
            IoEventLoop rxLoop = threads > 1 ? (IoEventLoop) group.next() : loop;
            UdpMetrics txMetrics = metrics.newShard();
            UdpMetrics rxMetrics = threads > 1 ? metrics.newShard() : txMetrics;
            boolean gso = socketOffloads && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
            if (threads > 1) {
                // SO_REUSEPORT would let a second daemon share the port without a word: make sure
                // nobody holds it before our two sockets do
                probeUnbound(ns, local);
            }
            channel = open(ns, threads > 1);
            rxChannel = threads > 1 ? open(ns, true) : channel;
            reader = new TunReader(tunFd, vnetHdr, mtu, tunAddr, this::routes, txMetrics, alloc, channel, gso);
            boolean gro = socketOffloads && enableGro(channel);
            Receiver receiver = new Receiver(txMetrics);
            configure(channel, gro, receiver);
            Receiver rxReceiver = receiver;
            boolean rxGro = gro;
            if (threads > 1) {
                rxGro = gro && enableGro(rxChannel);
                rxReceiver = new Receiver(rxMetrics);
                configure(rxChannel, rxGro, rxReceiver);
            }

            // bind order is the reuseport group's order: the sending socket is 0, the receiving one 1
            loop.register(channel).syncUninterruptibly();
            channel.bind(local).syncUninterruptibly();
            boolean steered = false;
            if (threads > 1) {
                rxLoop.register(rxChannel).syncUninterruptibly();
                rxChannel.bind(local).syncUninterruptibly();
                steered = steerToSecond(rxChannel);
            }
            if (gro) {
                readGro(loop, channel, receiver);
            }
            if (threads > 1 && rxGro) {
                readGro(rxLoop, rxChannel, rxReceiver);
            }
            metrics.loops(threads, steered);
            watch(loop, reader);
            return ((gso ? "udp_gso " : "") + (gro ? "udp_gro " : "") + (vnetHdr ? "tcp_coalesce" : "")).trim();
        } catch (RuntimeException e) {
            close();
            throw new BackendException("udp: cannot start the data path on " + bind + ":" + port + ": " + e, e);
        }
    }

    private static EpollDatagramChannel open(NetNs ns, boolean reusePort) {
        EpollDatagramChannel ch = ns == null ? newChannel() : ns.run(UdpDataPath::newChannel);
        if (reusePort) {
            ch.config().setOption(EpollChannelOption.SO_REUSEPORT, true);
        }
        return ch;
    }

    /** Reads a UDP_GRO socket with a {@link GroReader} on its loop (the channel's own reading is off). */
    private void readGro(IoEventLoop l, EpollDatagramChannel ch, Receiver r) {
        GroReader g = new GroReader(ch.fd().intValue(), l, r, alloc);
        groReaders.add(g);
        watch(l, g);
    }

    /** Registers an fd with a loop for input, edge-triggered: its handle reads until EAGAIN. */
    private void watch(IoEventLoop l, EpollIoHandle h) {
        IoRegistration reg = l.register(h).syncUninterruptibly().getNow();
        registrations.add(reg);
        l.submit(() -> reg.submit(EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLET))).syncUninterruptibly();
    }

    /**
     * Receive sizes, buffers and the receiving handler of one socket. With UDP_GRO the channel
     * does not read: a {@link GroReader} does, without an object per datagram.
     */
    private void configure(EpollDatagramChannel ch, boolean gro, Receiver r) {
        int slot = mtu + 1; // one byte more than allowed: oversize shows
        ch.config().setOption(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, slot);
        ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(slot * MMSG_SLOTS));
        ch.config().setMaxMessagesPerRead(1024);
        ch.config().setAllocator(alloc);
        ch.config().setOption(ChannelOption.SO_RCVBUF, SOCKET_BUFFER);
        ch.config().setOption(ChannelOption.SO_SNDBUF, SOCKET_BUFFER);
        // Room for a full drain between flushes; beyond it the socket itself is full.
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(2 << 20, 4 << 20));
        ch.config().setAutoRead(!gro);
        receivers.add(r);
        ch.pipeline().addLast(r);
    }

    /** Fails like a plain bind would when another socket already holds the address and port. */
    private static void probeUnbound(NetNs ns, InetSocketAddress local) {
        try {
            if (ns == null) {
                bindAndClose(local);
            } else {
                ns.run(() -> bindAndClose(local));
            }
        } catch (IOException e) {
            throw new BackendException("udp: " + local + " is already in use: " + e.getMessage(), e);
        }
    }

    private static Void bindAndClose(InetSocketAddress local) throws IOException {
        try (DatagramSocket s = new DatagramSocket(local)) {
            return null;
        }
    }

    /**
     * Attaches a one-instruction classic BPF program to the reuseport group: "return 1", the
     * receiving socket. False (logged) when the kernel refuses; datagrams are then hashed by flow.
     */
    private static boolean steerToSecond(EpollDatagramChannel ch) {
        LibC libc = LibC.get();
        try (NativeMemory filter = NativeMemory.allocate(8); NativeMemory prog = NativeMemory.allocate(16)) {
            ByteBuffer insn = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
            insn.putShort((short) 0x06).put((byte) 0).put((byte) 0).putInt(1); // BPF_RET | BPF_K, k = 1
            filter.put(0, insn.array());
            ByteBuffer fprog = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
            fprog.putShort((short) 1).putShort((short) 0).putInt(0).putLong(filter.address()); // len, pad, filter
            prog.put(0, fprog.array());
            if (libc.setsockopt(ch.fd().intValue(), Linux.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, prog.address(), 16) < 0) {
                LOG.info("udp: reuseport steering refused (errno {}); incoming datagrams are spread by flow", LibC.errno());
                return false;
            }
            return true;
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

    // ---- UDP -> TUN ----

    /**
     * The receiving side of one socket, on that socket's loop: checks each datagram, decrements its
     * TTL and writes it to the TUN, or gathers it into a TCP super-segment. Its coalescer, TUN
     * writers and counters are its own, so two receiving loops share nothing. Netty's reads (no GRO)
     * and a {@link GroReader}'s end up in the same calls: a datagram, the end of a read, let go.
     */
    private final class Receiver extends ChannelInboundHandlerAdapter implements GroReader.Sink {
        private final UdpMetrics m;
        private final TunWriter tunWriter;
        private final TcpCoalescer coalescer;
        private int rxBurst;

        Receiver(UdpMetrics m) {
            this.m = m;
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
                datagram(b, b.readerIndex(), b.readableBytes());
            } finally {
                p.release();
            }
        }

        @Override
        public void datagram(ByteBuf buf, int off, int len) {
            try {
                fromUdp(buf, off, len);
            } catch (RuntimeException e) {
                LOG.debug("udp: datagram handling failed: {}", e.toString());
            }
        }

        @Override
        public void truncated(int len) {
            m.udpRx(len);
            m.udpRxDrop(UdpMetrics.Drop.OVERSIZE);
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
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // e.g. ICMP port unreachable surfacing as ECONNREFUSED: never fatal for the loop
            if (ctx.channel() == channel && reader.gso() && String.valueOf(cause.getMessage()).contains("Input/output error")) {
                // the egress device cannot checksum a segmented send: plain datagrams from now on
                // (the sending socket's errors surface on the sending loop, which owns the reader)
                LOG.warn("udp: the kernel refused a UDP GSO send ({}); sending one datagram per syscall", cause.toString());
                reader.disableGso();
            }
            m.drop(UdpMetrics.Drop.SEND_ERROR);
            LOG.debug("udp: socket error: {}", cause.toString());
        }

        private void fromUdp(ByteBuf b, int off, int len) {
            m.udpRx(len);
            if (len > mtu) {
                m.udpRxDrop(UdpMetrics.Drop.OVERSIZE);
                return;
            }
            UdpMetrics.Drop bad = Ipv4Packets.validate(b, off, len);
            if (bad != null) {
                m.udpRxDrop(bad);
                return;
            }
            if (!Ipv4Packets.decrementTtl(b, off)) {
                m.udpRxDrop(UdpMetrics.Drop.TTL_EXPIRED);
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
                m.tunTx(total);
                m.batch(UdpMetrics.Path.TUN_TX, 1);
            } catch (IOException e) {
                m.udpRxDrop(UdpMetrics.Drop.TUN_WRITE_ERROR);
                LOG.debug("udp: TUN write failed: {}", e.toString());
            }
        }

        void release() {
            if (coalescer != null) {
                coalescer.close();
            }
            tunWriter.close();
        }
    }

    /** Stops the loops and closes the sockets; the TUN fd stays open (its owner closes it). */
    @Override
    public void close() {
        if (group == null) {
            return;
        }
        try {
            for (IoRegistration r : registrations) {
                r.cancel(); // the registration hands the cancel to its own loop
            }
            registrations.clear();
            if (rxChannel != channel) {
                closeChannel(rxChannel);
            }
            closeChannel(channel);
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            group = null;
            releaseBuffers();
        }
    }

    /** Closes a socket, also one that a failed start left unregistered (it has no loop to close it). */
    private static void closeChannel(EpollDatagramChannel ch) {
        if (ch == null) {
            return;
        }
        if (ch.isRegistered()) {
            ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        } else {
            ch.unsafe().closeForcibly();
        }
    }

    private void releaseBuffers() {
        if (reader != null) {
            reader.release();
            reader = null;
        }
        for (GroReader g : groReaders) {
            g.release();
        }
        groReaders.clear();
        for (Receiver r : receivers) {
            r.release();
        }
        receivers.clear();
    }
}
