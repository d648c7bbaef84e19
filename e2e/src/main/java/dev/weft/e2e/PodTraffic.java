package dev.weft.e2e;

import dev.weft.netns.Namespace;
import dev.weft.netns.NetNs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Traffic between pods from this JVM, without nc or socat: each socket is created inside the pod's
 * namespace (a socket stays in the namespace it was made in) and then driven from ordinary threads.
 * The data is a seeded pseudo-random stream, so both ends and a local reference agree on its
 * SHA-256 without storing it.
 */
public final class PodTraffic {
    private static final int BLOCK = 64 * 1024;

    private PodTraffic() {
    }

    /** What a TCP transfer sent and what arrived: byte counts and SHA-256 of each side. */
    public record Transfer(long sent, String sentSha256, long received, String receivedSha256) {
        /** Every byte arrived and the digests match. */
        public boolean intact() {
            return sent == received && sentSha256.equals(receivedSha256);
        }
    }

    /** Runs {@code task} on a thread inside the named network namespace. */
    public static <T> T inNetns(String netns, NetNs.Task<T, IOException> task) {
        try (Namespace ns = Namespace.openNamed(netns)) {
            return ns.run(task);
        } catch (IOException e) {
            throw new UncheckedIOException("in netns " + netns, e);
        }
    }

    /** The seeded stream: 64 KiB blocks of SplittableRandom longs, the last block cut to size. */
    static final class SeededStream {
        private final SplittableRandom random;
        private final ByteBuffer block = ByteBuffer.allocateDirect(BLOCK);
        private long left;

        SeededStream(long bytes, long seed) {
            this.random = new SplittableRandom(seed);
            this.left = bytes;
            block.limit(0);
        }

        /** The next bytes of the stream (a view valid until the next call), or null at the end. */
        ByteBuffer next() {
            if (left == 0) {
                return null;
            }
            block.clear();
            while (block.hasRemaining()) {
                block.putLong(random.nextLong());
            }
            block.flip();
            block.limit((int) Math.min(BLOCK, left));
            left -= block.limit();
            return block;
        }
    }

