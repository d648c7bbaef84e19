package dev.weft.flannel.backend.ipip;

import dev.weft.libc.ErrnoException;
import dev.weft.libc.LibC;
import dev.weft.libc.Linux;
import dev.weft.libc.NativeMemory;
import dev.weft.net.IpAddress;
import dev.weft.netns.Namespace;
import java.nio.ByteOrder;

/**
 * A raw IPv4 socket of protocol 4 (IPPROTO_IPIP), non-blocking, with IP_HDRINCL so that each
 * packet goes out with the outer header weftd wrote (the kernel fills in only the checksum), and
 * bound to the node's underlay address so that it reads only IPIP packets addressed to the node.
 * A raw socket reads every packet whole, outer header included. Sends and reads take native
 * addresses; the destination's sockaddr_in is one block, rewritten per send: nothing is allocated.
 *
 * <p>A raw socket of a protocol also keeps the kernel from answering that protocol with ICMP
 * protocol-unreachable, as it would for IPIP without the ipip driver.
 */
final class RawIpipSocket implements AutoCloseable {
    private static final int SOCK_NONBLOCK = 04000;
    private static final int SOL_IP = 0;
    private static final int IP_HDRINCL = 3;
    private static final int SOCKADDR_IN = 16;
    /** Socket buffers: room for the bursts of a bulk TCP flow between two reads. */
    private static final int BUFFER = 4 << 20;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /** struct mmsghdr: a struct msghdr (56 bytes) and msg_len, padded. */
    private static final int MMSGHDR = 64;
    /** Two struct iovec per packet: the outer header, the inner packet. */
    private static final int IOVS = 32;

    private final LibC libc = LibC.get();
    private final int fd;
    /** The sendmmsg vector, all to {@link #to}: {@link #BATCH} mmsghdrs, then their iovecs. */
    private final NativeMemory batch = NativeMemory.allocate(BATCH * (MMSGHDR + IOVS));
    /** The destination of {@link #send}; written by the sending thread only. */
    private final NativeMemory to = NativeMemory.allocate(SOCKADDR_IN);
    private boolean closed;

    /** Packets per {@link #sendStaged}. */
    static final int BATCH = 64;

    private RawIpipSocket(int fd) {
        this.fd = fd;
        to.putShort(0, (short) Linux.AF_INET);
        long iovs = batch.address() + BATCH * MMSGHDR;
        for (int i = 0; i < BATCH; i++) {
            int m = i * MMSGHDR;
            batch.putLong(m, to.address());          // msg_name
            batch.putInt(m + 8, SOCKADDR_IN);        // msg_namelen
            batch.putLong(m + 16, iovs + i * IOVS);  // msg_iov
            batch.putLong(m + 24, 2L);               // msg_iovlen
            batch.putLong(BATCH * MMSGHDR + i * IOVS + 8, IpipCodec.OUTER); // the header's iov_len
        }
    }

