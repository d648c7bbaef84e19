package dev.weft.cni.thick;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One invocation per container in weftd at a time, in the order they came: a runtime that gave up
 * on an ADD sends DEL for the same container while weftd may still be running that ADD, and the
 * DEL must act after it (an ADD finishing after its DEL leaks the veth, the route and the address).
 * A runtime never has two invocations of one container running on purpose, so the wait is only
 * ever behind a slow one; it is bounded in time and in how many may wait at once, because a
 * waiter holds one of the socket's threads.
 */
final class ContainerTurns {
    private final int maxWaiting;
    /** The containers with an invocation running or waiting; an entry goes with its last user. Guarded by {@code this}. */
    private final Map<String, Turn> turns = new HashMap<>();
    private int waiting;

    ContainerTurns(int maxWaiting) {
        this.maxWaiting = maxWaiting;
    }

    /** A container's turn, held until closed. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    private static final class Turn {
        // fair: the DEL that came second runs second; not a lock, which the thread holding it could take twice
        final Semaphore permit = new Semaphore(1, true);
        int users;
    }

    private static final Held NONE = () -> {
    };

    /**
     * The turn of {@code containerId} (an invocation without one, GC or STATUS, needs none), at once
     * or after the invocations ahead of it; null when it did not come within {@code timeoutNanos}
     * or {@link #maxWaiting} others wait already.
     */
    Held await(String containerId, long timeoutNanos) throws InterruptedException {
        if (containerId.isEmpty()) {
            return NONE;
        }
        Turn t;
        synchronized (this) {
            t = turns.computeIfAbsent(containerId, k -> new Turn());
            t.users++;
        }
        boolean got = false;
        try {
            // tryAcquire() would barge ahead of those already waiting; a timed one with no time keeps their order
            got = t.permit.tryAcquire(0, TimeUnit.NANOSECONDS) || waitFor(t, timeoutNanos);
        } finally {
            if (!got) {
                leave(containerId, t);
            }
        }
        if (!got) {
            return null;
        }
        AtomicBoolean closed = new AtomicBoolean();
        return () -> {
            if (closed.compareAndSet(false, true)) { // a second close must not free the turn twice
                t.permit.release();
                leave(containerId, t);
            }
        };
    }

    private boolean waitFor(Turn t, long timeoutNanos) throws InterruptedException {
        synchronized (this) {
            if (waiting >= maxWaiting) {
                return false;
            }
            waiting++;
        }
        try {
            return t.permit.tryAcquire(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
        } finally {
            synchronized (this) {
                waiting--;
            }
        }
    }

    private synchronized void leave(String containerId, Turn t) {
        if (--t.users == 0) {
            turns.remove(containerId);
        }
    }

    /** Whether an invocation of {@code containerId} runs or waits now. */
    synchronized boolean busy(String containerId) {
        return turns.containsKey(containerId);
    }

    /** Invocations waiting now for an earlier one of their container. */
    synchronized int waiting() {
        return waiting;
    }
}
