package dev.weft.bgp.fsm;

import java.time.Duration;

/**
 * The wait before a failed session starts again (BIRD's "error wait time min,max"): min after the
 * first failure, doubling up to max, and min again once a session stayed Established for max.
 * Without it two speakers that disagree (a wrong AS, a bad password) would retry in a tight loop.
 */
final class Backoff {
    private final long minMillis;
    private final long maxMillis;
    private long nextMillis;

    Backoff(Duration min, Duration max) {
        this.minMillis = min.toMillis();
        this.maxMillis = max.toMillis();
        this.nextMillis = minMillis;
    }

    /** The wait for this failure; the next one waits twice as long, up to max. */
    long next() {
        long now = nextMillis;
        nextMillis = Math.min(maxMillis, nextMillis * 2);
        return now;
    }

    void reset() {
        nextMillis = minMillis;
    }

    long stableMillis() {
        return maxMillis;
    }
}
