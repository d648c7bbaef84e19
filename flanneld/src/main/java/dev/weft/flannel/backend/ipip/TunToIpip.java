package dev.weft.flannel.backend.ipip;

import dev.weft.flannel.backend.udp.DrainingReader;
import dev.weft.flannel.backend.udp.Ipv4Packets;
import dev.weft.flannel.backend.udp.RouteTable;
import dev.weft.flannel.backend.udp.UdpMetrics;
import dev.weft.flannel.backend.udp.UdpMetrics.Drop;
import dev.weft.flannel.backend.udp.VnetHdr;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TUN → wire direction, on its own event loop: drains the TUN (edge-triggered, until EAGAIN),
 * reading each packet (after its virtio_net_hdr, all zeros: the TUN has no offloads enabled, so
 * it hands over plain packets with complete checksums) 20 bytes into one buffer so that the outer
 * header goes in front of it in place, looks up the node that holds the destination's subnet, and sends the packet on the raw
 * socket. One buffer, one sockaddr, no allocation per packet. The host has already forwarded the
 * packet (and decremented its TTL) on its way into the TUN, as it does for the kernel's tunl0.
 */
final class TunToIpip extends DrainingReader {
    private static final Logger LOG = LoggerFactory.getLogger(TunToIpip.class);
    private static final int EAGAIN = 11;
    private static final int ENOBUFS = 105;

    private final RawIpipSocket socket;
    private final int source;
    private final Supplier<RouteTable> routes;
    private final UdpMetrics metrics;
    private final ByteBuf buf;
    /** The outer IP ID: a per-sender counter, as the ID is only read for fragments. */
    private int id;

    /**
     * @param tun    the TUN (non-blocking); not closed here
     * @param source the node's underlay address, the outer source
     * @param mtu    the TUN MTU: the largest inner packet
     */
    TunToIpip(FileDescriptor tun, RawIpipSocket socket, int source, int mtu, Supplier<RouteTable> routes,
              UdpMetrics metrics, ByteBufAllocator alloc) {
        super(tun);
        this.socket = socket;
        this.source = source;
        this.routes = routes;
        this.metrics = metrics;
        this.buf = alloc.directBuffer(IpipCodec.OUTER + mtu + 1); // one byte more: oversize shows
    }

    @Override
    protected void drain() {
        long address = buf.memoryAddress();
        for (;;) {
            int r;
            try {
                r = fd.readAddress(address, IpipCodec.OUTER - VnetHdr.SIZE, buf.capacity());
            } catch (IOException | RuntimeException e) {
                metrics.drop(Drop.TUN_READ_ERROR);
                LOG.debug("ipip: TUN read failed: {}", e.toString());
                return;
            }
            if (r <= 0) {
                return; // EAGAIN
            }
            int n = r - VnetHdr.SIZE;
            metrics.tunRx(Math.max(n, 0));
            metrics.batch(UdpMetrics.Path.TUN_RX, 1);
            Drop bad = n < 0 ? Drop.TOO_SHORT : forward(address, n);
            if (bad != null) {
                metrics.tunRxDrop(bad);
            }
        }
    }

    /** Encapsulates and sends the {@code n} bytes read; null when sent, else why not. */
    private Drop forward(long address, int n) {
        int inner = IpipCodec.OUTER;
        if (n > buf.capacity() - IpipCodec.OUTER - 1) {
            return Drop.OVERSIZE;
        }
        Drop bad = Ipv4Packets.validate(buf, inner, n);
        if (bad != null) {
            return bad;
        }
        int peer = routes.get().lookupAddress(Ipv4Packets.destination(buf, inner));
        if (peer == 0) {
            return Drop.NO_ROUTE;
        }
        int total = Ipv4Packets.totalLength(buf, inner);
        id = (id + 1) & 0xffff;
        IpipCodec.encapsulate(buf, 0, total, source, peer, id);
        int err = socket.send(address, IpipCodec.OUTER + total, peer);
        if (err != 0) {
            if (err != EAGAIN && err != ENOBUFS) {
                LOG.debug("ipip: send failed: errno {}", err);
                return Drop.SEND_ERROR;
            }
            return Drop.SEND_BACKPRESSURE;
        }
        metrics.udpTx(IpipCodec.OUTER + total);
        metrics.batch(UdpMetrics.Path.UDP_TX, 1);
        return null;
    }

    /** Lets the buffer go; once the loop has stopped. */
    void release() {
        buf.release();
    }
}
