package dev.weft.netlink;

import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;
import dev.weft.libc.LibC;
import dev.weft.libc.Linux;
import dev.weft.libc.NativeMemory;
import dev.weft.netns.NetNs;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;

/**
 * A subscription to rtnetlink multicast groups ({@link Rt#RTNLGRP_LINK},
 * {@link Rt#RTNLGRP_IPV4_ROUTE} …) in one namespace. Watchers call {@link #next(Duration)} in
 * a loop on their own thread; {@link #wakeUp()} or {@link #close()} from another thread ends the
 * wait at once (an eventfd polled beside the socket), so a watcher can wait for as long as its next
 * deadline instead of waking every fraction of a second just to notice that it should stop.
 */
public final class RtEvents implements AutoCloseable {
    private static final short POLLIN = 0x1;

    private final NetlinkSocket socket;
    private final ByteBuffer rx = NetlinkSocket.allocate(256 * 1024);
    private final long rxAddress = NetlinkSocket.pointerTo(rx);
    /** Two struct pollfd: the socket, then the wake-up eventfd. */
    private final NativeMemory pollfd = NativeMemory.allocate(16);
    private final NativeMemory counter = NativeMemory.allocate(8);
    private final NativeMemory one = NativeMemory.allocate(8);
    private final int wakeFd;
    /** Set once: after close the fd numbers may belong to someone else, so nothing may touch them. */
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private final ArrayDeque<RtEvent> queued = new ArrayDeque<>();
    /** rtm_protocol whose RTM_NEWROUTE events are dropped unread; 0 for none. */
    private int ignoredAddsProtocol;
    private boolean kernelFiltered;

    private RtEvents(NetlinkSocket socket) {
        this.socket = socket;
        this.wakeFd = ErrnoException.check(LibC.get().eventfd(0, Linux.EFD_CLOEXEC | Linux.EFD_NONBLOCK), "eventfd");
        one.putLong(0, 1L);
    }

