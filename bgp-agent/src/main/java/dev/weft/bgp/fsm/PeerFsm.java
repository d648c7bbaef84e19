package dev.weft.bgp.fsm;

import dev.weft.bgp.status.KeepaliveLateness;
import dev.weft.bgp.status.KeepaliveStats;
import dev.weft.bgp.trace.IngestTrace;
import dev.weft.bgp.wire.BgpMessage;
import dev.weft.bgp.wire.BgpWireException;
import dev.weft.bgp.wire.Keepalive;
import dev.weft.bgp.wire.Notification;
import dev.weft.bgp.wire.Open;
import dev.weft.bgp.wire.RouteRefresh;
import dev.weft.bgp.wire.Update;
import dev.weft.retry.Backoff;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state machine of one configured peer (RFC 4271 §8). Up to two connections are in flight at
 * once (ours and the peer's, until collision detection keeps one, §6.8 and RFC 6286); each has its
 * own state, hold and keepalive timer; with none, the peer is Idle, Connect or Active. Pure: sockets
 * come in as {@link Connection}s and events, timers through a {@link Scheduler}, and what the world
 * must do goes out through the {@link Driver}. Not thread-safe: every call on the same thread.
 *
 * <p>Longer than the house's ~450 lines on purpose: it is one state machine, read top to bottom
 * (events, per-state handling, collisions, timers), and its parts share the connections' state.
 */
final class PeerFsm {
    private static final Logger LOG = LoggerFactory.getLogger(PeerFsm.class);
    /** RFC 4271 §8.2.2: the hold timer while waiting for the OPEN ("4 minutes is suggested"). */
    static final long OPEN_SENT_HOLD_MILLIS = 240_000;
    private static final Notification COLLISION = Notification.of(Notification.CEASE, 7);

    /** What the FSM asks of its transport and of the upper layer. */
    interface Driver {
        /** Open an outgoing connection; answer with {@link FsmEvent.TcpConnected} or {@link FsmEvent.TcpFailed}. */
        void connect();

        void established(Connection connection, Negotiated negotiated);

        /** An UPDATE or ROUTE-REFRESH on the Established connection. */
        void received(Connection connection, BgpMessage message);

        void down(DownReason reason);
    }

    /** One connection's progress. */
    private final class Session {
        final Connection io;
        SessionState state = SessionState.OPEN_SENT;
        Negotiated negotiated;
        Scheduler.Timer hold = Scheduler.NONE;
        Scheduler.Timer keepalive = Scheduler.NONE;
        /** When the armed keepalive timer is due: lateness is measured from the deadline, not from when the timer ran. */
        long keepaliveDueMillis;
        long lastHeardMillis;
        boolean paused;

        Session(Connection io) {
            this.io = io;
            this.lastHeardMillis = scheduler.nowMillis();
        }

        long holdMillis() {
            return state == SessionState.OPEN_SENT ? OPEN_SENT_HOLD_MILLIS : negotiated.holdTime() * 1000L;
        }

        void cancelTimers() {
            hold.cancel();
            keepalive.cancel();
            hold = Scheduler.NONE;
            keepalive = Scheduler.NONE;
        }
    }

    private final PeerId id;
    private final PeerConfig config;
    private final OpenNegotiation negotiation;
    private final Scheduler scheduler;
    private final Driver driver;
    private final Backoff backoff;
    private final List<Session> sessions = new ArrayList<>(2);

    private boolean started;
    private boolean connecting;
    /** The state while no connection is up: Idle, Connect or Active. */
    private SessionState idleState = SessionState.IDLE;
    private Scheduler.Timer connectRetry = Scheduler.NONE;
    private Scheduler.Timer idleHold = Scheduler.NONE;
    private Scheduler.Timer stable = Scheduler.NONE;

    // Read by status() from other threads; written only on the FSM's thread.
    private volatile SessionState published = SessionState.IDLE;
    private volatile long establishedAtMillis;
    private volatile String lastError = "";
    private volatile Negotiated publishedNegotiated;
    final MessageTally messagesIn = new MessageTally();
    final MessageTally messagesOut = new MessageTally();
    private final KeepaliveLateness lateness = new KeepaliveLateness();
    private volatile KeepaliveStats keepalives = KeepaliveStats.NONE;
    private volatile long readPauses;

    PeerFsm(SpeakerConfig speaker, PeerConfig config, Scheduler scheduler, Driver driver) {
        this.id = config.id();
        this.config = config;
        this.negotiation = new OpenNegotiation(speaker, config);
        this.scheduler = scheduler;
        this.driver = driver;
        this.backoff = new Backoff(speaker.backoffMin(), speaker.backoffMax());
    }

    PeerId id() {
        return id;
    }

    PeerConfig config() {
        return config;
    }

    SessionState state() {
        return published;
    }

    PeerStatus status() {
        Negotiated n = publishedNegotiated;
        SessionState s = published;
        return new PeerStatus(id, s, s == SessionState.ESTABLISHED ? scheduler.nowMillis() - establishedAtMillis : 0,
                lastError, messagesIn.snapshot(), messagesOut.snapshot(), readPauses,
                Optional.ofNullable(s == SessionState.ESTABLISHED ? n : null), keepalives);
    }

    void handle(FsmEvent event) {
        if (event instanceof FsmEvent.Received r) {
            received(r.connection(), r.message());
        } else if (event instanceof FsmEvent.KeepaliveTimerExpired k) {
            keepaliveDue(k.connection());
        } else if (event instanceof FsmEvent.HoldTimerExpired h) {
            holdExpired(h.connection());
        } else if (event instanceof FsmEvent.TcpConnected c) {
            tcpConnected(c.connection());
        } else if (event instanceof FsmEvent.TcpFailed f) {
            tcpFailed(f.why());
        } else if (event instanceof FsmEvent.TcpClosed c) {
            find(c.connection()).ifPresent(s -> fail(s, null, null, "connection closed: " + c.why()));
        } else if (event instanceof FsmEvent.Malformed m) {
            find(m.connection()).ifPresent(s -> fail(s, m.error().notification(), null, m.error().getMessage()));
        } else if (event instanceof FsmEvent.Backlog b) {
            find(b.connection()).ifPresent(s -> backlog(s, b.paused()));
        } else if (event instanceof FsmEvent.ConnectRetryExpired) {
            connectRetryExpired();
        } else if (event instanceof FsmEvent.IdleHoldExpired) {
            idleHold = Scheduler.NONE;
            if (started && sessions.isEmpty()) {
                beginConnecting();
            }
        } else if (event instanceof FsmEvent.Start) {
            start();
        } else if (event instanceof FsmEvent.Stop s) {
            stop(s.cease());
        }
        publish();
    }

    private void start() {
        if (started) {
            return;
        }
        started = true;
        beginConnecting();
    }

    private void beginConnecting() {
        if (config.passive()) {
            idleState = SessionState.ACTIVE;
            return;
        }
        idleState = SessionState.CONNECT;
        connect();
    }

    private void connect() {
        if (!connecting) {
            connecting = true;
            driver.connect();
        }
        connectRetry.cancel();
        connectRetry = scheduler.schedule(config.connectRetry().toMillis(), () -> handle(new FsmEvent.ConnectRetryExpired()));
    }

    private void connectRetryExpired() {
        connectRetry = Scheduler.NONE;
        if (started && sessions.isEmpty() && idleState != SessionState.IDLE && !config.passive()) {
            idleState = SessionState.CONNECT;
            connect();
        }
    }

    private void tcpFailed(String why) {
        connecting = false;
        lastError = "connect: " + why;
        if (sessions.isEmpty() && idleState == SessionState.CONNECT) {
            idleState = SessionState.ACTIVE; // keep listening; the connect retry timer tries again
        }
    }

    private void tcpConnected(Connection c) {
        if (c.outgoing()) {
            connecting = false;
        }
        // The back-off only holds back our own connects: refusing the peer's as well made two
        // speakers whose back-offs alternate refuse each other for ever.
        if (!started || (c.outgoing() && established().isPresent())) {
            c.close();
            return;
        }
        for (Session old : List.copyOf(sessions)) {
            if (old.state != SessionState.ESTABLISHED && old.io.outgoing() == c.outgoing()) {
                drop(old, COLLISION, "replaced by a newer connection");
            }
        }
        Session s = new Session(c);
        sessions.add(s);
        connectRetry.cancel();
        connectRetry = Scheduler.NONE;
        send(s, negotiation.ourOpen());
        armHold(s, OPEN_SENT_HOLD_MILLIS);
    }

    private void received(Connection c, BgpMessage m) {
        Optional<Session> found = find(c);
        if (found.isEmpty()) {
            return;
        }
        Session s = found.get();
        messagesIn.count(m);
        s.lastHeardMillis = scheduler.nowMillis();
        if (m instanceof Notification n) {
            fail(s, null, n, "peer sent a NOTIFICATION");
            return;
        }
        switch (s.state) {
            case OPEN_SENT -> {
                if (m instanceof Open open) {
                    opened(s, open);
                } else {
                    fsmError(s, 1, m);
                }
            }
            case OPEN_CONFIRM -> {
                if (m instanceof Keepalive) {
                    establish(s);
                } else {
                    fsmError(s, 2, m);
                }
            }
            case ESTABLISHED -> {
                if (m instanceof Update || m instanceof RouteRefresh) {
                    driver.received(c, m);
                } else if (!(m instanceof Keepalive)) {
                    fsmError(s, 3, m);
                }
            }
            default -> throw new IllegalStateException("a connection in " + s.state);
        }
    }

    private void opened(Session s, Open open) {
        if (IngestTrace.ON) {
            IngestTrace.record(IngestTrace.Event.OPEN_IN, IngestTrace.peer(id.address()), 0);
        }
        Negotiated n;
        try {
            n = negotiation.accept(open);
        } catch (BgpWireException e) {
            fail(s, e.notification(), null, e.getMessage());
            return;
        }
        for (Session other : List.copyOf(sessions)) {
            if (other == s) {
                continue;
            }
            if (other.state == SessionState.ESTABLISHED) {
                // RFC 4724 §4.2: a new OPEN while Established means the peer restarted, but only
                // if it says so (Restart State bit): a connect the peer started while we were down,
                // landing just after ours got Established, is a §6.8 collision, and taking it for a
                // restart killed both connections (the peer refuses the new one, its own being up).
                if (other.negotiated.gracefulRestart().isEmpty()
                        || n.gracefulRestart().map(r -> !r.restarting()).orElse(true)) {
                    drop(s, COLLISION, "collision with the Established session");
                    return;
                }
                close(other, null, null, "peer reopened the session (restarted)", true);
            } else if (!winsCollision(s, open)) {
                drop(s, COLLISION, "lost the connection collision");
                return;
            } else {
                drop(other, COLLISION, "lost the connection collision");
            }
        }
        s.negotiated = n;
        s.state = SessionState.OPEN_CONFIRM;
        s.io.codec(n.codecContext()); // before our KEEPALIVE: the peer's UPDATEs follow it
        send(s, Keepalive.INSTANCE);
        s.hold.cancel();
        if (n.holdTime() > 0) {
            armHold(s, s.holdMillis());
            armKeepalive(s);
        }
    }

    /**
     * RFC 4271 §6.8 and RFC 6286 §2.3: the connection opened by the side with the higher BGP
     * identifier survives; with equal identifiers, the side with the larger AS.
     */
    private boolean winsCollision(Session s, Open open) {
        int cmp = Integer.compareUnsigned(negotiation.routerId(), open.bgpIdentifier());
        boolean localWins = cmp > 0 || (cmp == 0 && negotiation.localAs() > open.as());
        return s.io.outgoing() == localWins;
    }

    private void establish(Session s) {
        if (IngestTrace.ON) {
            IngestTrace.record(IngestTrace.Event.ESTABLISHED, IngestTrace.peer(id.address()), 0);
        }
        s.state = SessionState.ESTABLISHED;
        establishedAtMillis = scheduler.nowMillis();
        publishedNegotiated = s.negotiated;
        stable.cancel();
        stable = scheduler.schedule(backoff.maxMillis(), backoff::reset);
        LOG.info("bgp peer {}: Established (hold {} s, keepalive {} s, families {}{})", id, s.negotiated.holdTime(),
                s.negotiated.keepaliveTime(), s.negotiated.families(),
                s.negotiated.gracefulRestart().isPresent() ? ", graceful restart" : "");
        driver.established(s.io, s.negotiated);
    }

    private void fsmError(Session s, int subcode, BgpMessage m) {
        fail(s, Notification.of(Notification.FSM_ERROR, subcode), null,
                "unexpected " + m.getClass().getSimpleName() + " in " + s.state);
    }

    private void keepaliveDue(Connection c) {
        find(c).ifPresent(s -> {
            send(s, Keepalive.INSTANCE);
            // "Sent" is when the write is issued on the FSM's thread, not when the socket flushes it.
            lateness.sent(s.keepaliveDueMillis * 1_000_000, scheduler.nowMillis() * 1_000_000,
                    s.negotiated.keepaliveTime() * 1_000_000_000L);
            keepalives = lateness.snapshot();
            armKeepalive(s);
        });
    }

    private void holdExpired(Connection c) {
        Optional<Session> found = find(c);
        if (found.isEmpty() || found.get().paused) {
            return;
        }
        Session s = found.get();
        // The timer is not moved per message (no allocation per UPDATE): it checks when it fires.
        long left = s.lastHeardMillis + s.holdMillis() - scheduler.nowMillis();
        if (left > 0) {
            armHold(s, left);
        } else {
            fail(s, Notification.of(Notification.HOLD_TIMER_EXPIRED, 0), null, "hold timer expired");
        }
    }

    /**
     * While we do not read (the listener's backlog is full) the peer's KEEPALIVEs wait unread in the
     * socket, so the hold timer would blame the peer for our slowness: it stops, and restarts full
     * when reading resumes. The cost: a peer that dies meanwhile is noticed only once we read again.
     */
    private void backlog(Session s, boolean paused) {
        s.paused = paused;
        if (paused) {
            readPauses++;
        }
        s.hold.cancel();
        s.hold = Scheduler.NONE;
        if (!paused) {
            s.lastHeardMillis = scheduler.nowMillis();
            if (s.state == SessionState.OPEN_SENT || s.negotiated.holdTime() > 0) {
                armHold(s, s.holdMillis());
            }
        }
    }

    private void stop(Notification cease) {
        if (!started && sessions.isEmpty()) {
            return;
        }
        started = false;
        connecting = false;
        idleState = SessionState.IDLE;
        connectRetry.cancel();
        idleHold.cancel();
        stable.cancel();
        for (Session s : List.copyOf(sessions)) {
            close(s, cease, null, "stopped", false);
        }
        lastError = cease == null ? "stopped for a restart (no NOTIFICATION: a graceful-restart peer keeps our routes)"
                : "stopped: sent " + NotificationText.describe(cease);
    }

    /** Ends a connection for an error: NOTIFICATION (if any), close, and the back-off when nothing is left. */
    private void fail(Session s, Notification sent, Notification received, String message) {
        boolean loggedDown = s.state == SessionState.ESTABLISHED; // close() logs the error with "session down"
        close(s, sent, received, message, false);
        if (sessions.isEmpty() && started) {
            idleState = SessionState.IDLE;
            connectRetry.cancel();
            idleHold.cancel();
            long wait = backoff.nextMillis();
            idleHold = scheduler.schedule(wait, () -> handle(new FsmEvent.IdleHoldExpired()));
            if (loggedDown) {
                LOG.info("bgp peer {}: retrying in {} ms", id, wait); // the error is logged once
            } else {
                LOG.info("bgp peer {}: {}; retrying in {} ms", id, lastError, wait);
            }
        }
    }

    /** Collision losers and replaced connections: not a failure of the peer. */
    private void drop(Session s, Notification sent, String message) {
        if (sent != null) {
            send(s, sent);
        }
        s.cancelTimers();
        s.io.close();
        sessions.remove(s);
        LOG.debug("bgp peer {}: closed a {} connection: {}", id, s.io.outgoing() ? "outgoing" : "incoming", message);
    }

    private void close(Session s, Notification sent, Notification received, String message, boolean restarted) {
        drop(s, sent, message);
        StringBuilder text = new StringBuilder(message);
        if (sent != null) {
            text.append("; sent ").append(NotificationText.describe(sent));
        }
        if (received != null) {
            text.append("; received ").append(NotificationText.describe(received));
        }
        // A collision loser or a spare connection closing while another carries on is no news.
        if (s.state == SessionState.ESTABLISHED || sessions.isEmpty()) {
            lastError = text.toString();
        }
        if (s.state == SessionState.ESTABLISHED) {
            stable.cancel();
            boolean gr = s.negotiated.gracefulRestart().isPresent();
            // RFC 4724 §4.2: without a NOTIFICATION the drop looks like a restart; with one (a Cease/9
            // hard reset included) it is a real end and the routes go now.
            boolean graceful = gr && (restarted || (sent == null && received == null));
            LOG.info("bgp peer {}: session down: {}{}", id, lastError, graceful ? " (graceful)" : "");
            driver.down(new DownReason(graceful, Optional.ofNullable(sent), Optional.ofNullable(received), message));
        }
    }

    private void armHold(Session s, long millis) {
        Connection c = s.io;
        s.hold = scheduler.schedule(millis, () -> handle(new FsmEvent.HoldTimerExpired(c)));
    }

    private void armKeepalive(Session s) {
        Connection c = s.io;
        s.keepaliveDueMillis = scheduler.nowMillis() + s.negotiated.keepaliveTime() * 1000L;
        s.keepalive = scheduler.schedule(s.negotiated.keepaliveTime() * 1000L,
                () -> handle(new FsmEvent.KeepaliveTimerExpired(c)));
    }

    private void send(Session s, BgpMessage m) {
        messagesOut.count(m);
        s.io.send(m);
    }

    private Optional<Session> established() {
        for (Session s : sessions) {
            if (s.state == SessionState.ESTABLISHED) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    private Optional<Session> find(Connection c) {
        for (Session s : sessions) {
            if (s.io == c) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    private void publish() {
        SessionState best = null;
        for (Session s : sessions) {
            if (best == null || s.state.compareTo(best) > 0) {
                best = s.state;
            }
        }
        SessionState now = best != null ? best : idleState;
        if (now != published) {
            LOG.debug("bgp peer {}: {} -> {}", id, published, now);
            published = now;
        }
    }
}
