package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.BgpMessage;
import dev.weft.bgp.wire.BgpWireException;
import dev.weft.bgp.wire.Notification;

/** What happens to a {@link PeerFsm}: administrative commands, timers, TCP and messages (RFC 4271 §8.1). */
sealed interface FsmEvent {
    /** ManualStart: connect (or, for a passive peer, wait to be connected to). */
    record Start() implements FsmEvent {}

    /** ManualStop: send the Cease on every connection, close, stay Idle. */
    /** Ends every connection, with {@code cease} first, or with no NOTIFICATION when it is null (a restart). */
    record Stop(Notification cease) implements FsmEvent {}

    record ConnectRetryExpired() implements FsmEvent {}

    /** The back-off after a failure is over. */
    record IdleHoldExpired() implements FsmEvent {}

    /** A TCP connection is up, ours ({@link Connection#outgoing()}) or accepted from the peer. */
    record TcpConnected(Connection connection) implements FsmEvent {}

    /** Our outgoing connection attempt failed. */
    record TcpFailed(String why) implements FsmEvent {}

    record TcpClosed(Connection connection, String why) implements FsmEvent {}

    record Received(Connection connection, BgpMessage message) implements FsmEvent {}

    /** The codec refused a message; the exception carries the NOTIFICATION to send. */
    record Malformed(Connection connection, BgpWireException error) implements FsmEvent {}

    record HoldTimerExpired(Connection connection) implements FsmEvent {}

    record KeepaliveTimerExpired(Connection connection) implements FsmEvent {}

    /**
     * The transport stopped ({@code paused}) or resumed reading the connection because the
     * listener has a backlog. Our own backlog must not expire the peer's hold timer.
     */
    record Backlog(Connection connection, boolean paused) implements FsmEvent {}
}
