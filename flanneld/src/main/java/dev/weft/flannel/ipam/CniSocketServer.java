package dev.weft.flannel.ipam;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.thick.Caller;
import dev.weft.ipam.CniErrorCodes;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.socket.IpamFrame;
import dev.weft.ipam.socket.IpamRequest;
import dev.weft.ipam.socket.IpamResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * weftd's CNI socket: accepts on a root-only Unix socket and serves each connection on a small
 * pool (several CNI processes at once: the allocator writes the requests that meet there as one etcd
 * transaction, so more threads mean bigger batches, not more contention). A
 * connection gets {@link #IDLE_MS} to deliver each request, so a stuck client cannot hold a thread.
 */
public final class CniSocketServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CniSocketServer.class);
    static final int THREADS = 8;
    static final long IDLE_MS = 10_000;
    /** st_mode's file type bits, and a socket's. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Path path;
    private final ServerSocketChannel server;
    private final ExecutorService workers;
    private final ScheduledExecutorService timers;
    private final Function<IpamRequest, IpamResponse> handler;
    private final ExecHandler exec;
    private final Thread acceptor;
    /** Set by {@link #drain}: every request from then on gets this refusal instead of the handler. */
    private volatile IpamException refusal;
    /** Requests in the handler now; {@link #drain} waits for them. Guarded by {@code this}. */
    private int inFlight;

    /**
     * The other request kind on this socket, op {@value #EXEC_OP}: a whole CNI invocation from a
     * thick plugin's shim (dev.weft.cni.thick), which the handler answers through the connection,
     * the last request on it.
     */
    public interface ExecHandler {
        /** Serves one request (its frame's JSON object), answering through {@code caller}. */
        void serve(JsonNode request, Caller caller);

        /**
         * The answer to {@code request} while weftd is stopping: as a rule a decline, which tells the
         * shim to run the plugin itself; but code 11 when an invocation of the same container still
         * runs here, which the shim's own run would overtake.
         */
        byte[] refuseWhileStopping(JsonNode request, String why);
    }

    public static final String EXEC_OP = "cni";

    private CniSocketServer(Path path, ServerSocketChannel server, Function<IpamRequest, IpamResponse> handler, ExecHandler exec) {
        this.path = path;
        this.server = server;
        this.handler = handler;
        this.exec = exec;
        this.workers = Executors.newFixedThreadPool(THREADS, r -> daemon(r, "weftd-cni-socket"));
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "weftd-cni-socket-timer"));
        this.acceptor = daemon(this::acceptLoop, "weftd-cni-accept");
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Listens on {@code path}: its directory is created 0700 if missing, the socket is 0600. A
     * socket file left by a dead weftd is replaced; one a live weftd answers on, or anything that
     * is not a socket, is refused.
     */
    public static CniSocketServer start(Path path, Function<IpamRequest, IpamResponse> handler) throws IOException {
        return start(path, handler, null);
    }

    /** {@link #start(Path, Function)}, also serving thick plugins' invocations with {@code exec} (null: none). */
    public static CniSocketServer start(Path path, Function<IpamRequest, IpamResponse> handler, ExecHandler exec) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & S_IFMT) != S_IFSOCK) {
                throw new IOException(path + " exists and is not a socket; refusing to replace it");
            }
            try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                probe.connect(UnixDomainSocketAddress.of(path));
                throw new IOException("another weftd is serving " + path + "; refusing to take it over");
            } catch (ConnectException dead) {
                LOG.info("replacing the stale socket {} (nothing listens on it)", path);
                Files.delete(path);
            }
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(path), 64);
            // The directory is root-only, so nobody else can connect in the moment before this.
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        CniSocketServer s = new CniSocketServer(path, ch, handler, exec);
        s.acceptor.start();
        LOG.info("serving block IPAM to the CNI plugins on {}", path);
        return s;
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel c = server.accept();
                workers.execute(() -> serve(c));
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                if (server.isOpen()) {
                    LOG.warn("CNI socket accept: {}", e.toString());
                }
            }
        }
    }

    /** Requests in turn until the client closes, or a request it cannot read ends the connection. */
    private void serve(SocketChannel c) {
        try (c) {
            InputStream in = Channels.newInputStream(c);
            OutputStream out = Channels.newOutputStream(c);
            while (true) {
                ScheduledFuture<?> idle = timers.schedule(() -> closeQuietly(c), IDLE_MS, TimeUnit.MILLISECONDS);
                byte[] frame;
                IpamRequest req;
                JsonNode o;
                try {
                    frame = IpamFrame.read(in);
                    if (frame == null) {
                        return;
                    }
                    o = IpamRequest.object(frame);
                    req = exec != null && EXEC_OP.equals(o.path("op").asText()) ? null : IpamRequest.parse(o);
                } catch (IpamFrame.BadFrameException e) {
                    refuse(out, new IpamException(CniErrorCodes.DECODE_FAILURE, e.getMessage()));
                    return;
                } catch (IpamException e) {
                    refuse(out, e);
                    return;
                } finally {
                    idle.cancel(false);
                }
                if (req == null) {
                    execute(o, new Connection(c, out));
                    return; // the shim's one request: what follows it is only ever its end of stream
                }
                IpamFrame.write(out, answer(req).encode());
            }
        } catch (IOException e) {
            LOG.debug("CNI socket connection: {}", e.toString());
        } catch (RuntimeException e) {
            LOG.warn("CNI socket request failed", e);
        }
    }

    private IpamResponse answer(IpamRequest req) {
        return counted(IpamResponse::error, () -> handler.apply(req), e -> {
            LOG.warn("CNI socket: {} failed", req, e);
            return IpamResponse.error(new IpamException(CniErrorCodes.INTERNAL, "weftd failed: " + e));
        });
    }

    /** A thick plugin's invocation, counted in flight like an IPAM request (an undone ADD too); while stopping, declined. */
    private void execute(JsonNode request, Connection caller) {
        byte[] last = counted(r -> exec.refuseWhileStopping(request, "weftd is stopping: " + r.msg()), () -> {
            exec.serve(request, caller);
            return null;
        }, e -> {
            LOG.warn("CNI socket: a thick plugin invocation failed", e);
            return IpamResponse.error(new IpamException(CniErrorCodes.INTERNAL, "weftd failed: " + e)).encode();
        });
        if (last != null && !caller.answered) {
            caller.answer(last);
        }
    }

    /**
     * A shim's connection: it sends one request and then only reads (it never shuts its sending
     * side down), so an end of stream on it while weftd works means the shim is gone: the runtime
     * killed it, or it gave up.
     */
    private static final class Connection implements Caller {
        private final SocketChannel c;
        private final OutputStream out;
        private volatile boolean answered;

        Connection(SocketChannel c, OutputStream out) {
            this.c = c;
            this.out = out;
        }

        @Override
        public boolean gone() {
            try {
                synchronized (c.blockingLock()) {
                    c.configureBlocking(false);
                    try {
                        return c.read(ByteBuffer.allocate(1)) < 0; // 0: nothing yet; a byte more is dropped with the connection
                    } finally {
                        c.configureBlocking(true);
                    }
                }
            } catch (IOException e) {
                return true; // reset, or closed by weftd's own stop
            }
        }

        @Override
        public boolean answer(byte[] payload) {
            answered = true;
            try {
                IpamFrame.write(out, payload);
                return true;
            } catch (IOException e) {
                return false; // EPIPE: the shim closed its end
            }
        }
    }

    /**
     * Runs {@code work} counted in flight, so that {@link #drain} waits for it, or answers
     * {@code refused} once the drain began; a failure in it is {@code failed}'s answer.
     */
    private <T> T counted(Function<IpamException, T> refused, Supplier<T> work, Function<RuntimeException, T> failed) {
        synchronized (this) {
            if (refusal != null) {
                return refused.apply(refusal);
            }
            inFlight++;
        }
        try {
            return work.get();
        } catch (RuntimeException e) {
            return failed.apply(e);
        } finally {
            synchronized (this) {
                inFlight--;
                notifyAll();
            }
        }
    }

    /** Whether {@link #drain} has begun: every request is refused from then on. */
    public synchronized boolean refusing() {
        return refusal != null;
    }

    /**
     * The first step of weftd's graceful stop: from now on every request, on a new connection or an
     * open one, is refused with {@code refusal} (the runtime retries the pod later), while the
     * requests already in the handler finish (their etcd writes included). Returns how many were in
     * the handler when the refusals began; throws after {@code timeout} if some are still there.
     */
    public int drain(IpamException refusal, java.time.Duration timeout) throws java.util.concurrent.TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            this.refusal = refusal;
            int was = inFlight;
            while (inFlight > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new java.util.concurrent.TimeoutException(inFlight + " CNI request(s) still in weftd after " + timeout.toSeconds() + " s");
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return was;
        }
    }

    private static void refuse(OutputStream out, IpamException e) throws IOException {
        LOG.warn("CNI socket: refused a request: {}", e.getMessage());
        IpamFrame.write(out, IpamResponse.error(e).encode());
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // already gone
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        server.close();
        workers.shutdownNow();
        timers.shutdownNow();
        try {
            Files.deleteIfExists(path);
        } finally {
            try {
                acceptor.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
