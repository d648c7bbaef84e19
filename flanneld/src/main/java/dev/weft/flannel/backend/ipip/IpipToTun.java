package dev.weft.flannel.backend.ipip;

import dev.weft.flannel.backend.udp.DrainingReader;
import dev.weft.flannel.backend.udp.Ipv4Packets;
import dev.weft.flannel.backend.udp.RouteTable;
import dev.weft.flannel.backend.udp.TcpCoalescer;
import dev.weft.flannel.backend.udp.TunWriter;
import dev.weft.flannel.backend.udp.UdpMetrics;
import dev.weft.flannel.backend.udp.UdpMetrics.Drop;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.unix.FileDescriptor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wire → TUN direction, on its own event loop: drains the raw socket (edge-triggered, until
 * EAGAIN), checks each packet with {@link IpipCodec#decapsulate} (outer header, protocol, a node's
 * source, inner header) and hands the inner packet to the udp backend's {@link TcpCoalescer}, which
 * writes consecutive segments of a TCP flow to the TUN as one super-segment (GRO in user space) and
 * anything else as it came. Every packet read is either written or counted as a drop by reason;
 * nothing throws out of here.
 *
 * <p>The coalescer writes from the receive buffer without copying, so packets are read one after
 * another into one large buffer, and the position goes back to its start only once what is held
 * has been written: at the end of a drain, or when the room left could not take a largest packet.
 */
final class IpipToTun extends DrainingReader {
    private static final Logger LOG = LoggerFactory.getLogger(IpipToTun.class);
    private static final int EAGAIN = 11;
    /** Errors in a row (a raw socket reports a queued ICMP error once per read) before yielding the loop. */
    private static final int MAX_ERRORS = 64;
    /** The largest IPv4 packet: a read never truncates. */
    private static final int MAX_PACKET = 65_535;
    /** Room for a run of 64 full-sized segments and a largest packet after them. */
    private static final int BUFFER = 256 << 10;

    private final RawIpipSocket socket;
    private final IoEventLoop loop;
    private final Supplier<RouteTable> routes;
    private final UdpMetrics metrics;
    private final TunWriter tun;
    private final TcpCoalescer coalescer;
    private final ByteBuf buf;
    /** Where the next read goes; what lies before it may be held by the coalescer. */
    private int pos;

    /** @param tunFd the TUN (non-blocking, IFF_VNET_HDR); not closed here */
    IpipToTun(RawIpipSocket socket, IoEventLoop loop, FileDescriptor tunFd, Supplier<RouteTable> routes,
              UdpMetrics metrics, ByteBufAllocator alloc) {
        super(new FileDescriptor(socket.fd()));
        this.socket = socket;
        this.loop = loop;
        this.routes = routes;
        this.metrics = metrics;
        this.tun = new TunWriter(tunFd, true, alloc);
        this.coalescer = new TcpCoalescer(tun, metrics, alloc);
        this.buf = alloc.directBuffer(BUFFER, BUFFER);
    }

    @Override
    protected void drain() {
        long address = buf.memoryAddress();
        int errors = 0;
        int reads = 0;
        try {
            for (;;) {
                if (BUFFER - pos < MAX_PACKET) {
                    coalescer.flush();
                    pos = 0;
                }
                long n = socket.read(address + pos, MAX_PACKET);
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
                reads++;
                received(pos, (int) n);
            }
        } finally {
            // the end of a read burst ends every run: no packet waits for the next wake-up
            coalescer.flush();
            pos = 0;
            if (reads > 0) {
                metrics.batch(UdpMetrics.Path.UDP_RX, reads);
            }
        }
    }

    /** Handles the {@code n} bytes read at {@code at}. */
    private void received(int at, int n) {
        metrics.udpRx(n);
        Drop bad = IpipCodec.decapsulate(buf, at, n, routes.get());
        if (bad != null) {
            metrics.udpRxDrop(bad);
            return;
        }
        int off = IpipCodec.innerOffset(buf, at);
        int len = Ipv4Packets.totalLength(buf, off); // validated: within the outer packet
        if (coalescer.offer(buf, off, len)) {
            pos = (at + n + 7) & ~7; // held: the next read goes after it
            return;
        }
        coalescer.flush(); // keep the order: what was gathered goes first
        tun.writeCounted(buf, off, len, metrics);
    }

    /** Lets the buffers go; once the loop has stopped. */
    void release() {
        coalescer.close();
        tun.close();
        buf.release();
    }
}