    /** SHA-256 of the stream that {@link #tcp} sends for these arguments, computed locally. */
    public static String expectedSha256(long bytes, long seed) {
        MessageDigest md = sha256();
        SeededStream s = new SeededStream(bytes, seed);
        for (ByteBuffer b = s.next(); b != null; b = s.next()) {
            md.update(b);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** A TCP transfer of {@code bytes} seeded bytes from one pod to another, port on the receiver. */
    public static Transfer tcp(SimCluster.Pod from, SimCluster.Pod to, int port, long bytes, long seed, Duration timeout) {
        return tcp(from.netns().name(), from.ip(), to.netns().name(), to.ip(), port, bytes, seed, timeout);
    }

    /** The same in the background. */
    public static CompletableFuture<Transfer> tcpAsync(SimCluster.Pod from, SimCluster.Pod to, int port, long bytes, long seed,
                                                       Duration timeout) {
        CompletableFuture<Transfer> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(tcp(from, to, port, bytes, seed, timeout));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "tcp-" + from.ip() + "-" + to.ip());
        t.setDaemon(true);
        t.start();
        return f;
    }

    /**
     * The transfer between two namespaces and addresses: the receiver listens on {@code toIp:port}
     * in {@code toNs}; the sender connects from {@code fromNs}, writes the stream and shuts its
     * side down; the receiver digests everything until end of stream. Past {@code timeout} both
     * sockets are closed and this throws.
     */
    public static Transfer tcp(String fromNs, String fromIp, String toNs, String toIp, int port, long bytes, long seed, Duration timeout) {
        ServerSocketChannel server = inNetns(toNs, () -> {
            ServerSocketChannel s = ServerSocketChannel.open();
            s.bind(new InetSocketAddress(toIp, port), 1);
            return s;
        });
        SocketChannel client = null;
        try {
            client = inNetns(fromNs, () -> {
                SocketChannel c = SocketChannel.open();
                c.bind(new InetSocketAddress(fromIp, 0));
                return c;
            });
            CompletableFuture<long[]> receivedCount = new CompletableFuture<>();
            CompletableFuture<String> receivedSha = new CompletableFuture<>();
            Thread receiver = new Thread(() -> {
                try (SocketChannel in = server.accept()) {
                    MessageDigest md = sha256();
                    ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
                    long n = 0;
                    for (int r = in.read(buf); r >= 0; r = in.read(buf)) {
                        buf.flip();
                        n += buf.remaining();
                        md.update(buf);
                        buf.clear();
                    }
                    receivedSha.complete(HexFormat.of().formatHex(md.digest()));
                    receivedCount.complete(new long[] {n});
                } catch (Throwable e) {
                    receivedSha.completeExceptionally(e);
                    receivedCount.completeExceptionally(e);
                }
            }, "tcp-receiver-" + toIp + ":" + port);
            receiver.setDaemon(true);
            receiver.start();

            SocketChannel c = client;
            CompletableFuture<String> sent = CompletableFuture.supplyAsync(() -> {
                try {
                    c.connect(new InetSocketAddress(toIp, port));
                    MessageDigest md = sha256();
                    SeededStream s = new SeededStream(bytes, seed);
                    for (ByteBuffer b = s.next(); b != null; b = s.next()) {
                        md.update(b.duplicate());
                        while (b.hasRemaining()) {
                            c.write(b);
                        }
                    }
                    c.shutdownOutput();
                    return HexFormat.of().formatHex(md.digest());
                } catch (IOException e) {
                    throw new UncheckedIOException("sending to " + toIp + ":" + port, e);
                }
            }, r -> {
                Thread t = new Thread(r, "tcp-sender-" + fromIp);
                t.setDaemon(true);
                t.start();
            });
            long deadline = System.nanoTime() + timeout.toNanos();
            String sentSha = get(sent, deadline, "sending " + bytes + " bytes " + fromIp + " -> " + toIp + ":" + port);
            String gotSha = get(receivedSha, deadline, "receiving at " + toIp + ":" + port);
            return new Transfer(bytes, sentSha, get(receivedCount, deadline, "receiving")[0], gotSha);
        } finally {
            closeQuietly(client);
            closeQuietly(server);
        }
    }

    private static <T> T get(CompletableFuture<T> f, long deadlineNanos, String what) {
        try {
            return f.get(Math.max(1, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out " + what);
        } catch (ExecutionException e) {
            throw new IllegalStateException(what + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted " + what);
        }
    }

    /**
     * Sends {@code count} UDP datagrams of {@code size} seeded bytes from one pod to an echo socket
     * in the other, one at a time, each waiting up to {@code wait} for its echo. Returns how many
     * came back byte for byte identical (a datagram bigger than the pod MTU is fragmented by the
     * sending pod and reassembled by the receiving one, both ways).
     */
    public static int udpEcho(SimCluster.Pod from, SimCluster.Pod to, int port, int size, int count, long seed, Duration wait) {
        DatagramSocket echo = inNetns(to.netns().name(), () -> new DatagramSocket(new InetSocketAddress(to.ip(), port)));
        DatagramSocket client = null;
        Thread echoer = new Thread(() -> {
            byte[] buf = new byte[65536];
            try {
                for (;;) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    echo.receive(p);
                    echo.send(new DatagramPacket(buf, p.getLength(), p.getSocketAddress()));
                }
            } catch (IOException closed) {
                // the socket was closed: done
            }
        }, "udp-echo-" + to.ip());
        echoer.setDaemon(true);
        echoer.start();
        try {
            client = inNetns(from.netns().name(), () -> new DatagramSocket(new InetSocketAddress(from.ip(), 0)));
            client.setSoTimeout((int) wait.toMillis());
            SplittableRandom r = new SplittableRandom(seed);
            byte[] out = new byte[size];
            byte[] in = new byte[65536];
            int intact = 0;
            InetSocketAddress dst = new InetSocketAddress(to.ip(), port);
            for (int i = 0; i < count; i++) {
                for (int j = 0; j < size; j++) {
                    out[j] = (byte) r.nextInt(256);
                }
                client.send(new DatagramPacket(out, size, dst));
                DatagramPacket p = new DatagramPacket(in, in.length);
                try {
                    client.receive(p);
                } catch (SocketTimeoutException lost) {
                    continue;
                }
                if (p.getLength() == size && Arrays.equals(in, 0, size, out, 0, size)) {
                    intact++;
                }
            }
            return intact;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            echo.close();
            if (client != null) {
                client.close();
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing to unblock or to release; nothing to report
            }
        }
    }
}
