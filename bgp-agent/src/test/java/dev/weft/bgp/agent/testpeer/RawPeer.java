package dev.weft.bgp.agent.testpeer;

import dev.weft.bgp.wire.BgpCodec;
import dev.weft.bgp.wire.BgpMessage;
import dev.weft.bgp.wire.BgpWireException;
import dev.weft.bgp.wire.Capability;
import dev.weft.bgp.wire.CodecContext;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Keepalive;
import dev.weft.bgp.wire.Notification;
import dev.weft.bgp.wire.Open;
import dev.weft.bgp.wire.Update;
import dev.weft.bgp.wire.Nlri;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netns.Namespace;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A scriptable BGP peer for hostile and scale tests: a plain blocking socket opened inside a
 * {@code wt-} namespace from a chosen address to the agent. It sends whatever it is told — raw
 * octets or messages encoded by {@link BgpCodec} — and reads and decodes what comes back.
 *
 * <p>Two ways to read: {@link #next} in the test's thread (scripted exchanges), or
 * {@link #startReader} which hands the socket to one thread that answers nothing but records the
 * NOTIFICATION and counts messages (long runs: storm and scale). One thread per peer: 100 peers are
 * 100 mostly parked threads with small stacks (about 100 KiB resident each), cheaper here than an
 * event loop to get right, and a peer's thread never delays another's.
 *
 * <pre>{@code
 * try (RawPeer p = RawPeer.connect(ns, "10.99.0.3", "10.99.0.1", 179)) {
 *     p.sendRaw(header with a bad marker);
 *     assertEquals(Notification.of(1, 1), p.awaitNotification(Duration.ofSeconds(5)));
 * }
 * }</pre>
 */
public final class RawPeer implements AutoCloseable {
    /** After OPENs with 4-octet AS and nothing else negotiated. */
    public static final CodecContext SESSION = new CodecContext(true, Set.of(), Set.of(), false);
    private static final int HEADER = 19;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final String label;
    private final AtomicReference<Notification> notification = new AtomicReference<>();
    private final AtomicLong received = new AtomicLong();
    private volatile long lastHeardNanos = System.nanoTime();
    private volatile boolean closed;
    private boolean eof;
    private volatile ScheduledFuture<?> keepalives;
    private Thread reader;

    private RawPeer(Socket socket, String label) throws IOException {
        this.socket = socket;
        this.label = label;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects from {@code local} (an address of {@code ns}) to {@code remote:port}, inside {@code ns}. */
    public static RawPeer connect(Namespace ns, String local, String remote, int port) {
        try {
            // a socket belongs to the namespace of the thread that creates it
            Socket s = ns.run(() -> {
                Socket x = new Socket();
                x.setTcpNoDelay(true);
                x.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
                return x;
            });
            s.connect(new InetSocketAddress(InetAddress.getByName(remote), port), 10_000);
            return new RawPeer(s, local);
        } catch (IOException e) {
            throw new UncheckedIOException("connect " + local + " -> " + remote + ":" + port, e);
        }
    }

    /** An OPEN with IPv4 unicast and the 4-octet AS capability. */
    public static Open open(long as, int routerId, int holdTime) {
        return new Open(Open.VERSION, as > 0xFFFF ? Open.AS_TRANS : (int) as, holdTime, routerId,
                List.of(Capability.Multiprotocol.of(Family.IPV4_UNICAST), new Capability.FourOctetAs(as)), false);
    }

    public String label() {
        return label;
    }

    /** Writes the octets as they are. */
    public synchronized void sendRaw(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(label + ": send", e);
        }
    }

    /** Encodes and writes one message (session context: 4-octet AS). */
    public void send(BgpMessage m) {
        sendRaw(encode(m));
    }

    /** Encodes and writes many messages in one write (a storm goes out as fast as TCP takes it). */
    public void sendAll(List<? extends BgpMessage> ms) {
        ByteBuf b = Unpooled.buffer();
        try {
            for (BgpMessage m : ms) {
                BgpCodec.encode(m, SESSION, b);
            }
            sendRaw(bytes(b));
        } finally {
            b.release();
        }
    }

    public static byte[] encode(BgpMessage m) {
        ByteBuf b = Unpooled.buffer();
        try {
            BgpCodec.encode(m, SESSION, b);
            return bytes(b);
        } finally {
            b.release();
        }
    }

    private static byte[] bytes(ByteBuf b) {
        byte[] a = new byte[b.readableBytes()];
        b.readBytes(a);
        return a;
    }

    /**
     * The next message, or empty when the agent closed the connection or nothing came in
     * {@code timeout}. A frame the codec rejects is an {@link AssertionError}: the agent sent it.
     */
    public Optional<BgpMessage> next(Duration timeout) {
        try {
            socket.setSoTimeout((int) Math.max(1, timeout.toMillis()));
            byte[] frame = readFrame();
            if (frame == null) {
                eof = true;
                return Optional.empty();
            }
            received.incrementAndGet();
            BgpMessage m = decode(frame);
            if (m instanceof Notification n) {
                notification.compareAndSet(null, n);
            }
            return Optional.of(m);
        } catch (SocketTimeoutException e) {
            return Optional.empty();
        } catch (IOException e) {
            eof = true;
            return Optional.empty(); // reset by the agent: the same as a close for a test
        }
    }

    private byte[] readFrame() throws IOException {
        byte[] header = new byte[HEADER];
        try {
            in.readFully(header);
        } catch (EOFException e) {
            return null;
        }
        int length = ((header[16] & 0xFF) << 8) | (header[17] & 0xFF);
        if (length < HEADER || length > CodecContext.MAX_EXTENDED_MESSAGE) {
            throw new AssertionError(label + ": the agent sent a frame of length " + length);
        }
        byte[] frame = new byte[length];
        System.arraycopy(header, 0, frame, 0, HEADER);
        in.readFully(frame, HEADER, length - HEADER);
        return frame;
    }

    private BgpMessage decode(byte[] frame) {
        try {
            return BgpCodec.decode(Unpooled.wrappedBuffer(frame), SESSION);
        } catch (BgpWireException e) {
            throw new AssertionError(label + ": the agent sent a frame our codec rejects: " + e.getMessage(), e);
        }
    }

    /** Reads until a NOTIFICATION arrives (skipping anything else) and returns it; fails on close or timeout. */
    public Notification awaitNotification(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Notification seen = notification.get();
            if (seen != null) {
                return seen;
            }
            if (reader != null) {
                RawPeer.sleep(50);
                continue;
            }
            next(Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime())));
            if (eof && notification.get() == null) {
                throw new AssertionError(label + ": connection closed without a NOTIFICATION");
            }
        }
        Notification seen = notification.get();
        if (seen == null) {
            throw new AssertionError(label + ": no NOTIFICATION within " + timeout);
        }
        return seen;
    }

    /** The first NOTIFICATION the agent sent, if any. */
    public Optional<Notification> notification() {
        return Optional.ofNullable(notification.get());
    }

    /** Messages read so far. */
    public long received() {
        return received.get();
    }

    /**
     * OPEN, the agent's OPEN, KEEPALIVE, the agent's KEEPALIVE: Established. Returns the agent's OPEN.
     * Fails with the agent's NOTIFICATION if it refused.
     */
    public Open establish(Open ours, Duration timeout) {
        send(ours);
        Open theirs = null;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            BgpMessage m = next(Duration.ofNanos(deadline - System.nanoTime())).orElseThrow(
                    () -> new AssertionError(label + ": no OPEN/KEEPALIVE from the agent"));
            if (m instanceof Notification n) {
                throw new AssertionError(label + ": the agent refused: " + n);
            }
            if (m instanceof Open o) {
                theirs = o;
                send(Keepalive.INSTANCE);
            } else if (m instanceof Keepalive && theirs != null) {
                return theirs;
            }
        }
        throw new AssertionError(label + ": not Established within " + timeout);
    }

    /**
     * From now on one thread reads: it counts messages and keeps the first NOTIFICATION; and
     * {@code timers} sends a KEEPALIVE every {@code every}.
     */
    public void startReader(ScheduledExecutorService timers, Duration every) {
        reader = new Thread(null, this::readLoop, "raw-peer-" + label, 128 * 1024);
        reader.setDaemon(true);
        reader.start();
        if (!every.isZero()) {
            keepalives = timers.scheduleAtFixedRate(() -> {
                if (!closed) {
                    try {
                        send(Keepalive.INSTANCE);
                    } catch (UncheckedIOException e) {
                        closed = true;
                    }
                }
            }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void readLoop() {
        try {
            socket.setSoTimeout(0);
            byte[] frame;
            while (!closed && (frame = readFrame()) != null) {
                received.incrementAndGet();
                lastHeardNanos = System.nanoTime();
                if (frame[18] == BgpMessage.TYPE_NOTIFICATION) {
                    notification.compareAndSet(null, (Notification) decode(frame));
                }
            }
        } catch (IOException e) {
            // closed under us
        }
        closed = true;
    }

    /** Nanoseconds since the reader last got a message (our own hold timer, checked by the test). */
    public long silentNanos() {
        return System.nanoTime() - lastHeardNanos;
    }

    /** Whether the connection is still open (the reader has not seen it end). */
    public boolean open() {
        return !closed && !socket.isClosed();
    }

    @Override
    public void close() {
        closed = true;
        ScheduledFuture<?> k = keepalives;
        if (k != null) {
            k.cancel(false);
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    /**
     * UPDATEs for {@code count} /32s from the IPv4 address {@code first} on, 800 to an UPDATE (fits
     * 4,096 octets): announced with {@code attributes}, or withdrawn when {@code attributes} is null.
     */
    public static List<Update> hostRoutes(int first, int count, List<PathAttribute> attributes) {
        List<Update> out = new ArrayList<>();
        List<Nlri> nlri = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            nlri.add(Nlri.of(Cidr.of(IpAddress.ofV4(first + i), 32)));
            if (nlri.size() == 800 || i == count - 1) {
                out.add(attributes == null ? new Update(nlri, List.of(), List.of()) : new Update(List.of(), attributes, nlri));
                nlri = new ArrayList<>();
            }
        }
        return out;
    }

    /** Thread.sleep for tests: an interrupt is a failure. */
    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    @Override
    public String toString() {
        return "RawPeer[" + label + "]";
    }
}
