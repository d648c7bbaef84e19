package dev.weft.bgp.fsm;

/**
 * Timers and time for a {@link PeerFsm}: an event loop in production, a hand-driven clock in tests.
 * Tasks run on the FSM's thread.
 */
interface Scheduler {
    Timer schedule(long delayMillis, Runnable task);

    long nowMillis();

    interface Timer {
        void cancel();
    }

    /** A timer that is not running. */
    Timer NONE = () -> { };
}
