package dev.weft.flannel.daemon;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.metrics.Histogram;
import dev.weft.flannel.subnet.Liveness;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds lease events to the backend on a thread of its own, and turns a burst of them (a node
 * start, a thousand leases in one etcd transaction) into a single {@link LeaseEvent.Snapshot}: the
 * backend then programs the whole burst with a handful of batched netlink requests instead of
 * three round trips per lease. A lone event passes through as it is.
 *
 * <p>The complete set of leases for such a snapshot is the watcher's own (its view already holds
 * every event queued here), so the set is kept once. The queue is bounded: when it is full, events
 * are dropped and the backend is resynchronised from the whole view instead. When the backend
 * throws, that is logged and counted, and the whole view is delivered again after a backoff
 * (0.5 s doubling to 30 s) until it goes through.
 */
final class LeaseEventPump implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseEventPump.class);
    static final int CAPACITY = 4096;
    private static final long FIRST_RETRY_MS = 500;
    /**
     * An idle pump sleeps until an event or close() (an interrupt) wakes it. The timeout only bounds
     * how long a raised overflow flag could sit unseen, and an overflow means a full queue, which
     * wakes it anyway; short timeouts just cost an idle node CPU.
     */
    private static final long IDLE_WAIT_MS = 60_000;
    private static final long MAX_RETRY_MS = 30_000;

    /** Who gets the events (the backend's type, or what else is fed), for the logs. */
    private final String target;
    private final Consumer<LeaseEvent> sink;
    private final ArrayBlockingQueue<LeaseEvent> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final AtomicBoolean overflowed = new AtomicBoolean();
    private final Liveness liveness = new Liveness();
    private final LongAdder failures = new LongAdder();
    private final LongAdder overflows = new LongAdder();
    /** Events heard from the watcher, by kind: added, removed, snapshot (for /metrics). */
    private final LongAdder added = new LongAdder();
    private final LongAdder removed = new LongAdder();
    private final LongAdder snapshots = new LongAdder();
    /** How long the backend took to program each delivery (an event, a coalesced burst, a resync). */
    private final Histogram applySeconds = new Histogram(Histogram.APPLY_BOUNDS);
    private volatile Supplier<Collection<Lease>> view;
    private volatile Thread worker;
    private volatile boolean running = true;

    LeaseEventPump(Backend backend) {
        this("backend " + backend.type(), backend::handle);
    }

    /**
     * A pump that hands its deliveries to {@code sink} instead of a backend: on block IPAM, the bgp
     * backend's vxlan device and userspace IPIP path are fed the blocks' leases this way, apart from
     * the registrations that make its BGP mesh, with the same coalescing, retry and health.
     */
    LeaseEventPump(String target, Consumer<LeaseEvent> sink) {
        this.target = target;
        this.sink = sink;
    }

    /** The watcher's listener: never blocks the watch. Events queue until {@link #start}. */
    void accept(LeaseEvent e) {
        (e instanceof LeaseEvent.Added ? added : e instanceof LeaseEvent.Removed ? removed : snapshots).increment();
        if (!queue.offer(e)) {
            overflows.increment();
            if (overflowed.compareAndSet(false, true)) {
                LOG.warn("more than {} lease events waiting for the backend; dropping them and resynchronising "
                        + "it from the whole lease set", CAPACITY);
            }
        }
    }

    /** Starts delivering; {@code view} is the watcher's set of delivered leases. */
    void start(Supplier<Collection<Lease>> view) {
        this.view = Objects.requireNonNull(view, "view");
        Thread t = new Thread(this::loop, "weftd-lease-events");
        t.setDaemon(true);
        worker = t;
        t.start();
    }

    /** False when the backend has been busy with, or failing at, lease events for longer than the bound. */
    boolean healthy(Instant now) {
        return liveness.healthy(now);
    }

    /** Events heard of one kind: "added", "removed" or "snapshot". */
    long events(String kind) {
        return switch (kind) {
            case "added" -> added.sum();
            case "removed" -> removed.sum();
            case "snapshot" -> snapshots.sum();
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** Deliveries the backend threw on. */
    long failures() {
        return failures.sum();
    }

    /** Time the backend took per successful delivery (weft_dataplane_apply_seconds). */
    Histogram applySeconds() {
        return applySeconds;
    }

    /** Events dropped because the queue was full (each led to a full resync). */
    long overflows() {
        return overflows.sum();
    }

    private void loop() {
        List<LeaseEvent> burst = new ArrayList<>();
        long retryMs = 0; // > 0: the last delivery failed; deliver the whole view after that long
        while (running) {
            try {
                LeaseEvent first = queue.poll(retryMs > 0 ? retryMs : IDLE_WAIT_MS, TimeUnit.MILLISECONDS);
                burst.clear();
                if (first != null) {
                    burst.add(first);
                    queue.drainTo(burst);
                }
                boolean whole = retryMs > 0 || overflowed.getAndSet(false);
                if (!whole && burst.isEmpty()) {
                    continue;
                }
                liveness.working();
                long t0 = System.nanoTime();
                try {
                    if (whole) {
                        queue.clear(); // all in the view already
                        List<Lease> all = List.copyOf(view.get());
                        sink.accept(new LeaseEvent.Snapshot(all, all, List.of()));
                    } else {
                        deliver(burst);
                    }
                    applySeconds.observeNanos(System.nanoTime() - t0);
                    liveness.progressed();
                    retryMs = 0;
                } catch (RuntimeException e) {
                    failures.increment();
                    retryMs = retryMs == 0 ? FIRST_RETRY_MS : Math.min(MAX_RETRY_MS, retryMs * 2);
                    LOG.error("{} failed on lease events; resynchronising it from the whole lease set in {} ms: {}",
                            target, retryMs, e.toString(), e);
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void deliver(List<LeaseEvent> burst) {
        if (burst.size() == 1) {
            sink.accept(burst.get(0));
            return;
        }
        List<Lease> added = new ArrayList<>();
        List<Lease> removed = new ArrayList<>();
        for (LeaseEvent e : burst) {
            if (e instanceof LeaseEvent.Added a) {
                added.add(a.lease());
            } else if (e instanceof LeaseEvent.Removed r) {
                removed.add(r.lease());
            } else if (e instanceof LeaseEvent.Snapshot s) {
                added.addAll(s.added());
                removed.addAll(s.removed());
            }
        }
        List<Lease> all = List.copyOf(view.get());
        LOG.debug("coalesced {} lease events into one snapshot of {} leases", burst.size(), all.size());
        sink.accept(new LeaseEvent.Snapshot(all, added, removed));
    }

    @Override
    public void close() {
        running = false;
        Thread t = worker;
        if (t != null) {
            t.interrupt();
        }
    }
}
