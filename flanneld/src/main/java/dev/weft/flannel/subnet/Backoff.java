package dev.weft.flannel.subnet;

import java.time.Duration;

/** Exponential reconnect delay: flannel's watch uses 100 ms doubling to 5 s, reset after a success. */
final class Backoff {
    static final Duration INITIAL = Duration.ofMillis(100);
    static final Duration MAX = Duration.ofSeconds(5);

    private final long initialMs;
    private final long maxMs;
    private long nextMs;

    Backoff() {
        this(INITIAL, MAX);
    }

    Backoff(Duration initial, Duration max) {
        this.initialMs = initial.toMillis();
        this.maxMs = max.toMillis();
        this.nextMs = initialMs;
    }

    /** The delay to wait now; the one after it is doubled (up to the cap). */
    long nextMillis() {
        long d = nextMs;
        nextMs = Math.min(maxMs, nextMs * 2);
        return d;
    }

    void reset() {
        nextMs = initialMs;
    }
}
