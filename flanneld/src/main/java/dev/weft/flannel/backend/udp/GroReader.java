package dev.weft.flannel.backend.udp;

import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;
import dev.weft.libc.LibC;
import dev.weft.libc.Linux;
import dev.weft.libc.NativeMemory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.unix.FileDescriptor;

/**
 * Reads a UDP_GRO socket without an object per datagram. One recvmsg(2) fills a 64 KB buffer with
 * up to 64 datagrams of one size from one peer, and a UDP_GRO control message says that size; each
 * datagram goes to the {@link Sink} as an offset into the buffer, with its sender's address (all
 * of one read come from one sender). With SO_RXQ_OVFL on, a control message also says how many
 * datagrams the socket has dropped so far for a full receive buffer. Netty's own GRO read makes a
 * slice and a DatagramPacket for every datagram; at 8 Gbit/s that is 700,000 objects a second.
 *
 * <p>Reads alternate between two buffers, so the sink may keep pointing into one read while the
 * next arrives: a sender's 64 KB TCP super-segment is 45 or 46 wire datagrams, more than one UDP
 * GSO send holds (44 of 1,472 bytes), so it arrives as two reads, and the coalescer can join them
 * again into one TUN write. The sink is told to let go before a buffer it still holds is reused,
 * and whenever the reader stops reading (queue empty, error, or its turn is over), so nothing
 * waits for a datagram that may never come.
 *
 * <p>The socket stays Netty's (bound, configured, closed and written by its channel, whose own
 * reading is off); this reads a duplicate of its fd, registered with the same event loop. The
 * queue is drained until EAGAIN, at most {@link #READS_PER_WAKE} reads at a time so that the
 * loop's other work gets its turn; the rest follows as a task.
 */
final class GroReader extends DrainingReader {
    /** Where the datagrams go; called on the loop thread. */
    interface Sink {
        /**
         * One datagram of {@code len} bytes at {@code off} from {@code sender} (an IPv4 address as
         * an int, 0 when unknown). {@code buf} may be kept (retained) until {@link #letGo}; its
         * reference count tells the reader whether the sink still holds it.
         */
        void datagram(int sender, ByteBuf buf, int off, int len);

        /** A datagram larger than the buffer arrived (truncated by the kernel). */
        void truncated(int sender, int len);

        /** The socket's running count of datagrams dropped for a full receive buffer rose to {@code socketDrops}. */
        void overflow(long socketDrops);

        /** The datagrams of one read have all been handed over. */
        void endOfRead(int datagrams);

        /** Release every read buffer held (write out what was gathered): it is about to be reused. */
        void letGo();

        /** recvmsg failed with {@code errno} (e.g. ECONNREFUSED after an ICMP port unreachable). */
        void error(int errno);
    }

    private static final int BUFFER = 65_535;
    private static final int READS_PER_WAKE = 32;
    private static final int SOL_UDP = 17;
    private static final int UDP_GRO = 104;
    private static final int SO_RXQ_OVFL = 40;
    private static final boolean LITTLE_ENDIAN = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN;
    private static final int EAGAIN = Errno.EAGAIN.number();
    private static final int EINTR = Errno.EINTR.number();
    private static final int ECONNREFUSED = Errno.ECONNREFUSED.number();
    // struct msghdr (56 bytes) | struct iovec (16) | struct sockaddr_in (16) | control buffer
    private static final int MSGHDR = 0;
    private static final int IOVEC = 56;
    private static final int NAME = 72;
    private static final int NAME_LEN = 16;
    private static final int CONTROL = 88;
    private static final int CONTROL_LEN = 64;

    private final LibC libc = LibC.get();
    private final IoEventLoop loop;
    private final Sink sink;
    /** The two read buffers, used in turn. */
    private final ByteBuf[] bufs = new ByteBuf[2];
    private int next;
    private final NativeMemory msg;
    private final Runnable resume = this::drain;
    /** From the last read's control messages: the GRO segment size (0: none) and the socket's drop count (-1: none). */
    private int segment;
    private long socketDrops = -1;
    private long reportedDrops;

