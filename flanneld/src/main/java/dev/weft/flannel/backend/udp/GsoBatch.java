package dev.weft.flannel.backend.udp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import java.net.InetSocketAddress;

/**
 * Datagrams for one peer laid end to end in one buffer, all of one size but the last: what one
 * UDP GSO send (UDP_SEGMENT) carries, so the kernel makes many wire datagrams from one syscall and
 * one pass through the stack. The segments of a split TSO super-segment fill a batch; so do runs of
 * equal-sized small packets (the ACKs of a bulk transfer). With GSO off a batch holds one datagram.
 *
 * <pre>
 * if (!batch.fits(peer, len)) { emit(batch.take()); }
 * ByteBuf out = batch.open(peer, len, hint);   // writer index at the new datagram
 * ...write len bytes...
 * batch.appended(len);
 * </pre>
 */
public final class GsoBatch {
    /** Largest UDP payload of one send: 65535 − IPv4 header − UDP header. */
    static final int MAX_BYTES = 65_507;
    /** Segments per GSO send; the kernel's UDP_MAX_SEGMENTS is at least this. */
    public static final int MAX_SEGMENTS = 64;

    private final ByteBufAllocator alloc;
    private int maxSegments;
    private ByteBuf buf;
    private InetSocketAddress peer;
    private int segSize;
    private int count;
    private boolean closed;

    /** @param gso whether the socket can send UDP GSO batches; false = one datagram per batch */
    public GsoBatch(ByteBufAllocator alloc, boolean gso) {
        this.alloc = alloc;
        this.maxSegments = gso ? MAX_SEGMENTS : 1;
    }

    /** Turns GSO off from now on (the kernel refused a segmented send). */
    void disableGso() {
        maxSegments = 1;
    }

    boolean gso() {
        return maxSegments > 1;
    }

    boolean isEmpty() {
        return count == 0;
    }

    /** Whether a datagram of {@code len} bytes for {@code p} can join the current batch. */
    boolean fits(InetSocketAddress p, int len) {
        return count > 0 && !closed && count < maxSegments && len <= segSize && p.equals(peer)
                && buf.writerIndex() + len <= MAX_BYTES;
    }

    /**
     * The buffer to write the next datagram, of {@code len} bytes, into (at its writer index): the
     * current batch, or a new one of about {@code hint} bytes when the batch is empty (of {@code len}
     * without GSO). Call {@link #fits} first.
     */
    ByteBuf open(InetSocketAddress p, int len, int hint) {
        if (count == 0) {
            if (buf == null) {
                int cap = maxSegments == 1 ? len : Math.min(MAX_BYTES, Math.max(hint, 2048));
                buf = alloc.directBuffer(cap, MAX_BYTES);
            } else {
                buf.clear(); // opened before, nothing appended
            }
            peer = p;
            closed = false;
        }
        return buf;
    }

    /** Records that a datagram of {@code len} bytes was written; a shorter one ends the batch. */
    void appended(int len) {
        if (count == 0) {
            segSize = len;
        } else if (len < segSize) {
            closed = true;
        }
        count++;
    }

    /** Datagrams in the current batch. */
    int count() {
        return count;
    }

    /** Hands the batch over as one packet (the caller writes it to the channel) and starts afresh. */
    DatagramPacket take() {
        DatagramPacket p = count == 1 ? new DatagramPacket(buf, peer) : new SegmentedDatagramPacket(buf, segSize, peer);
        buf = null;
        peer = null;
        count = 0;
        closed = false;
        return p;
    }

    /** Drops an unsent batch. */
    public void discard() {
        if (buf != null) {
            buf.release();
        }
        buf = null;
        peer = null;
        count = 0;
        closed = false;
    }
}
