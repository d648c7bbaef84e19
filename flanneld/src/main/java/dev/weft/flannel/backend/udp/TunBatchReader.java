package dev.weft.flannel.backend.udp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TUN queue read by a data path's sending loop: drained until EAGAIN, each read (a packet, or
 * with IFF_VNET_HDR a TSO/USO super-segment) into the one read buffer and handed to
 * {@link #fromTun}; what that queued is sent every {@link #FLUSH_EVERY} reads and at the end. The
 * udp backend's {@link TunReader} and the userspace IPIP sender are such readers.
 */
public abstract class TunBatchReader extends DrainingReader {
    private static final Logger LOG = LoggerFactory.getLogger(TunBatchReader.class);
    /** TUN reads between sends while draining: bounds the queued bytes and the latency. */
    private static final int FLUSH_EVERY = 16;

    /** The read buffer: each read lands at its start. */
    protected final ByteBuf buf;
    private final UdpMetrics readMetrics;

    protected TunBatchReader(FileDescriptor tun, ByteBuf buf, UdpMetrics metrics) {
        super(tun);
        this.buf = buf;
        this.readMetrics = metrics;
    }

    @Override
    protected final void drain() {
        int reads = 0;
        for (;;) {
            int n;
            try {
                n = fd.readAddress(buf.memoryAddress(), 0, buf.capacity());
            } catch (IOException | RuntimeException e) {
                readMetrics.drop(UdpMetrics.Drop.TUN_READ_ERROR);
                LOG.debug("TUN read failed: {}", e.toString());
                break;
            }
            if (n <= 0) {
                break; // EAGAIN
            }
            fromTun(n);
            if (++reads % FLUSH_EVERY == 0) {
                flushSends();
            }
        }
        if (reads > 0) {
            flushSends();
        }
    }

    /** Handles one read of {@code n} bytes at the start of {@link #buf} (with its virtio_net_hdr when on). */
    protected abstract void fromTun(int n);

    /** Sends what the reads so far have queued. */
    protected abstract void flushSends();
}
