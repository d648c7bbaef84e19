package dev.weft.flannel.subnet;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Whether a worker thread is getting its work done: it is stalled from the moment it takes up
 * work (or fails at it) until that work completes, and unhealthy once that has lasted longer
 * than a bound. An idle worker is healthy. Written by the worker, read from anywhere (readiness).
 */
public final class Liveness {
    /** How long a stall may last before readiness reports it. */
    public static final Duration DEFAULT_BOUND = Duration.ofSeconds(60);

    private final Duration bound;
    private volatile Instant stalledSince;
    private volatile Instant lastProgress = Instant.now();

    public Liveness() {
        this(DEFAULT_BOUND);
    }

    public Liveness(Duration bound) {
        this.bound = bound;
    }

    /** Work was taken up (or failed): the stall clock runs unless it already does. */
    public void working() {
        if (stalledSince == null) {
            stalledSince = Instant.now();
        }
    }

    /** The work at hand completed. */
    public void progressed() {
        lastProgress = Instant.now();
        stalledSince = null;
    }

    /** False once the worker has been stalled for longer than the bound at {@code now}. */
    public boolean healthy(Instant now) {
        Instant s = stalledSince;
        return s == null || !now.isAfter(s.plus(bound));
    }

    /** Since when the current stall lasts, if one does. */
    public Optional<Instant> stalledSince() {
        return Optional.ofNullable(stalledSince);
    }

    /** When work last completed (or the worker was created). */
    public Instant lastProgress() {
        return lastProgress;
    }
}
