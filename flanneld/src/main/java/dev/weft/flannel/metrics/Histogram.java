package dev.weft.flannel.metrics;

import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Prometheus histogram of durations with fixed upper bounds in seconds: one adder per bucket
 * (not cumulative; the exposition sums them), a count and a sum. Observing allocates nothing and
 * takes no lock; a scrape racing an observation may see the count one ahead of a bucket, which
 * Prometheus tolerates.
 */
public final class Histogram {
    /** Bounds for work measured in milliseconds to seconds: one netlink round trip up to a 100,000-route resync. */
    public static final double[] APPLY_BOUNDS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private final double[] bounds;
    /** The le label of each bound as the Go client prints it ("0.0005", "1", "30"), then "+Inf". */
    private final String[] le;
    private final LongAdder[] buckets;
    private final LongAdder count = new LongAdder();
    private final DoubleAdder sum = new DoubleAdder();

    public Histogram(double... bounds) {
        if (bounds.length == 0) {
            throw new IllegalArgumentException("a histogram needs at least one bound");
        }
        for (int i = 1; i < bounds.length; i++) {
            if (!(bounds[i] > bounds[i - 1])) {
                throw new IllegalArgumentException("bounds must increase: " + bounds[i - 1] + " then " + bounds[i]);
            }
        }
        this.bounds = bounds.clone();
        this.le = new String[bounds.length + 1];
        for (int i = 0; i < bounds.length; i++) {
            le[i] = java.math.BigDecimal.valueOf(bounds[i]).stripTrailingZeros().toPlainString();
        }
        le[bounds.length] = "+Inf";
        this.buckets = new LongAdder[bounds.length + 1];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    /** One observation of {@code nanos} nanoseconds. */
    public void observeNanos(long nanos) {
        observe(nanos / 1e9);
    }

    /** One observation of {@code seconds}. */
    public void observe(double seconds) {
        int i = 0;
        while (i < bounds.length && seconds > bounds[i]) {
            i++;
        }
        buckets[i].increment();
        sum.add(seconds);
        count.increment();
    }

    public long count() {
        return count.sum();
    }

    public double sum() {
        return sum.sum();
    }

    /** The family: cumulative buckets with le, then _sum and _count. */
    public void write(Exposition e, String name, String help) {
        e.family(name, "histogram", help);
        long cumulative = 0;
        for (int i = 0; i < buckets.length; i++) {
            cumulative += buckets[i].sum();
            e.sample(name + "_bucket", cumulative, "le", le[i]);
        }
        e.sample(name + "_sum", sum());
        e.sample(name + "_count", cumulative);
    }
}
