package dev.weft.flannel.backend.ipip;

import dev.weft.flannel.backend.udp.DrainingReader;
import dev.weft.flannel.backend.udp.Ipv4Packets;
import dev.weft.flannel.backend.udp.RouteTable;
import dev.weft.flannel.backend.udp.TunWriter;
import dev.weft.flannel.backend.udp.UdpMetrics;
import dev.weft.flannel.backend.udp.UdpMetrics.Drop;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wire → TUN direction, on its own event loop: drains the raw socket (edge-triggered, until
 * EAGAIN), checks each packet with {@link IpipCodec#decapsulate} (outer header, protocol, a node's
 * source, inner header) and writes the inner packet to the TUN straight from the read buffer. Every
 * packet read is either written or counted as a drop by reason; nothing throws out of here.
 */
final class IpipToTun extends DrainingReader {
    private static final Logger LOG = LoggerFactory.getLogger(IpipToTun.class);
    private static final int EAGAIN = 11;
    /** Errors in a row (a raw socket reports a queued ICMP error once per read) before yielding the loop. */
    private static final int MAX_ERRORS = 64;
    /** The largest IPv4 packet: a read never truncates. */
    private static final int MAX_PACKET = 65_535;

    private final RawIpipSocket socket;
    private final IoEventLoop loop;
    private final Supplier<RouteTable> routes;
    private final UdpMetrics metrics;
    private final TunWriter tun;
    private final ByteBuf buf;

    /** @param tunFd the TUN (non-blocking); not closed here */
    IpipToTun(RawIpipSocket socket, IoEventLoop loop, FileDescriptor tunFd, Supplier<RouteTable> routes,
              UdpMetrics metrics, ByteBufAllocator alloc) {
        super(new FileDescriptor(socket.fd()));
        this.socket = socket;
        this.loop = loop;
        this.routes = routes;
        this.metrics = metrics;
        this.tun = new TunWriter(tunFd, false, alloc);
        this.buf = alloc.directBuffer(MAX_PACKET);
    }

    @Override
    protected void drain() {
        long address = buf.memoryAddress();
        int errors = 0;
        for (;;) {
            long n = socket.read(address, MAX_PACKET);
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
            received((int) n);
        }
    }

    private void received(int n) {
        metrics.udpRx(n);
        metrics.batch(UdpMetrics.Path.UDP_RX, 1);
        Drop bad = IpipCodec.decapsulate(buf, 0, n, routes.get());
        if (bad != null) {
            metrics.udpRxDrop(bad);
            return;
        }
        int off = IpipCodec.innerOffset(buf, 0);
        int len = Ipv4Packets.totalLength(buf, off); // validated: within the outer packet
        try {
            tun.write(buf, off, len);
            metrics.tunTx(len);
            metrics.batch(UdpMetrics.Path.TUN_TX, 1);
        } catch (IOException | RuntimeException e) {
            metrics.udpRxDrop(Drop.TUN_WRITE_ERROR);
            LOG.debug("ipip: TUN write failed: {}", e.toString());
        }
    }

    /** Lets the buffers go; once the loop has stopped. */
    void release() {
        tun.close();
        buf.release();
    }
}
