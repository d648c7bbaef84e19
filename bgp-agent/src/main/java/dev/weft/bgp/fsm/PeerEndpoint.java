package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.BgpMessage;
import dev.weft.bgp.wire.RouteRefresh;
import dev.weft.bgp.wire.Update;
import dev.weft.net.IpAddress;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link PeerFsm} bound to one event loop of the speaker: its timers run there, every event is
 * handed to it there, and it connects, sends and reports through Netty and the listener's executor.
 */
final class PeerEndpoint implements PeerFsm.Driver, Scheduler {
    private static final Logger LOG = LoggerFactory.getLogger(PeerEndpoint.class);

    private final Sessions speaker;
    private final PeerConfig config;
    private final EventLoop loop;
    private final SessionListener listener;
    private final Executor listenerExecutor;
    private final PeerFsm fsm;
    private final AtomicBoolean waitingForWritable = new AtomicBoolean();
    private volatile SessionChannel established;

    PeerEndpoint(Sessions speaker, SpeakerConfig speakerConfig, PeerConfig config, EventLoop loop,
                 SessionListener listener, Executor listenerExecutor) {
        this.speaker = speaker;
        this.config = config;
        this.loop = loop;
        this.listener = listener;
        this.listenerExecutor = listenerExecutor;
        this.fsm = new PeerFsm(speakerConfig, config, this, this);
    }

    PeerId id() {
        return fsm.id();
    }

    PeerConfig config() {
        return config;
    }

    PeerStatus status() {
        return fsm.status();
    }

    /** Runs the event on the FSM's loop, whichever thread (a connection on another loop, the caller) delivers it. */
    void fire(FsmEvent event) {
        if (loop.inEventLoop()) {
            handle(event);
        } else {
            loop.execute(() -> handle(event));
        }
    }

    private void handle(FsmEvent event) {
        try {
            fsm.handle(event);
        } catch (RuntimeException e) {
            LOG.error("bgp peer {}: FSM failed on {}", id(), event, e);
        }
    }

    /** An accepted connection from this peer. */
    SessionChannel accepted(Channel ch) {
        SessionChannel s = new SessionChannel(this, false, speaker.maxBacklog());
        protect(ch);
        s.install(ch);
        return s;
    }

    private void protect(Channel ch) {
        if (config.ttlSecurity() > 0) {
            Gtsm.protect(((EpollSocketChannel) ch).fd().intValue(), config.address().isV6(), config.ttlSecurity());
        }
    }

    @Override
    public void connect() {
        Bootstrap b = new Bootstrap().group(loop)
                .channelFactory(speaker::newSocketChannel)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, config.connectRetry().toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        protect(ch);
                        new SessionChannel(PeerEndpoint.this, true, speaker.maxBacklog()).install(ch);
                    }
                });
        if (!config.password().isEmpty()) {
            b.option(EpollChannelOption.TCP_MD5SIG,
                    Map.of(config.address().toInetAddress(), config.password().getBytes(StandardCharsets.US_ASCII)));
        }
        if (config.localAddress() != null) {
            b.localAddress(new InetSocketAddress(config.localAddress().toInetAddress(), 0));
        }
        ChannelFuture f;
        try {
            f = b.connect(new InetSocketAddress(config.address().toInetAddress(), speaker.peerPort()));
        } catch (RuntimeException e) {
            fire(new FsmEvent.TcpFailed(e.toString()));
            return;
        }
        f.addListener(done -> {
            if (!done.isSuccess()) {
                fire(new FsmEvent.TcpFailed(String.valueOf(done.cause())));
            }
        });
    }

    @Override
    public void established(Connection connection, Negotiated negotiated) {
        SessionChannel s = (SessionChannel) connection;
        established = s;
        IpAddress local = IpAddress.fromInetAddress(((InetSocketAddress) s.channel().localAddress()).getAddress()).unmap();
        listenerExecutor.execute(() -> listener.established(id(), negotiated, local));
    }

    @Override
    public void received(Connection connection, BgpMessage message) {
        SessionChannel s = (SessionChannel) connection;
        if (message instanceof Update u) {
            listenerExecutor.execute(() -> {
                try {
                    listener.update(id(), u);
                } finally {
                    s.processed();
                }
            });
        } else if (message instanceof RouteRefresh r) {
            listenerExecutor.execute(() -> listener.routeRefresh(id(), r));
        }
    }

    @Override
    public void down(DownReason reason) {
        established = null;
        waitingForWritable.set(false);
        listenerExecutor.execute(() -> listener.down(id(), reason));
    }

    Sessions.SendResult send(Update u) {
        SessionChannel s = established;
        if (s == null) {
            return Sessions.SendResult.NOT_ESTABLISHED;
        }
        fsm.messagesOut.countUpdate();
        if (s.sendUpdate(u)) {
            return Sessions.SendResult.OK;
        }
        waitingForWritable.set(true);
        if (s.drained()) {
            maybeWritable(s); // it drained between the write and the flag
        }
        return Sessions.SendResult.FULL;
    }

    void maybeWritable(SessionChannel s) {
        if (s == established && s.drained() && waitingForWritable.compareAndSet(true, false)) {
            listenerExecutor.execute(() -> listener.writable(id()));
        }
    }

    @Override
    public Timer schedule(long delayMillis, Runnable task) {
        ScheduledFuture<?> f = loop.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    @Override
    public long nowMillis() {
        return System.nanoTime() / 1_000_000;
    }
}
