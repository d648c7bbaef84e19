package dev.weft.bgp.fsm;

import dev.weft.bgp.trace.IngestTrace;
import dev.weft.bgp.wire.BgpFrameDecoder;
import dev.weft.bgp.wire.BgpMessage;
import dev.weft.bgp.wire.BgpMessageEncoder;
import dev.weft.bgp.wire.BgpWireException;
import dev.weft.bgp.wire.CodecContext;
import dev.weft.bgp.wire.DecodedUpdate;
import dev.weft.bgp.wire.Keepalive;
import dev.weft.bgp.wire.Update;
import dev.weft.bgp.wire.UpdateAction;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One TCP connection of a peer: the codec, the handler that turns what arrives into FSM events, and
 * the {@link Connection} the FSM writes through. UPDATEs are decoded here, on the I/O thread; the
 * listener gets them through its executor, and at most {@code maxBacklog} wait there per connection:
 * beyond that we stop reading (the socket's buffers, then TCP flow control, hold the rest).
 */
final class SessionChannel extends ChannelInboundHandlerAdapter implements Connection {
    private static final Logger LOG = LoggerFactory.getLogger(SessionChannel.class);
    /** Time a closing connection gets to write its NOTIFICATION to a slow peer before it is cut. */
    private static final long CLOSE_GRACE_MILLIS = 3_000;
    /** UPDATEs we write that the socket has not taken yet: beyond this, {@link Sessions#send} says FULL. */
    static final int MAX_UNWRITTEN = 256;

    private final PeerEndpoint peer;
    private final boolean outgoing;
    private final int maxBacklog;
    private final BgpFrameDecoder decoder = new BgpFrameDecoder();
    private final BgpMessageEncoder encoder = new BgpMessageEncoder();
    private final AtomicInteger backlog = new AtomicInteger();
    private final AtomicInteger unwritten = new AtomicInteger();
    private final ChannelFutureListener onWritten = f -> written();
    private Channel channel;

    SessionChannel(PeerEndpoint peer, boolean outgoing, int maxBacklog) {
        this.peer = peer;
        this.outgoing = outgoing;
        this.maxBacklog = maxBacklog;
    }

    void install(Channel ch) {
        this.channel = ch;
        ch.pipeline().addLast(decoder, encoder, this);
    }

    Channel channel() {
        return channel;
    }

    @Override
    public boolean outgoing() {
        return outgoing;
    }

    @Override
    public void send(BgpMessage message) {
        channel.writeAndFlush(message, channel.voidPromise());
    }

    /** An UPDATE from the upper layer; true while the peer keeps up, false once the caller should wait. */
    boolean sendUpdate(Update update) {
        int n = unwritten.incrementAndGet();
        channel.writeAndFlush(update).addListener(onWritten);
        return n < MAX_UNWRITTEN && channel.isWritable();
    }

    boolean drained() {
        return unwritten.get() <= MAX_UNWRITTEN / 4 && channel.isWritable();
    }

    private void written() {
        if (unwritten.decrementAndGet() == MAX_UNWRITTEN / 4) {
            peer.maybeWritable(this);
        }
    }

    @Override
    public void close() {
        if (!channel.isOpen()) {
            return;
        }
        // Flush first: a NOTIFICATION must reach the peer before the FIN.
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        channel.eventLoop().schedule(() -> {
            channel.close();
        }, CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void codec(CodecContext context) {
        decoder.context(context);
        encoder.context(context);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (IngestTrace.ON) {
            IngestTrace.record(IngestTrace.Event.TCP_UP, IngestTrace.peer(peer.id().address()), 0);
        }
        peer.fire(new FsmEvent.TcpConnected(this));
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        peer.fire(new FsmEvent.TcpClosed(this, "closed by peer"));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof DecodedUpdate d) {
            if (d.action() != UpdateAction.ACCEPT) {
                LOG.warn("bgp peer {}: UPDATE with errors, {} (RFC 7606): {}", peer.id(), d.action(), d.errors());
            }
            Optional<Update> apply = d.forRib();
            if (IngestTrace.ON) {
                IngestTrace.record(IngestTrace.Event.UPDATE_READ, IngestTrace.peer(peer.id().address()),
                        apply.map(u -> u.announced().size() + u.allWithdrawn().size()).orElse(0));
            }
            // A treat-as-withdraw with no prefixes has nothing to apply but still shows the peer alive.
            peer.fire(new FsmEvent.Received(this, apply.isPresent() ? apply.get() : Keepalive.INSTANCE));
            if (apply.isPresent() && backlog.incrementAndGet() >= maxBacklog && channel.config().isAutoRead()) {
                channel.config().setAutoRead(false);
                peer.fire(new FsmEvent.Backlog(this, true));
            }
        } else if (msg instanceof BgpWireException e) {
            peer.fire(new FsmEvent.Malformed(this, e));
        } else if (msg instanceof BgpMessage m) {
            peer.fire(new FsmEvent.Received(this, m));
        }
    }

    /** The listener applied one UPDATE of this connection; reading resumes once the backlog is down to a quarter. */
    void processed() {
        if (backlog.decrementAndGet() == maxBacklog / 4) {
            channel.eventLoop().execute(() -> {
                if (!channel.config().isAutoRead()) {
                    channel.config().setAutoRead(true);
                    peer.fire(new FsmEvent.Backlog(this, false));
                }
            });
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (channel.isWritable()) {
            peer.maybeWritable(this);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("bgp peer {}: connection error", peer.id(), cause);
        peer.fire(new FsmEvent.TcpClosed(this, cause.toString()));
        ctx.close();
    }

    @Override
    public String toString() {
        return (outgoing ? "out " : "in ") + channel;
    }
}