    /**
     * @param socketFd the socket, duplicated here (the duplicate is closed by {@link #release})
     * @param loop     the loop this is registered with
     */
    GroReader(int socketFd, IoEventLoop loop, Sink sink, ByteBufAllocator alloc) {
        super(new FileDescriptor(ErrnoException.check(LibC.get().fcntl(socketFd, Linux.F_DUPFD_CLOEXEC, 0),
                "udp: duplicating the socket fd")));
        this.loop = loop;
        this.sink = sink;
        bufs[0] = alloc.directBuffer(BUFFER, BUFFER);
        bufs[1] = alloc.directBuffer(BUFFER, BUFFER);
        this.msg = NativeMemory.allocate(CONTROL + CONTROL_LEN);
        long m = msg.address();
        msg.putLong(MSGHDR, m + NAME);           // msg_name: the sender, for the filter
        msg.putLong(MSGHDR + 16, m + IOVEC);     // msg_iov
        msg.putLong(MSGHDR + 24, 1L);            // msg_iovlen
        msg.putLong(MSGHDR + 32, m + CONTROL);   // msg_control
        msg.putLong(IOVEC + 8, BUFFER);          // iov_len; iov_base is set per read
    }

    @Override
    protected void drain() {
        try {
            if (readSome()) {
                // more may be queued: carry on after the loop's other work (edge-triggered: no new event)
                loop.execute(resume);
            }
        } finally {
            sink.letGo();
        }
    }

    /** Reads until EAGAIN or an error (false), or until this wake's share of reads is used up (true). */
    private boolean readSome() {
        long m = msg.address();
        for (int reads = 0; reads < READS_PER_WAKE; reads++) {
            ByteBuf buf = bufs[next];
            if (buf.refCnt() > 1) {
                sink.letGo(); // the sink still points into the buffer this read would overwrite
            }
            msg.putLong(IOVEC, buf.memoryAddress());
            msg.putInt(MSGHDR + 8, NAME_LEN);      // msg_namelen: the kernel shortens it
            msg.putLong(MSGHDR + 40, CONTROL_LEN); // msg_controllen: the kernel shortens it
            msg.putInt(MSGHDR + 48, 0);            // msg_flags
            long n = libc.recvmsg(fd.intValue(), m, 0);
            if (n < 0) {
                int errno = LibC.errno();
                if (errno == EAGAIN) {
                    return false;
                }
                if (errno == EINTR) {
                    continue;
                }
                sink.error(errno);
                if (errno == ECONNREFUSED) {
                    continue; // a pending error of an earlier send, reported once: datagrams may follow
                }
                return false; // anything else: wait for the next event rather than spin on it
            }
            readControl();
            if (socketDrops >= 0 && socketDrops != reportedDrops) {
                reportedDrops = socketDrops;
                sink.overflow(socketDrops);
            }
            int from = sender();
            if ((msg.getInt(MSGHDR + 48) & Linux.MSG_TRUNC) != 0) {
                sink.truncated(from, (int) n);
                continue;
            }
            int len = (int) n;
            int seg = segment;
            int count = 0;
            if (seg <= 0 || seg >= len) {
                sink.datagram(from, buf, 0, len);
                count = 1;
            } else {
                for (int off = 0; off < len; off += seg) {
                    sink.datagram(from, buf, off, Math.min(seg, len - off));
                    count++;
                }
            }
            sink.endOfRead(count);
            next ^= 1;
        }
        return true;
    }

    /** The sender of the last read (sockaddr_in, address in network order) as an int, or 0. */
    private int sender() {
        if (msg.getInt(MSGHDR + 8) < 8 || msg.getShort(NAME) != Linux.AF_INET) {
            return 0;
        }
        int a = msg.getInt(NAME + 4);
        return LITTLE_ENDIAN ? Integer.reverseBytes(a) : a;
    }

    /** Reads the UDP_GRO segment size and the SO_RXQ_OVFL drop count from the last read's control messages. */
    private void readControl() {
        segment = 0;
        long controlLen = msg.getLong(MSGHDR + 40);
        int at = CONTROL;
        // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; data, 8-byte aligned }
        while (at + 16 <= CONTROL + controlLen) {
            long cmsgLen = msg.getLong(at);
            if (cmsgLen < 16 || at + cmsgLen > CONTROL + controlLen) {
                return;
            }
            int level = msg.getInt(at + 8);
            int type = msg.getInt(at + 12);
            if (level == SOL_UDP && type == UDP_GRO && cmsgLen >= 20) {
                segment = msg.getInt(at + 16);
            } else if (level == Linux.SOL_SOCKET && type == SO_RXQ_OVFL && cmsgLen >= 20) {
                socketDrops = Integer.toUnsignedLong(msg.getInt(at + 16));
            }
            at += (int) ((cmsgLen + 7) & ~7L);
        }
    }

    /** Closes the duplicate fd and frees the buffers; once the loop has stopped reading it. */
    void release() {
        libc.close(fd.intValue());
        bufs[0].release();
        bufs[1].release();
        msg.close();
    }
}