    /** Opens the socket in {@code ns} and binds it to {@code local} (IPv4). */
    static RawIpipSocket open(Namespace ns, IpAddress local) {
        LibC c = LibC.get();
        int fd = ns.run(() -> ErrnoException.check(
                c.socket(Linux.AF_INET, Linux.SOCK_RAW | SOCK_NONBLOCK | Linux.SOCK_CLOEXEC, IpipCodec.PROTOCOL),
                "socket(AF_INET, SOCK_RAW, IPPROTO_IPIP)"));
        RawIpipSocket s = new RawIpipSocket(fd);
        try {
            s.setInt(SOL_IP, IP_HDRINCL, 1, "IP_HDRINCL");
            // FORCE: above rmem_max/wmem_max, as root may; the plain option where it may not
            if (!s.trySetInt(Linux.SOL_SOCKET, Linux.SO_RCVBUFFORCE, BUFFER)) {
                s.setInt(Linux.SOL_SOCKET, Linux.SO_RCVBUF, BUFFER, "SO_RCVBUF");
            }
            if (!s.trySetInt(Linux.SOL_SOCKET, Linux.SO_SNDBUFFORCE, BUFFER)) {
                s.setInt(Linux.SOL_SOCKET, Linux.SO_SNDBUF, BUFFER, "SO_SNDBUF");
            }
            try (NativeMemory sa = NativeMemory.allocate(SOCKADDR_IN)) {
                sa.putShort(0, (short) Linux.AF_INET);
                sa.putInt(4, network(local.toV4Int()));
                ErrnoException.check(c.bind(fd, sa.address(), SOCKADDR_IN), "bind raw IPIP socket to " + local);
            }
            return s;
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private boolean trySetInt(int level, int opt, int v) {
        try (NativeMemory m = NativeMemory.allocate(4)) {
            m.putInt(0, v);
            return libc.setsockopt(fd, level, opt, m.address(), 4) == 0;
        }
    }

    private void setInt(int level, int opt, int v, String what) {
        if (!trySetInt(level, opt, v)) {
            throw new ErrnoException("setsockopt " + what, LibC.errno());
        }
    }

    /** An IPv4 address as an int (a.b.c.d = a << 24 ...) in the byte order sockaddr_in stores. */
    private static int network(int v4) {
        return LITTLE_ENDIAN ? Integer.reverseBytes(v4) : v4;
    }

    int fd() {
        return fd;
    }

    /**
     * Sends the {@code len} bytes at {@code address} (outer header first) to {@code dst} (an IPv4
     * address as an int). Returns 0, or the errno (EAGAIN/ENOBUFS when the socket is full).
     */
    int send(long address, int len, int dst) {
        to.putInt(4, network(dst));
        return libc.sendto(fd, address, len, 0, to.address(), SOCKADDR_IN) < 0 ? LibC.errno() : 0;
    }

    /**
     * Puts packet {@code i} of the next {@link #sendStaged}: its outer header (20 bytes) at
     * {@code header}, its inner packet of {@code len} bytes at {@code data}.
     */
    void stage(int i, long header, long data, int len) {
        int iov = BATCH * MMSGHDR + i * IOVS;
        batch.putLong(iov, header);
        batch.putLong(iov + 16, data);
        batch.putLong(iov + 24, len);
    }

    /**
     * Sends the first {@code count} staged packets to {@code dst} with sendmmsg, going on after a
     * partial send. Returns how many went; when fewer than {@code count}, {@link LibC#errno()} says why.
     */
    int sendStaged(int count, int dst) {
        to.putInt(4, network(dst));
        int sent = 0;
        while (sent < count) {
            int n = libc.sendmmsg(fd, batch.address() + (long) sent * MMSGHDR, count - sent, 0);
            if (n <= 0) {
                break;
            }
            sent += n;
        }
        return sent;
    }

    /**
     * A recvmmsg vector for {@link #readBatch}: {@code slots} packets, packet {@code i} into the
     * {@code slotSize} bytes at {@code base + i * slotSize}. No sender address, no control data:
     * the outer header, read with the packet, says where it came from.
     */
    static NativeMemory receiveVector(long base, int slots, int slotSize) {
        NativeMemory v = NativeMemory.allocate(slots * (MMSGHDR + IOVS / 2));
        long iovs = v.address() + (long) slots * MMSGHDR;
        for (int i = 0; i < slots; i++) {
            int m = i * MMSGHDR;
            v.putLong(m + 16, iovs + i * (IOVS / 2));   // msg_iov
            v.putLong(m + 24, 1L);                      // msg_iovlen
            int iov = slots * MMSGHDR + i * (IOVS / 2);
            v.putLong(iov, base + (long) i * slotSize); // iov_base
            v.putLong(iov + 8, slotSize);               // iov_len
        }
        return v;
    }

    /** Reads up to {@code slots} packets into {@code vector} with one recvmmsg: how many, or −errno. */
    int readBatch(NativeMemory vector, int slots) {
        int n = libc.recvmmsg(fd, vector.address(), slots, 0);
        return n < 0 ? -LibC.errno() : n;
    }

    /** The length of packet {@code i} of the last {@link #readBatch} on {@code vector} (msg_len). */
    static int length(NativeMemory vector, int i) {
        return vector.getInt(i * MMSGHDR + 56);
    }

    /** Whether packet {@code i} of the last {@link #readBatch} was cut to its slot (MSG_TRUNC). */
    static boolean truncated(NativeMemory vector, int i) {
        return (vector.getInt(i * MMSGHDR + 48) & Linux.MSG_TRUNC) != 0;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            libc.close(fd);
            to.close();
            batch.close();
        }
    }
}
