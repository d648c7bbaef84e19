package dev.weft.flannel.daemon;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * /healthz (the process is up), /readyz (lease held, backend up, subnet.env written) and /metrics
 * on -healthz-ip:-healthz-port, as flanneld serves them.
 *
 * <p>Liveness must not depend on the behaviour of other clients, so every connection is bounded:
 * one request per connection, a request head of at most {@link #MAX_LINE} + {@link #MAX_HEADERS}
 * bytes (413 and close beyond that; no request body), at most {@link #MAX_CONNECTIONS} at once,
 * and a deadline on the connection's whole life (a client that stalls or sends a byte now and then
 * is closed when it passes). Why Netty and not the JDK's HttpServer: that one reads a request with
 * blocking calls on its dispatcher thread (one client that sends a byte and stops blocks every
 * probe), has no bound on header size, and its only timeouts are JVM-wide system properties read
 * once. Netty is on weftd's class path anyway (udp data path, jetcd): its HTTP decoder bounds the
 * request line and headers, and a non-blocking loop cannot be held by a client that stops sending.
 * The suppliers run on the loop threads, so they must be quick and non-blocking (a volatile read, a
 * counter snapshot). The one exception to the connection deadline is POST /shutdown on the local
 * socket (root only): its answer comes when weftd's stop is done, bounded by that stop's own steps
 * and the client's timeout.
 */
final class HealthServer implements AutoCloseable {
    /** Longest request line (method, path, version): a probe's is about 30 bytes. */
    static final int MAX_LINE = 4096;
    /** Most header bytes: a probe's or a scrape's headers are a few hundred. */
    static final int MAX_HEADERS = 8192;
    /** Most bytes a connection may send at all, so draining after an answer is bounded too. */
    static final int MAX_BYTES_PER_CONNECTION = 64 * 1024;
    static final int MAX_CONNECTIONS = 128;
    /**
     * How long a connection may live, from accept to close: an honest probe needs milliseconds, and
     * the kubelet's probe timeout is seconds.
     */
    static final Duration CONNECTION_DEADLINE = Duration.ofSeconds(5);
    /** Two loops: accepting and answering never wait on a client, so two are plenty. */
    private static final int THREADS = 2;

    private final MultiThreadIoEventLoopGroup group;
    private final Channel listener;
    private final AtomicInteger connections = new AtomicInteger();
    /** Connections of POST /shutdown: answered once the stop is done, then held until the client closes. */
    private final java.util.Set<Channel> shutdownClients = java.util.concurrent.ConcurrentHashMap.newKeySet();

    HealthServer(String ip, int port, BooleanSupplier ready, Supplier<String> metrics) throws IOException {
        this(ip, port, ready, metrics, CONNECTION_DEADLINE);
    }

    HealthServer(String ip, int port, BooleanSupplier ready, Supplier<String> metrics, Duration deadline) throws IOException {
        this(new InetSocketAddress(ip, port), NioServerSocketChannel.class, new Routes(ready, metrics, null, null), deadline);
    }

    private HealthServer(SocketAddress address, Class<? extends ServerChannel> channel, Routes routes, Duration deadline)
            throws IOException {
        group = new MultiThreadIoEventLoopGroup(THREADS, new DefaultThreadFactory("weftd-health", true), NioIoHandler.newFactory());
        ServerBootstrap b = new ServerBootstrap().group(group).channel(channel)
                .option(ChannelOption.SO_BACKLOG, MAX_CONNECTIONS)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accept(ch, routes, deadline);
                    }
                });
        ChannelFuture bound = b.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).awaitUninterruptibly();
            Throwable cause = bound.cause();
            throw new IOException("cannot serve on " + address + ": " + cause.getMessage(), cause);
        }
        listener = bound.channel();
    }

    /**
     * The local status endpoint: the same paths plus /status (this node's lease, backend and peers
     * as JSON, for weftctl) on a Unix socket that only root can connect to. /status is not served on
     * the TCP port, which listens on every address by default.
     */
    static HealthServer unix(Path socket, BooleanSupplier ready, Supplier<String> metrics, Supplier<String> status) throws IOException {
        return unix(socket, ready, metrics, status, null);
    }

    /**
     * {@link #unix(Path, BooleanSupplier, Supplier, Supplier)} with POST /shutdown ({@code
     * ?withdraw=true} for a node leaving for good), weftctl shutdown's request: it starts weftd's
     * graceful stop, and its answer, one line of what was done, comes once the stop is done. Never
     * on the TCP port: anyone who reaches that could stop the node's network.
     */
    static HealthServer unix(Path socket, BooleanSupplier ready, Supplier<String> metrics, Supplier<String> status,
                             Function<GracefulStop.Mode, CompletableFuture<String>> shutdown) throws IOException {
        Path parent = socket.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & 0170000) != 0140000) { // S_IFMT, S_IFSOCK: never delete what is not a socket
                throw new IOException(socket + " exists and is not a socket");
            }
            try (java.nio.channels.SocketChannel probe = java.nio.channels.SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                throw new IOException("another process answers on " + socket + " (a second weftd?)");
            } catch (java.net.SocketException stale) {
                Files.delete(socket); // left by a weftd that was killed
            }
        }
        HealthServer s = new HealthServer(UnixDomainSocketAddress.of(socket), NioServerDomainSocketChannel.class,
                new Routes(ready, metrics, status, shutdown), CONNECTION_DEADLINE);
        try {
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void accept(Channel ch, Routes routes, Duration deadline) {
        if (connections.incrementAndGet() > MAX_CONNECTIONS) {
            connections.decrementAndGet();
            ch.close();
            return;
        }
        ch.closeFuture().addListener(f -> connections.decrementAndGet());
        // the whole connection, not each read: a slowloris resets any idle timer with every byte
        Runnable cutOff = ch::close;
        java.util.concurrent.Future<?> deadlineTask = ch.eventLoop().schedule(cutOff, deadline.toNanos(), TimeUnit.NANOSECONDS);
        ch.pipeline().addLast(new ByteBudget(),
                new HttpServerCodec(new HttpDecoderConfig().setMaxInitialLineLength(MAX_LINE).setMaxHeaderSize(MAX_HEADERS)),
                new OneRequest(routes, () -> {
                    // the stop takes longer than a probe: its own bounds apply, and the client's timeout
                    deadlineTask.cancel(false);
                    shutdownClients.add(ch);
                    ch.closeFuture().addListener(f -> shutdownClients.remove(ch));
                }));
    }

    int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** The socket file of {@link #unix}; it is removed on close. */
    private Path socketFile() {
        return listener.localAddress() instanceof UnixDomainSocketAddress u ? u.getPath() : null;
    }

    /**
     * The end of a requested stop: no new connections (the socket file goes), while the shutdown
     * clients get their answer. Then waits, at most {@code timeout}, for them to close: weftctl runs
     * in weftd's container (kubelet's preStop), which ends with weftd, so weftd leaves only after the
     * client has printed its line and exited.
     */
    void awaitShutdownClients(Duration timeout) {
        Path file = socketFile();
        listener.close().awaitUninterruptibly();
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the next start removes a stale file anyway
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Channel c : List.copyOf(shutdownClients)) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !c.closeFuture().awaitUninterruptibly(TimeUnit.NANOSECONDS.toMillis(left))) {
                return;
            }
        }
    }

    @Override
    public void close() {
        Path file = socketFile();
        listener.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the next start removes a stale file anyway
            }
        }
    }

    /** The paths, rendered on the loop thread. */
    private record Routes(BooleanSupplier ready, Supplier<String> metrics, Supplier<String> status,
                          Function<GracefulStop.Mode, CompletableFuture<String>> shutdown) {
        static String path(HttpRequest req) {
            String path = req.uri();
            int q = path.indexOf('?');
            return q >= 0 ? path.substring(0, q) : path;
        }

        /** The stop's mode for a POST /shutdown this server serves, else null (answered as any other request). */
        GracefulStop.Mode shutdownMode(HttpRequest req) {
            if (shutdown == null || !req.method().equals(HttpMethod.POST) || !path(req).equals("/shutdown")) {
                return null;
            }
            String query = req.uri().substring(path(req).length());
            return query.equals("?withdraw=true") ? GracefulStop.Mode.WITHDRAW : GracefulStop.Mode.RESTART;
        }

        FullHttpResponse answer(HttpRequest req) {
            String path = path(req);
            if (!req.method().equals(HttpMethod.GET) && !req.method().equals(HttpMethod.HEAD)) {
                FullHttpResponse r = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET and HEAD\n");
                r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
                return r;
            }
            return switch (path) {
                case "/healthz" -> text(HttpResponseStatus.OK, "weftd is running\n");
                case "/readyz" -> ready.getAsBoolean()
                        ? text(HttpResponseStatus.OK, "weftd is ready\n")
                        : text(HttpResponseStatus.SERVICE_UNAVAILABLE, "weftd is not ready\n");
                // Prometheus text exposition; the backend renders its own counters
                case "/metrics" -> response(HttpResponseStatus.OK, "text/plain; version=0.0.4; charset=utf-8", metrics.get());
                case "/status" -> status == null ? text(HttpResponseStatus.NOT_FOUND, "not found\n")
                        : response(HttpResponseStatus.OK, "application/json", status.get());
                default -> text(HttpResponseStatus.NOT_FOUND, "not found\n");
            };
        }
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        return response(status, "text/plain; charset=utf-8", body);
    }

    private static FullHttpResponse response(HttpResponseStatus status, String contentType, String body) {
        ByteBuf content = Unpooled.wrappedBuffer(body.getBytes(StandardCharsets.UTF_8));
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return r;
    }

    /** Closes a connection that sends more than {@link #MAX_BYTES_PER_CONNECTION} bytes. */
    private static final class ByteBudget extends ChannelInboundHandlerAdapter {
        private int received;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            received += ((ByteBuf) msg).readableBytes();
            if (received > MAX_BYTES_PER_CONNECTION) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }

    /**
     * Answers the first request and ignores whatever follows. After the answer the server half-closes
     * and reads on until the client closes (or the deadline): closing at once while the client's
     * bytes are unread would send a reset, which can destroy the answer before the client reads it.
     */
    private static final class OneRequest extends ChannelInboundHandlerAdapter {
        private final Routes routes;
        /** Called when the request is a POST /shutdown, before the stop starts. */
        private final Runnable holdForShutdown;
        private boolean answered;

        OneRequest(Routes routes, Runnable holdForShutdown) {
            this.routes = routes;
            this.holdForShutdown = holdForShutdown;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (answered || !(msg instanceof HttpRequest req)) {
                    return; // a body, or a request after the first: drained, not served
                }
                answered = true;
                GracefulStop.Mode mode = req.decoderResult().isSuccess() && HttpUtil.getContentLength(req, 0L) == 0
                        && !HttpUtil.isTransferEncodingChunked(req) ? routes.shutdownMode(req) : null;
                if (mode != null) {
                    stop(ctx, mode);
                    return;
                }
                respond(ctx, req, answerFor(req));
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private FullHttpResponse answerFor(HttpRequest req) {
            if (req.decoderResult().isFailure()) {
                Throwable cause = req.decoderResult().cause();
                boolean tooLong = cause instanceof TooLongHttpLineException || cause instanceof TooLongHttpHeaderException;
                return tooLong ? text(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request head too large\n")
                        : text(HttpResponseStatus.BAD_REQUEST, "bad request\n");
            }
            if (HttpUtil.getContentLength(req, 0L) > 0 || HttpUtil.isTransferEncodingChunked(req)) {
                return text(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "no request body is accepted\n");
            }
            try {
                return routes.answer(req);
            } catch (RuntimeException e) {
                return text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error\n");
            }
        }

        /**
         * Starts the stop (or joins the one under way) and answers when it is done: 200 and what was
         * done, or 500 and why not. The connection stays open after the answer, for the client to
         * close ({@link HealthServer#awaitShutdownClients}).
         */
        private void stop(ChannelHandlerContext ctx, GracefulStop.Mode mode) {
            holdForShutdown.run();
            CompletableFuture<String> done;
            try {
                done = routes.shutdown().apply(mode);
            } catch (RuntimeException e) {
                done = CompletableFuture.failedFuture(e);
            }
            done.whenComplete((line, failure) -> {
                Runnable answer = () -> ctx.writeAndFlush(failure == null
                        ? text(HttpResponseStatus.OK, line + "\n")
                        : text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "weftd's stop failed: " + failure.getMessage() + "\n"));
                // A request that comes after the stop finished completes here, on the event loop:
                // answered at once, before the server's close can refuse a task for the loop.
                if (ctx.executor().inEventLoop()) {
                    answer.run();
                } else {
                    try {
                        ctx.executor().execute(answer);
                    } catch (java.util.concurrent.RejectedExecutionException closing) {
                        ctx.channel().close(); // weftd is past answering: weftctl says it got no answer
                    }
                }
            });
        }

        private static void respond(ChannelHandlerContext ctx, HttpRequest req, FullHttpResponse r) {
            if (req.method().equals(HttpMethod.HEAD)) {
                r.content().clear(); // Content-Length stays that of the GET answer
            }
            ctx.writeAndFlush(r).addListener((ChannelFutureListener) f -> {
                if (f.isSuccess() && f.channel() instanceof DuplexChannel dc) {
                    dc.shutdownOutput();
                } else {
                    f.channel().close();
                }
            });
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a reset by the client, mostly; nothing to answer
        }
    }
}