    /** Subscribes in the calling thread's namespace. */
    public static RtEvents subscribe(int... groups) {
        NetlinkSocket s = NetlinkSocket.open(0, 0);
        try {
            s.setBufferSizes(4 << 20);
            for (int g : groups) {
                s.joinGroup(g);
            }
            return new RtEvents(s);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Subscribes in another namespace. */
    public static RtEvents subscribe(NetNs ns, int... groups) {
        return ns.run(() -> subscribe(groups));
    }

    /**
     * Drops RTM_NEWROUTE events of {@code protocol} unread: a daemon's own installs echo back one
     * event each (100,000 for a full table) and tell it nothing it does not know. The kernel drops
     * them (a socket filter, so they are never copied here); should it refuse the filter, they are
     * dropped here before decoding. Deletions of those routes still arrive.
     */
    public synchronized RtEvents ignoringRouteAddsOf(int protocol) {
        this.ignoredAddsProtocol = protocol;
        this.kernelFiltered = socket.attachFilter(RouteEchoFilter.program(protocol, java.nio.ByteOrder.nativeOrder()));
        return this;
    }

    /**
     * Sets the socket's receive (and send) buffer to {@code bytes} (SO_RCVBUFFORCE when the
     * process may, else capped by net.core.rmem_max): each event is its own skb of about 1 KB of
     * truesize, so the default 4 MB holds only a few thousand, and a watcher that must follow a
     * 100,000-route burst without an {@link RtEvent.Overflow} needs more.
     */
    public synchronized RtEvents withBufferSize(int bytes) {
        socket.setBufferSizes(bytes);
        return this;
    }

    /** Whether the kernel, rather than {@link #next}, drops the ignored route adds. */
    public synchronized boolean kernelFiltered() {
        return kernelFiltered;
    }

    /** The next event, waiting at most {@code timeout}; empty when none came in time. */
    public synchronized Optional<RtEvent> next(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (queued.isEmpty()) {
            if (closed.get()) {
                return Optional.empty();
            }
            long left = deadline - System.nanoTime();
            int ready = left <= 0 ? 0 : waitReadable((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
            if (ready == WOKEN) {
                return Optional.empty();
            }
            if (ready == 0) {
                if (queued.isEmpty() && System.nanoTime() - deadline >= 0) {
                    return Optional.empty();
                }
                continue;
            }
            try {
                if (socket.receive(rx, rxAddress, true)) {
                    decode();
                }
            } catch (ErrnoException e) {
                if (e.errno() == Errno.ENOBUFS) {
                    queued.add(new RtEvent.Overflow());
                } else {
                    throw e;
                }
            }
        }
        return Optional.of(queued.poll());
    }

    /**
     * Ends a {@link #next} that is waiting (or the next one to wait) at once, with an empty result.
     * Any thread may call it.
     */
    public void wakeUp() {
        synchronized (closed) {
            if (!closed.get()) {
                LibC.get().write(wakeFd, one.address(), 8);
            }
        }
    }

    private static final int WOKEN = -1;

    /** 1 when the socket is readable, 0 on timeout (or EINTR), {@link #WOKEN} after {@link #wakeUp}. */
    private int waitReadable(int millis) {
        pollfd.putInt(0, socket.fd());
        pollfd.putShort(4, POLLIN);
        pollfd.putShort(6, (short) 0);
        pollfd.putInt(8, wakeFd);
        pollfd.putShort(12, POLLIN);
        pollfd.putShort(14, (short) 0);
        int r = LibC.get().poll(pollfd.address(), 2, millis);
        if (r < 0) {
            int err = LibC.errno();
            if (Errno.of(err) == Errno.EINTR) {
                return 0;
            }
            throw new ErrnoException("poll(netlink)", err);
        }
        if (r > 0 && pollfd.getShort(14) != 0) {
            LibC.get().read(wakeFd, counter.address(), 8); // resets the counter (nonblocking)
            return WOKEN;
        }
        return r > 0 ? 1 : 0;
    }

    private void decode() {
        int p = 0;
        while (p + 16 <= rx.limit()) {
            int len = rx.getInt(p);
            int type = Short.toUnsignedInt(rx.getShort(p + 4));
            if (len < 16 || p + len > rx.limit()) {
                break;
            }
            boolean ignored = type == Rt.RTM_NEWROUTE && ignoredAddsProtocol != 0
                    && RouteCodec.hasProtocol(rx, p + 16, p + len, ignoredAddsProtocol);
            RtEvent e = ignored ? null : decodeOne(type, p + 16, p + len);
            if (e != null) {
                queued.add(e);
            }
            p += (len + 3) & ~3;
        }
    }

    private RtEvent decodeOne(int type, int from, int to) {
        switch (type) {
            case Rt.RTM_NEWLINK, Rt.RTM_DELLINK -> {
                Link l = LinkCodec.decode(rx, type, from, to);
                return l == null ? null : new RtEvent.LinkChange(type == Rt.RTM_DELLINK, l);
            }
            case Rt.RTM_NEWADDR, Rt.RTM_DELADDR -> {
                Address a = AddressCodec.decode(rx, type, from, to);
                return a == null ? null : new RtEvent.AddressChange(type == Rt.RTM_DELADDR, a);
            }
            case Rt.RTM_NEWROUTE, Rt.RTM_DELROUTE -> {
                Route r = RouteCodec.decode(rx, type, from, to);
                return r == null ? null : new RtEvent.RouteChange(type == Rt.RTM_DELROUTE, r);
            }
            case Rt.RTM_NEWNEIGH, Rt.RTM_DELNEIGH -> {
                Neighbour n = NeighbourCodec.decode(rx, type, from, to);
                return n == null ? null : new RtEvent.NeighbourChange(type == Rt.RTM_DELNEIGH, n);
            }
            default -> {
                return null;
            }
        }
    }

    @Override
    public void close() {
        synchronized (closed) {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            // marked closed first: a next() woken here, or entered again by its caller, returns at once
            LibC.get().write(wakeFd, one.address(), 8);
        }
        synchronized (this) { // after any next() has returned: no read can race the fd's close
            socket.close();
            pollfd.close();
            counter.close();
            one.close();
            LibC.get().close(wakeFd);
        }
    }
}
