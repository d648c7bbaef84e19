package dev.weft.bgp.fsm;

import dev.weft.bgp.wire.BgpMessage;
import dev.weft.bgp.wire.Keepalive;
import dev.weft.bgp.wire.Notification;
import dev.weft.bgp.wire.Open;
import dev.weft.bgp.wire.RouteRefresh;
import dev.weft.bgp.wire.Update;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One direction's BGP messages of one peer, counted by type where they are read or written. Each
 * slot has one writer (the FSM's thread; UPDATEs out, the thread that drains the Adj-RIB-Out), so
 * a lazy set is enough; {@link #snapshot()} may run on any thread.
 */
final class MessageTally {
    private static final int OPEN = 0;
    private static final int UPDATE = 1;
    private static final int NOTIFICATION = 2;
    private static final int KEEPALIVE = 3;
    private static final int ROUTE_REFRESH = 4;
    private final AtomicLongArray counts = new AtomicLongArray(5);

    void count(BgpMessage m) {
        int slot = m instanceof Update ? UPDATE : m instanceof Keepalive ? KEEPALIVE : m instanceof Open ? OPEN
                : m instanceof Notification ? NOTIFICATION : m instanceof RouteRefresh ? ROUTE_REFRESH : -1;
        if (slot >= 0) {
            counts.lazySet(slot, counts.get(slot) + 1);
        }
    }

    void countUpdate() {
        counts.lazySet(UPDATE, counts.get(UPDATE) + 1);
    }

    PeerStatus.Messages snapshot() {
        return new PeerStatus.Messages(counts.get(OPEN), counts.get(UPDATE), counts.get(NOTIFICATION),
                counts.get(KEEPALIVE), counts.get(ROUTE_REFRESH));
    }
}
