package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.Notification;
import dev.weft.bgp.wire.Update;
import dev.weft.net.IpAddress;
import dev.weft.netns.Namespace;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The speaker's BGP sessions: one {@link PeerFsm} per configured peer on I/O threads of their own
 * (an epoll event loop group that does nothing else, so keepalives never wait behind route
 * processing), a server socket that accepts only configured peers, and peers added and removed at
 * runtime without touching the others.
 *
 * <pre>{@code
 * Sessions s = Sessions.start(SpeakerConfig.of(routerId, 64512), Namespace.host(), rib, ribThread);
 * s.addPeer(PeerConfig.of(IpAddress.parse("10.0.0.2"), 64512).withGracefulRestart(120));
 * if (s.send(peer, update) == SendResult.FULL) { wait for rib.writable(peer) }
 * s.removePeer(peer);   // Cease/3
 * s.close();            // Cease/2 to everyone
 * }</pre>
 */
public final class Sessions implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);
    /** UPDATEs per connection waiting for the listener before we stop reading that peer. */
    static final int DEFAULT_MAX_BACKLOG = 1024;
    /** Addresses we remember having refused, so a stranger retrying does not fill the log. */
    private static final int MAX_REFUSED_LOGGED = 1024;

    /** What {@link #send} did with an UPDATE. */
    public enum SendResult {
        /** Queued; send more. */
        OK,
        /** Queued, but the peer is slow: stop until {@link SessionListener#writable}. */
        FULL,
        /** No Established session: dropped (the RIB sends the table when the session comes up). */
        NOT_ESTABLISHED
    }

    private final SpeakerConfig config;
    private final Namespace namespace;
    private final SessionListener listener;
    private final Executor listenerExecutor;
    private final int maxBacklog;
    private final int peerPort;
    private final EventLoopGroup group;
    private final Map<PeerId, PeerEndpoint> peers = new ConcurrentHashMap<>();
    private final Set<IpAddress> refusedLogged = ConcurrentHashMap.newKeySet();
    /** Null until {@link #listen}. */
    private volatile Channel server;

    private Sessions(SpeakerConfig config, Namespace namespace, SessionListener listener, Executor listenerExecutor,
                     int ioThreads, int maxBacklog, int peerPort) {
        this.config = config;
        this.namespace = namespace;
        this.listener = listener;
        this.listenerExecutor = listenerExecutor;
        this.maxBacklog = maxBacklog;
        this.peerPort = peerPort;
        this.group = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory("bgp-io", true),
                EpollIoHandler.newFactory());
    }

    /**
     * Listens on the configured address and port inside {@code namespace} (the host's for weftd).
     *
     * @param listenerExecutor runs every {@link SessionListener} call, one at a time in order (the RIB's thread)
     */
    public static Sessions start(SpeakerConfig config, Namespace namespace, SessionListener listener,
                                 Executor listenerExecutor) {
        Sessions s = open(config, namespace, listener, listenerExecutor);
        s.listen();
        return s;
    }

    /**
     * Not listening yet: add the configured peers first, then {@link #listen}. Listening before
     * them would refuse (reset) a peer that connects in between, as a stranger.
     */
    public static Sessions open(SpeakerConfig config, Namespace namespace, SessionListener listener,
                                Executor listenerExecutor) {
        return new Sessions(config, namespace, listener, listenerExecutor, 1, DEFAULT_MAX_BACKLOG, config.port());
    }

    /** For tests: the backlog that pauses reading, and the port peers listen on when it is not ours. */
    static Sessions start(SpeakerConfig config, Namespace namespace, SessionListener listener, Executor listenerExecutor,
                          int maxBacklog, int peerPort) {
        Sessions s = new Sessions(config, namespace, listener, listenerExecutor, 1, maxBacklog, peerPort);
        s.listen();
        return s;
    }

    /** Binds the BGP port; on failure (port taken, address missing) the I/O threads go too. */
    public synchronized void listen() {
        if (server != null) {
            throw new IllegalStateException("already listening on " + server.localAddress());
        }
        try {
            server = bind();
            updateListener();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    private Channel bind() {
        ServerBootstrap b = new ServerBootstrap().group(group, group)
                .channelFactory(() -> namespace.run(EpollServerSocketChannel::new))
                .option(ChannelOption.SO_REUSEADDR, true)
                // the peers' keys before listen(2): a signed SYN that came first would be dropped
                .option(EpollChannelOption.TCP_MD5SIG, md5Keys())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<EpollSocketChannel>() {
                    @Override
                    protected void initChannel(EpollSocketChannel ch) {
                        accept(ch);
                    }
                });
        Channel ch = b.bind(new InetSocketAddress(config.listen().toInetAddress(), config.port())).syncUninterruptibly().channel();
        int fd = ((EpollServerSocketChannel) ch).fd().intValue();
        // The SYN-ACK leaves with the listener's TTL: 255, so GTSM peers accept it (harmless for the others).
        Gtsm.sendWithMaxTtl(fd, false);
        if (config.listen().isV6()) {
            Gtsm.sendWithMaxTtl(fd, true);
        }
        LOG.info("bgp: listening on {}", ch.localAddress());
        return ch;
    }

    private void accept(EpollSocketChannel ch) {
        InetAddress remote = ch.remoteAddress().getAddress();
        IpAddress address = IpAddress.fromInetAddress(remote).unmap();
        PeerEndpoint peer = peers.get(new PeerId(address));
        if (peer == null) {
            if (refusedLogged.size() < MAX_REFUSED_LOGGED && refusedLogged.add(address)) {
                LOG.warn("bgp: refused a connection from {}, which is not a configured peer (logged once)", address);
            }
            ch.close();
            return;
        }
        peer.accepted(ch);
    }

    EpollSocketChannel newSocketChannel() {
        return namespace.run(EpollSocketChannel::new);
    }

    int maxBacklog() {
        return maxBacklog;
    }

    int peerPort() {
        return peerPort;
    }

    /** Starts a session with a new peer; the others are not touched. */
    public synchronized void addPeer(PeerConfig peer) {
        PeerId id = peer.id();
        if (peers.containsKey(id)) {
            throw new IllegalArgumentException("peer " + id + " is already configured");
        }
        PeerEndpoint e = new PeerEndpoint(this, config, peer, group.next(), listener, listenerExecutor);
        peers.put(id, e);
        refusedLogged.remove(id.address());
        updateListener(); // before the first SYN, or the kernel drops the peer's signed segments
        e.fire(new FsmEvent.Start());
    }

    /** Ends the session with Cease/3 "peer de-configured" and forgets the peer. */
    public synchronized void removePeer(PeerId id) {
        PeerEndpoint e = peers.remove(id);
        if (e != null) {
            e.fire(new FsmEvent.Stop(Notification.of(Notification.CEASE, 3)));
            updateListener();
        }
    }

    /** Cease/4 "administrative reset", then the session starts again. */
    public void resetPeer(PeerId id) {
        PeerEndpoint e = peers.get(id);
        if (e != null) {
            e.fire(new FsmEvent.Stop(Notification.of(Notification.CEASE, 4)));
            e.fire(new FsmEvent.Start());
        }
    }

    /** Queues an UPDATE for a peer; any thread. */
    public SendResult send(PeerId id, Update update) {
        PeerEndpoint e = peers.get(id);
        return e == null ? SendResult.NOT_ESTABLISHED : e.send(update);
    }

    public List<PeerStatus> status() {
        List<PeerStatus> out = new ArrayList<>();
        for (PeerEndpoint e : peers.values()) {
            out.add(e.status());
        }
        out.sort((a, b) -> a.peer().address().compareTo(b.peer().address()));
        return out;
    }

    public Optional<PeerStatus> status(PeerId id) {
        return Optional.ofNullable(peers.get(id)).map(PeerEndpoint::status);
    }

    public InetSocketAddress listenAddress() {
        Channel ch = server;
        if (ch == null) {
            throw new IllegalStateException("not listening yet");
        }
        return (InetSocketAddress) ch.localAddress();
    }

    /**
     * The listener follows the configured peers: their TCP-MD5 keys (RFC 2385: one per peer address),
     * and GTSM's minimum TTL when every peer asks for it. An accepted socket gets its peer's minimum
     * only after accept(), and what arrived before that passed unchecked; a minimum on the listener
     * is inherited from the first segment on, but it applies to all peers, so mixed configurations
     * keep that window for their GTSM peers.
     */
    private void updateListener() {
        Channel server = this.server;
        if (server == null) {
            return; // listen() applies them
        }
        int maxHops = 0;
        boolean allGtsm = !peers.isEmpty();
        for (PeerEndpoint e : peers.values()) {
            PeerConfig c = e.config();
            allGtsm &= c.ttlSecurity() > 0;
            maxHops = Math.max(maxHops, c.ttlSecurity());
        }
        server.config().setOption(EpollChannelOption.TCP_MD5SIG, md5Keys());
        int minTtl = allGtsm ? Gtsm.MAX_TTL + 1 - maxHops : 0;
        int fd = ((EpollServerSocketChannel) server).fd().intValue();
        Gtsm.requireMinTtl(fd, false, minTtl);
        if (config.listen().isV6()) {
            Gtsm.requireMinTtl(fd, true, minTtl);
        }
    }

    private Map<InetAddress, byte[]> md5Keys() {
        Map<InetAddress, byte[]> keys = new HashMap<>();
        for (PeerEndpoint e : peers.values()) {
            PeerConfig c = e.config();
            if (!c.password().isEmpty()) {
                keys.put(c.address().toInetAddress(), c.password().getBytes(StandardCharsets.US_ASCII));
            }
        }
        return keys;
    }

    /** Cease/2 "administrative shutdown" to every peer, then the sockets and threads go. */
    @Override
    public void close() {
        close(false);
    }

    /**
     * With {@code forRestart}, the connections just close, with no NOTIFICATION: to a peer that
     * negotiated graceful restart this looks like a restart (RFC 4724 §4.2), so it keeps our routes
     * stale until we are back. Otherwise Cease/2 to every peer.
     */
    public synchronized void close(boolean forRestart) {
        for (PeerEndpoint e : peers.values()) {
            e.fire(new FsmEvent.Stop(forRestart ? null : Notification.of(Notification.CEASE, 2)));
        }
        peers.clear();
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        // The quiet period lets the NOTIFICATIONs queued above reach the wire.
        group.shutdownGracefully(200, 2_000, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }
}
