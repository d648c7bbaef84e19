package dev.weft.flannel.backend.udp;

import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;
import dev.weft.libc.LibC;
import dev.weft.libc.Linux;
import dev.weft.libc.NativeMemory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.unix.FileDescriptor;

/**
 * Reads a UDP_GRO socket without an object per datagram. One recvmsg(2) fills a 64 KB buffer with
 * up to 64 datagrams of one size from one peer, and a UDP_GRO control message says that size; each
 * datagram goes to the {@link Sink} as an offset into the buffer. Netty's own GRO read makes a
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
final class GroReader implements EpollIoHandle {
    /** Where the datagrams go; called on the loop thread. */
    interface Sink {
        /**
         * One datagram of {@code len} bytes at {@code off}. {@code buf} may be kept (retained) until
         * {@link #letGo}; its reference count tells the reader whether the sink still holds it.
         */
        void datagram(ByteBuf buf, int off, int len);

        /** A datagram larger than the buffer arrived (truncated by the kernel). */
        void truncated(int len);

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
    private static final int EAGAIN = Errno.EAGAIN.number();
    private static final int EINTR = Errno.EINTR.number();
    private static final int ECONNREFUSED = Errno.ECONNREFUSED.number();
    // struct msghdr (56 bytes) | struct iovec (16) | control buffer
    private static final int MSGHDR = 0;
    private static final int IOVEC = 56;
    private static final int CONTROL = 72;
    private static final int CONTROL_LEN = 64;

    private final LibC libc = LibC.get();
    private final FileDescriptor fd;
    private final IoEventLoop loop;
    private final Sink sink;
    /** The two read buffers, used in turn. */
    private final ByteBuf[] bufs = new ByteBuf[2];
    private int next;
    private final NativeMemory msg;
    private final Runnable resume = this::drain;

    /**
     * @param socketFd the socket, duplicated here (the duplicate is closed by {@link #release})
     * @param loop     the loop this is registered with
     */
    GroReader(int socketFd, IoEventLoop loop, Sink sink, ByteBufAllocator alloc) {
        this.fd = new FileDescriptor(ErrnoException.check(libc.fcntl(socketFd, Linux.F_DUPFD_CLOEXEC, 0),
                "udp: duplicating the socket fd"));
        this.loop = loop;
        this.sink = sink;
        bufs[0] = alloc.directBuffer(BUFFER, BUFFER);
        bufs[1] = alloc.directBuffer(BUFFER, BUFFER);
        this.msg = NativeMemory.allocate(CONTROL + CONTROL_LEN);
        long m = msg.address();
        msg.putLong(MSGHDR, 0L);                 // msg_name: the sender is not needed
        msg.putInt(MSGHDR + 8, 0);               // msg_namelen
        msg.putLong(MSGHDR + 16, m + IOVEC);     // msg_iov
        msg.putLong(MSGHDR + 24, 1L);            // msg_iovlen
        msg.putLong(MSGHDR + 32, m + CONTROL);   // msg_control
        msg.putLong(IOVEC + 8, BUFFER);          // iov_len; iov_base is set per read
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        drain();
    }

    private void drain() {
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
            if ((msg.getInt(MSGHDR + 48) & Linux.MSG_TRUNC) != 0) {
                sink.truncated((int) n);
                continue;
            }
            int len = (int) n;
            int seg = segmentSize();
            int count = 0;
            if (seg <= 0 || seg >= len) {
                sink.datagram(buf, 0, len);
                count = 1;
            } else {
                for (int off = 0; off < len; off += seg) {
                    sink.datagram(buf, off, Math.min(seg, len - off));
                    count++;
                }
            }
            sink.endOfRead(count);
            next ^= 1;
        }
        return true;
    }

    /** The UDP_GRO segment size from the control messages of the last read, or 0. */
    private int segmentSize() {
        long controlLen = msg.getLong(MSGHDR + 40);
        int at = CONTROL;
        // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; data, 8-byte aligned }
        while (at + 16 <= CONTROL + controlLen) {
            long cmsgLen = msg.getLong(at);
            if (cmsgLen < 16 || at + cmsgLen > CONTROL + controlLen) {
                return 0;
            }
            if (msg.getInt(at + 8) == SOL_UDP && msg.getInt(at + 12) == UDP_GRO && cmsgLen >= 20) {
                return msg.getInt(at + 16);
            }
            at += (int) ((cmsgLen + 7) & ~7L);
        }
        return 0;
    }

    /** Netty's call when the registration ends: nothing, {@link #release} closes the duplicate. */
    @Override
    public void close() {
    }

    /** Closes the duplicate fd and frees the buffers; once the loop has stopped reading it. */
    void release() {
        libc.close(fd.intValue());
        bufs[0].release();
        bufs[1].release();
        msg.close();
    }
}
