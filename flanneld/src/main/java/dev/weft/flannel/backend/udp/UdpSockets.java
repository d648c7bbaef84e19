package dev.weft.flannel.backend.udp;

import dev.weft.flannel.backend.BackendException;
import dev.weft.libc.LibC;
import dev.weft.libc.Linux;
import dev.weft.libc.NativeMemory;
import dev.weft.netns.Namespace;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opening and configuring the data path's UDP sockets: buffers and receive sizes, UDP_GRO,
 * SO_RXQ_OVFL, SO_REUSEPORT with its steering program, and the probe that keeps a second daemon
 * off the port. The sockets are Netty {@link EpollDatagramChannel}s.
 */
final class UdpSockets {
    private static final Logger LOG = LoggerFactory.getLogger(UdpSockets.class);
    private static final int SOCKET_BUFFER = 4 << 20;
    /** Without GRO: recvmmsg of up to this many datagrams per syscall. */
    static final int MMSG_SLOTS = 32;

    /** SOL_SOCKET options that Netty does not expose. */
    private static final int SO_RXQ_OVFL = 40;
    private static final int SO_ATTACH_REUSEPORT_CBPF = 51;
    private static final int SO_MEMINFO = 55;
    /** SK_MEMINFO_DROPS: the index of the drop count among SO_MEMINFO's u32s. */
    private static final int MEMINFO_DROPS = 8;
    /** Bytes of SO_MEMINFO's answer (SK_MEMINFO_VARS u32s) and of its length after it. */
    static final int MEMINFO_BYTES = 9 * 4;

    private UdpSockets() {
    }

    /** A new socket in {@code ns}, with SO_REUSEPORT when asked. */
    static EpollDatagramChannel open(Namespace ns, boolean reusePort) {
        EpollDatagramChannel ch = ns.run(UdpSockets::newChannel);
        if (reusePort) {
            ch.config().setOption(EpollChannelOption.SO_REUSEPORT, true);
        }
        return ch;
    }

    private static EpollDatagramChannel newChannel() {
        return new EpollDatagramChannel(SocketProtocolFamily.INET);
    }

    /**
     * Receive sizes and buffers of one socket. With UDP_GRO the channel does not read: a
     * {@link GroReader} does, without an object per datagram.
     */
    static void configure(EpollDatagramChannel ch, int mtu, boolean gro, ByteBufAllocator alloc) {
        int slot = mtu + 1; // one byte more than allowed: oversize shows
        ch.config().setOption(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, slot);
        ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(slot * MMSG_SLOTS));
        ch.config().setMaxMessagesPerRead(1024);
        ch.config().setAllocator(alloc);
        ch.config().setOption(ChannelOption.SO_RCVBUF, SOCKET_BUFFER);
        ch.config().setOption(ChannelOption.SO_SNDBUF, SOCKET_BUFFER);
        // Room for a full drain between flushes; beyond it the socket itself is full.
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(2 << 20, 4 << 20));
        ch.config().setAutoRead(!gro);
    }

    static boolean enableGro(EpollDatagramChannel ch) {
        try {
            return ch.config().setOption(EpollChannelOption.UDP_GRO, true) && ch.config().isUdpGro();
        } catch (ChannelException e) {
            LOG.info("udp: UDP_GRO not available: {}", e.toString());
            return false;
        }
    }

    /**
     * Asks for the socket's drop count (receive buffer full) with every datagram read by recvmsg,
     * as an SO_RXQ_OVFL control message. False (logged) when the kernel refuses.
     */
    static boolean reportOverflow(EpollDatagramChannel ch) {
        try (NativeMemory one = NativeMemory.allocate(4)) {
            one.putInt(0, 1);
            if (LibC.get().setsockopt(ch.fd().intValue(), Linux.SOL_SOCKET, SO_RXQ_OVFL, one.address(), 4) < 0) {
                LOG.info("udp: SO_RXQ_OVFL refused (errno {}); receive buffer drops are not counted", LibC.errno());
                return false;
            }
            return true;
        }
    }

    /**
     * The socket's drop count (SO_MEMINFO's SK_MEMINFO_DROPS), for a socket Netty reads; -1 when
     * the kernel does not say. {@code mem} holds {@link #MEMINFO_BYTES} + 4 bytes.
     */
    static long drops(int fd, NativeMemory mem) {
        mem.putInt(MEMINFO_BYTES, MEMINFO_BYTES);
        if (LibC.get().getsockopt(fd, Linux.SOL_SOCKET, SO_MEMINFO, mem.address(), mem.address() + MEMINFO_BYTES) < 0
                || mem.getInt(MEMINFO_BYTES) < (MEMINFO_DROPS + 1) * 4) {
            return -1;
        }
        return Integer.toUnsignedLong(mem.getInt(MEMINFO_DROPS * 4));
    }

    /** Fails like a plain bind would when another socket already holds the address and port. */
    static void probeUnbound(Namespace ns, InetSocketAddress local) {
        try {
            ns.run(() -> bindAndClose(local));
        } catch (IOException e) {
            throw new BackendException("udp: " + local + " is already in use: " + e.getMessage(), e);
        }
    }

    private static Void bindAndClose(InetSocketAddress local) throws IOException {
        try (DatagramSocket s = new DatagramSocket(local)) {
            return null;
        }
    }

    /**
     * Attaches a one-instruction classic BPF program to the reuseport group: "return 1", the
     * receiving socket. False (logged) when the kernel refuses; datagrams are then hashed by flow.
     */
    static boolean steerToSecond(EpollDatagramChannel ch) {
        LibC libc = LibC.get();
        try (NativeMemory filter = NativeMemory.allocate(8); NativeMemory prog = NativeMemory.allocate(16)) {
            ByteBuffer insn = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
            insn.putShort((short) 0x06).put((byte) 0).put((byte) 0).putInt(1); // BPF_RET | BPF_K, k = 1
            filter.put(0, insn.array());
            ByteBuffer fprog = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
            fprog.putShort((short) 1).putShort((short) 0).putInt(0).putLong(filter.address()); // len, pad, filter
            prog.put(0, fprog.array());
            if (libc.setsockopt(ch.fd().intValue(), Linux.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, prog.address(), 16) < 0) {
                LOG.info("udp: reuseport steering refused (errno {}); incoming datagrams are spread by flow", LibC.errno());
                return false;
            }
            return true;
        }
    }
}
