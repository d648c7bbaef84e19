package dev.weft.retry;

import java.time.Duration;

/**
 * An exponential wait between attempts: {@code min} after the first failure, doubling up to
 * {@code max}, and {@code min} again after {@link #reset()} (a success). Without it, two sides that
 * keep disagreeing (an etcd that refuses the watch, a BGP peer with a wrong AS) would retry in a
 * tight loop. Not thread-safe: each retry loop keeps its own.
 */
public final class Backoff {
    private final long minMillis;
    private final long maxMillis;
    private long nextMillis;

    public Backoff(Duration min, Duration max) {
        if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < min <= max, got " + min + ", " + max);
        }
        this.minMillis = min.toMillis();
        this.maxMillis = max.toMillis();
        this.nextMillis = minMillis;
    }

    /** The wait for this failure; the next one waits twice as long, up to max. */
    public long nextMillis() {
        long now = nextMillis;
        nextMillis = Math.min(maxMillis, nextMillis * 2);
        return now;
    }

    /** After a success: the next failure waits min again. */
    public void reset() {
        nextMillis = minMillis;
    }

    /** The longest wait; BGP also takes it as the time a session must stay up to count as stable. */
    public long maxMillis() {
        return maxMillis;
    }
}
