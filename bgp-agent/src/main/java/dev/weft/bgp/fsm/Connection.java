package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.BgpMessage;
import dev.weft.bgp.wire.CodecContext;

/**
 * One TCP connection as the FSM sees it. The Netty transport implements it with a channel; the
 * pure tests with a recorder. Every method is called on the FSM's thread and must not block.
 */
interface Connection {
    /** Whether we initiated it (the collision rule keeps the connection of the higher identifier's side). */
    boolean outgoing();

    void send(BgpMessage message);

    /** Closes after what was sent so far has been written (a NOTIFICATION must reach the peer). */
    void close();

    /** Switches the decoder and encoder to what the OPENs negotiated. */
    void codec(CodecContext context);
}
