package dev.weft.bgp.agent;

import dev.weft.bgp.fsm.PeerId;
import dev.weft.bgp.fsm.Sessions;
import dev.weft.bgp.rib.AdjRibOut;
import dev.weft.bgp.rib.PeerKey;
import dev.weft.bgp.rib.Rib;
import dev.weft.bgp.trace.IngestTrace;
import dev.weft.bgp.wire.Update;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * Moves UPDATEs from the Adj-RIBs-Out into their sessions: drained until the session says it is
 * full, then again when it is writable, so a slow peer costs a cursor, not a queue. While held (a
 * restarting speaker deferring its selection, RFC 4724 §4.1) nothing is sent; {@link #release}
 * sends everything that waited. RIB thread only.
 */
final class OutboundPump {
    /** Bytes of UPDATEs taken from an Adj-RIB-Out per drain step (the session's water mark bounds the rest). */
    private static final int DRAIN_BYTES = 64 * 1024;

    private final Rib rib;
    private final Sessions sessions;
    private final Executor ribThread;
    private final Set<PeerKey> queued = new HashSet<>();
    private final Set<PeerKey> waiting = new HashSet<>();
    private boolean held;

    OutboundPump(Rib rib, Sessions sessions, Executor ribThread) {
        this.rib = rib;
        this.sessions = sessions;
        this.ribThread = ribThread;
    }

    /** Holds every UPDATE (End-of-RIB included) until {@link #release}. */
    void hold() {
        held = true;
    }

    /** Sends what waited while held, and from now on as it comes. */
    void release() {
        if (!held) {
            return;
        }
        held = false;
        for (PeerKey key : Set.copyOf(waiting)) {
            drain(key);
        }
        waiting.clear();
    }

    /** The RIB's outbound listener: {@code out} has something to send. */
    void pending(AdjRibOut out) {
        PeerKey key = out.peer().key();
        if (held) {
            waiting.add(key);
            return;
        }
        // Drained in a task of its own: the RIB is not to be called back from inside its listener.
        if (queued.add(key)) {
            ribThread.execute(() -> {
                queued.remove(key);
                drain(key);
            });
        }
    }

    /** Sends what the peer's Adj-RIB-Out holds until it is empty or the session is full. */
    void drain(PeerKey key) {
        if (held) {
            waiting.add(key);
            return;
        }
        AdjRibOut out = rib.outbound(key);
        PeerId id = new PeerId(key.address());
        if (IngestTrace.ON) {
            IngestTrace.record(IngestTrace.Event.OUT_DRAIN_START, IngestTrace.peer(key.address()), 0);
        }
        while (out != null && out.hasPending()) {
            boolean stop = false;
            for (Update u : out.drain(DRAIN_BYTES)) {
                Sessions.SendResult r = sessions.send(id, u);
                if (r == Sessions.SendResult.NOT_ESTABLISHED) {
                    return; // the session went; its down event closes the Adj-RIB-Out
                }
                stop |= r == Sessions.SendResult.FULL;
            }
            if (stop) {
                return; // writable() resumes
            }
        }
    }
}
