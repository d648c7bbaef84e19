package dev.weft.bgp.status;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves {@link StatusSource} over HTTP/1.1: /bgp/peers and /bgp/routes as JSON, /metrics in the
 * Prometheus text format, /healthz.
 *
 * <p>Where: by default a Unix socket, {@link #DEFAULT_SOCKET}, mode 0600, so only root reads peer
 * and route details (the file mode is the access check; a TCP port on loopback is open to every
 * local user). A TCP listener such as 127.0.0.1:9179 can be added for Prometheus; it serves only
 * /metrics and /healthz unless opened with {@link Exposure#FULL}.
 *
 * <p>Bounds, because status must not be a way to stall the speaker: GET and HEAD only, no body, a
 * path allow-list, request line ≤ {@link Limits#maxLine} and headers ≤ {@link Limits#maxHeaders}
 * (431 beyond), one request per connection, at most {@link Limits#maxConnections} at once, the whole
 * request within {@link Limits#deadline} of the accept, and while answering each page of output must
 * drain within that deadline too. Route dumps are streamed a page at a time: the next page is asked
 * of the agent only once the previous one is written, so memory stays one page whatever the table.
 * Netty, not the JDK's HttpServer: that one reads requests with blocking calls and has no bound on
 * header size.
 */
public final class StatusServer implements AutoCloseable {
    public static final Path DEFAULT_SOCKET = Path.of("/run/weft/bgp.sock");
    public static final int DEFAULT_PORT = 9179;

    /** Which paths a listener serves. */
    public enum Exposure {
        /** every path: for the root-only Unix socket */
        FULL,
        /** /metrics and /healthz: aggregate numbers for a scraper on a TCP port */
        METRICS_ONLY
    }

    /** One address to listen on: an {@link InetSocketAddress} or a {@link DomainSocketAddress}. */
    public record Listener(SocketAddress address, Exposure exposure) {
        public static Listener unix(Path path) {
            return new Listener(new DomainSocketAddress(path.toString()), Exposure.FULL);
        }

        public static Listener tcp(String host, int port, Exposure exposure) {
            return new Listener(new InetSocketAddress(host, port), exposure);
        }
    }

    /**
     * @param pageSize prefixes asked of the agent per page of a route dump
     */
    public record Limits(int maxLine, int maxHeaders, int maxConnections, Duration deadline, int pageSize) {
        public static final Limits DEFAULT = new Limits(4096, 8192, 32, Duration.ofSeconds(5), 1000);
    }

    private final MultiThreadIoEventLoopGroup group;
    private final List<Channel> bound = new ArrayList<>();
    private final List<Path> socketFiles = new ArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();

    public StatusServer(StatusSource source, List<Listener> listeners, Limits limits, Clock clock) throws IOException {
        // one thread: rendering is a page at a time and the agent does the real work on its own thread
        group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("weft-bgp-status", true),
                EpollIoHandler.newFactory());
        try {
            for (Listener l : listeners) {
                bound.add(bind(new StatusRoutes(source, l.exposure(), limits, clock), l, limits));
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private Channel bind(StatusRoutes routes, Listener l, Limits limits) throws IOException {
        boolean unix = l.address() instanceof DomainSocketAddress;
        if (unix) {
            // a socket file left by a previous run would make bind fail
            Files.deleteIfExists(Path.of(((DomainSocketAddress) l.address()).path()));
        }
        ServerBootstrap b = new ServerBootstrap().group(group)
                .channel(unix ? EpollServerDomainSocketChannel.class : EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, limits.maxConnections())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accept(ch, routes, limits);
                    }
                });
        ChannelFuture f = b.bind(l.address()).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new IOException("cannot serve BGP status on " + describe(l.address()) + ": " + f.cause().getMessage(),
                    f.cause());
        }
        if (unix) {
            Path file = Path.of(((DomainSocketAddress) l.address()).path());
            socketFiles.add(file);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        return f.channel();
    }

    private void accept(Channel ch, StatusRoutes routes, Limits limits) {
        if (connections.incrementAndGet() > limits.maxConnections()) {
            connections.decrementAndGet();
            ch.close();
            return;
        }
        ch.closeFuture().addListener(f -> connections.decrementAndGet());
        StatusExchange exchange = new StatusExchange(routes, limits.deadline());
        ch.eventLoop().schedule(exchange::checkProgress, limits.deadline().toNanos(), TimeUnit.NANOSECONDS);
        ch.pipeline().addLast(new InboundBudget(), new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxLine()).setMaxHeaderSize(limits.maxHeaders())), exchange);
    }

    /**
     * Closes a connection that sends more than {@link StatusExchange#MAX_INBOUND_BYTES}: a client
     * could otherwise keep the decoder busy with request after request until the deadline.
     */
    private static final class InboundBudget extends ChannelInboundHandlerAdapter {
        private long received;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            received += ((ByteBuf) msg).readableBytes();
            if (received > StatusExchange.MAX_INBOUND_BYTES) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** The bound addresses, in the order given (a TCP port 0 shows the port chosen). */
    public List<SocketAddress> addresses() {
        return bound.stream().map(Channel::localAddress).toList();
    }

    static String describe(SocketAddress a) {
        return a instanceof DomainSocketAddress d ? "unix:" + d.path() : a.toString();
    }

    @Override
    public void close() {
        for (Channel c : bound) {
            c.close().awaitUninterruptibly();
        }
        for (Path file : socketFiles) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the next start removes it
            }
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
