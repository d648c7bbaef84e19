package dev.weft.flannel.backend.udp;

import dev.weft.flannel.backend.BackendException;
import dev.weft.net.IpAddress;
import dev.weft.netns.Namespace;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
 * packet per wire datagram. UDP → TUN: a {@link UdpReceiver} per socket checks each datagram and
 * decrements its TTL in place, then writes it to the TUN, or gathers it into a super-segment when
 * it continues a TCP run; {@link UdpSockets} opens and configures the sockets. The TUN and GRO read buffers, the iovecs and the coalescer's header are
 * allocated once; batches come from the pooled direct allocator, one object per batch.
 */
final class UdpDataPath implements AutoCloseable {
    private final FileDescriptor tunFd;
    private final int threads;
    private final int mtu;
    private final int tunAddr;
    private final int port;
    private final UdpMetrics metrics;
    private final boolean vnetHdr;
    private final boolean socketOffloads;
    private final DatagramFilter filter;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private volatile RouteTable routes = RouteTable.EMPTY;

    private MultiThreadIoEventLoopGroup group;
    /** Runs TUN → UDP; with one loop, everything. */
    private IoEventLoop loop;
    /** Runs UDP → TUN; the same as {@link #loop} with one loop. */
    private IoEventLoop rxLoop;
    /** Sends (and with one loop also receives); lives on {@link #loop}. */
    private EpollDatagramChannel channel;
    /** Receives; the same as {@link #channel} with one loop. */
    private EpollDatagramChannel rxChannel;
    /** TUN → UDP, on {@link #loop}. */
    private TunReader reader;
    private final List<GroReader> groReaders = new ArrayList<>();
    /** The TUN's and the GRO readers' registrations with their loops. */
    private final List<IoRegistration> registrations = new ArrayList<>();
    private final List<UdpReceiver> receivers = new ArrayList<>();

    /**
     * @param tunFdInt       the TUN fd (already O_NONBLOCK, after TUNSETIFF); not closed here
     * @param mtu            the TUN MTU: the largest packet either way on the wire
     * @param tunAddr        the TUN's address, source of ICMP errors
     * @param port           the port peers listen on
     * @param vnetHdr        whether the TUN was opened with IFF_VNET_HDR (its offloads are set)
     * @param socketOffloads whether to use UDP GSO and GRO on the socket where the kernel has them
     * @param threads        event loops: 1, or 2 for one per direction
     * @param filter         which received datagrams go to the TUN
     */
    UdpDataPath(int tunFdInt, int mtu, IpAddress tunAddr, int port, UdpMetrics metrics, boolean vnetHdr,
                boolean socketOffloads, int threads, DatagramFilter filter) {
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
        this.filter = filter;
    }

    /**
     * Opens the sockets in {@code ns}, binds them to {@code bind}:port and
     * starts the loops. Returns the socket offloads in use ("udp_gso", "udp_gro", "tcp_coalesce").
     */
    String start(Namespace ns, IpAddress bind) {
        Epoll.ensureAvailability();
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("weft-udp", true),
                EpollIoHandler.newFactory());
        try {
            InetSocketAddress local = new InetSocketAddress(bind.toInetAddress(), port);
            loop = (IoEventLoop) group.next();
            rxLoop = threads > 1 ? (IoEventLoop) group.next() : loop;
            UdpMetrics txMetrics = metrics.newShard();
            UdpMetrics rxMetrics = threads > 1 ? metrics.newShard() : txMetrics;
            boolean gso = socketOffloads && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
            if (threads > 1) {
                // SO_REUSEPORT would let a second daemon share the port without a word: make sure
                // nobody holds it before our two sockets do
                UdpSockets.probeUnbound(ns, local);
            }
            channel = UdpSockets.open(ns, threads > 1);
            rxChannel = threads > 1 ? UdpSockets.open(ns, true) : channel;
            reader = new TunReader(tunFd, vnetHdr, mtu, tunAddr, this::routes, txMetrics, alloc, channel, gso);
            boolean gro = socketOffloads && UdpSockets.enableGro(channel);
            UdpReceiver receiver = receiver(channel, gro, reader, txMetrics);
            UdpReceiver rxReceiver = receiver;
            boolean rxGro = gro;
            if (threads > 1) {
                rxGro = gro && UdpSockets.enableGro(rxChannel);
                rxReceiver = receiver(rxChannel, rxGro, null, rxMetrics);
            }

            // bind order is the reuseport group's order: the sending socket is 0, the receiving one 1
            loop.register(channel).syncUninterruptibly();
            channel.bind(local).syncUninterruptibly();
            boolean steered = false;
            if (threads > 1) {
                rxLoop.register(rxChannel).syncUninterruptibly();
                rxChannel.bind(local).syncUninterruptibly();
                steered = UdpSockets.steerToSecond(rxChannel);
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

    /**
     * Configures a socket and puts a {@link UdpReceiver} behind it (in its pipeline; with UDP_GRO
     * also behind the {@link GroReader} that {@link #readGro} adds).
     */
    private UdpReceiver receiver(EpollDatagramChannel ch, boolean gro, TunReader sender, UdpMetrics m) {
        UdpSockets.configure(ch, mtu, gro, alloc);
        if (gro) {
            UdpSockets.reportOverflow(ch); // the GRO reader's recvmsg has room for it; Netty's recvmmsg has not
        }
        UdpReceiver r = new UdpReceiver(tunFd, vnetHdr, mtu, this::routes, filter, sender, m, alloc);
        receivers.add(r);
        ch.pipeline().addLast(r);
        return r;
    }

    /** Reads a UDP_GRO socket with a {@link GroReader} on its loop (the channel's own reading is off). */
    private void readGro(IoEventLoop l, EpollDatagramChannel ch, UdpReceiver r) {
        GroReader g = new GroReader(ch.fd().intValue(), l, r, alloc);
        groReaders.add(g);
        watch(l, g);
    }

    /** Registers a reader with a loop for input, edge-triggered: it reads until EAGAIN. */
    private void watch(IoEventLoop l, DrainingReader r) {
        registrations.add(r.watch(l));
    }

    /** Swaps in a new lease table; packets read after this see it. */
    void setRoutes(RouteTable t) {
        routes = t;
    }

    RouteTable routes() {
        return routes;
    }

    /** The loop that reads the TUN (and with one loop, everything). */
    IoEventLoop sendingLoop() {
        return loop;
    }

    /** The loop that reads the socket and writes the TUN. */
    IoEventLoop receivingLoop() {
        return rxLoop;
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
        for (UdpReceiver r : receivers) {
            r.release();
        }
        receivers.clear();
    }
}
