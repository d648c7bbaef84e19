package dev.weft.flannel.backend.ipip;

import dev.weft.flannel.backend.udp.DrainingReader;
import dev.weft.flannel.backend.udp.Ipv4Packets;
import dev.weft.flannel.backend.udp.RouteTable;
import dev.weft.flannel.backend.udp.TcpCoalescer;
import dev.weft.flannel.backend.udp.TunWriter;
import dev.weft.flannel.backend.udp.UdpMetrics;
import dev.weft.flannel.backend.udp.UdpMetrics.Drop;
import dev.weft.libc.NativeMemory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.unix.FileDescriptor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wire → TUN direction, on its own event loop: drains the raw socket (edge-triggered, until
 * EAGAIN) with recvmmsg, up to {@link #SLOTS} packets a syscall, checks each packet with
 * {@link IpipCodec#decapsulate} (outer header, protocol, a node's source, inner header) and hands
 * the inner packet to the udp backend's {@link TcpCoalescer}, which writes consecutive segments of
 * a TCP flow to the TUN as one super-segment (GRO in user space) and anything else as it came. A
 * packet longer than the TUN's MTU is a flow the kernel's GRO has already joined on the underlay
 * (NICs do it by default; {@code inet_gro_receive} knows IPIP): it goes to the TUN as one
 * super-segment too ({@link TcpCoalescer#writeOversize}). Every packet read is either written or
 * counted as a drop by reason; nothing throws out of here.
 *
 * <p>The coalescer writes from the receive buffers without copying, so reads alternate between two
 * halves, each of {@link #SLOTS} slots as large as the largest IPv4 packet (a GRO'd one may be
 * that long): a run of segments may go on from one read into the next, and the coalescer is told
 * to write what it holds before a half it still points into is read into again.
 */
final class IpipToTun extends DrainingReader {
    private static final Logger LOG = LoggerFactory.getLogger(IpipToTun.class);
    private static final int EAGAIN = 11;
    /** Errors in a row (a raw socket reports a queued ICMP error once per read) before yielding the loop. */
    private static final int MAX_ERRORS = 64;
    /** A slot: the largest IPv4 packet, so a read never truncates. */
    private static final int SLOT = 65_536;
    /** Packets per recvmmsg (and slots per half). */
    static final int SLOTS = 16;

    private final RawIpipSocket socket;
    private final IoEventLoop loop;
    private final Supplier<RouteTable> routes;
    private final UdpMetrics metrics;
    private final TunWriter tun;
    private final TcpCoalescer coalescer;
    private final int mtu;
    /** The two halves of the receive buffer, read into in turn, and their recvmmsg vectors. */
    private final ByteBuf[] halves = new ByteBuf[2];
    private final NativeMemory[] vectors = new NativeMemory[2];
    private int next;

    /**
     * @param tunFd the TUN (non-blocking, IFF_VNET_HDR); not closed here
     * @param mtu   the TUN's MTU: a longer inner packet was joined by GRO
     */
    IpipToTun(RawIpipSocket socket, IoEventLoop loop, FileDescriptor tunFd, int mtu, Supplier<RouteTable> routes,
              UdpMetrics metrics, ByteBufAllocator alloc) {
        super(new FileDescriptor(socket.fd()));
        this.socket = socket;
        this.loop = loop;
        this.routes = routes;
        this.metrics = metrics;
        this.mtu = mtu;
        this.tun = new TunWriter(tunFd, true, alloc);
        this.coalescer = new TcpCoalescer(tun, metrics, alloc);
        for (int h = 0; h < 2; h++) {
            halves[h] = alloc.directBuffer(SLOTS * SLOT, SLOTS * SLOT);
            vectors[h] = RawIpipSocket.receiveVector(halves[h].memoryAddress(), SLOTS, SLOT);
        }
    }

    @Override
    protected void drain() {
        int errors = 0;
        try {
            for (;;) {
                ByteBuf half = halves[next];
                if (half.refCnt() > 1) {
                    coalescer.flush(); // it still points into the half this read would overwrite
                }
                int n = socket.readBatch(vectors[next], SLOTS);
                if (n == -EAGAIN) {
                    return;
                }
                if (n <= 0) {
                    metrics.drop(Drop.SEND_ERROR); // an ICMP error for an earlier send, reported here
                    LOG.debug("ipip: socket error: errno {}", -n);
                    if (++errors == MAX_ERRORS) {
                        loop.execute(this::drain); // edge-triggered: come back rather than wait for a wake-up
                        return;
                    }
                    continue;
                }
                errors = 0;
                for (int i = 0; i < n; i++) {
                    int len = RawIpipSocket.length(vectors[next], i);
                    if (RawIpipSocket.truncated(vectors[next], i)) {
                        metrics.udpRx(len);
                        metrics.udpRxDrop(Drop.OVERSIZE);
                    } else {
                        received(half, i * SLOT, len);
                    }
                }
                metrics.batch(UdpMetrics.Path.UDP_RX, n);
                next ^= 1;
            }
        } finally {
            // the end of a read burst ends every run: no packet waits for the next wake-up
            coalescer.flush();
        }
    }

    /** Handles the {@code n} bytes read at {@code at} of {@code buf}. */
    private void received(ByteBuf buf, int at, int n) {
        metrics.udpRx(n);
        Drop bad = IpipCodec.decapsulate(buf, at, n, routes.get());
        if (bad != null) {
            metrics.udpRxDrop(bad);
            return;
        }
        int off = IpipCodec.innerOffset(buf, at);
        int len = Ipv4Packets.totalLength(buf, off); // validated: within the outer packet
        if (len > mtu) {
            bad = coalescer.writeOversize(buf, off, len, mtu);
            if (bad != null) {
                metrics.udpRxDrop(bad);
            }
            return;
        }
        if (coalescer.offer(buf, off, len)) {
            return;
        }
        coalescer.flush(); // keep the order: what was gathered goes first
        tun.writeCounted(buf, off, len, metrics);
    }

    /** Lets the buffers go; once the loop has stopped. */
    void release() {
        coalescer.close();
        tun.close();
        for (int h = 0; h < 2; h++) {
            halves[h].release();
            vectors[h].close();
        }
    }
}
