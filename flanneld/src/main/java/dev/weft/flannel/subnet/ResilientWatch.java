package dev.weft.flannel.subnet;

import dev.weft.flannel.subnet.kv.KvEvent;
import dev.weft.flannel.subnet.kv.KvException;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.flannel.subnet.kv.KvWatch;
import dev.weft.flannel.subnet.kv.KvWatchListener;
import dev.weft.retry.Backoff;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watch that survives: it starts from a listing, resumes after a disconnect from the revision
 * after the last one seen (backoff 100 ms doubling to 5 s), and re-lists when the store says that
 * revision was compacted. Everything, including the handler's callbacks, runs on the caller's
 * single-threaded executor, so handlers need no locking.
 *
 * <p>A callback that throws is logged and answered with a re-list (a plain executor would keep the
 * exception in a future nobody reads, and the events would be gone). At most {@link #MAX_QUEUED}
 * watch responses wait for the executor; past that the watch is dropped and resumed from the last
 * revision handled, so a slow handler neither blocks the store's thread nor grows a queue.
 */
public final class ResilientWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResilientWatch.class);

    /** What the owner does with the watched keys. Both run on the executor. */
    public interface Handler {
        /** Lists the current state and returns the revision it is current to. */
        long resync();

        void onEvents(List<KvEvent> events);
    }

    private final KvStore store;
    private final String key;
    private final boolean prefix;
    private final ScheduledExecutorService executor;
    private final Handler handler;
    static final int MAX_QUEUED = 1024;

    /** flannel's watch retry: 100 ms doubling to 5 s, reset after a success. */
    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));
    private final Liveness liveness;
    private final AtomicInteger queued = new AtomicInteger();
    /** Watches opened after the first (reconnects, re-lists), and failures of the store or the handler; for /metrics. */
    private final java.util.concurrent.atomic.AtomicLong opened = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong errors = new java.util.concurrent.atomic.AtomicLong();
    private boolean failing;    // a callback threw; cleared by the next successful listing
    private long next;          // revision to resume from
    private int generation;     // callbacks of older watches are ignored
    private KvWatch current;
    private volatile boolean closed;

    ResilientWatch(KvStore store, String key, boolean prefix, ScheduledExecutorService executor, Handler handler) {
        this(store, key, prefix, executor, handler, new Liveness());
    }

    public ResilientWatch(KvStore store, String key, boolean prefix, ScheduledExecutorService executor, Handler handler,
                   Liveness liveness) {
        this.liveness = liveness;
        this.store = store;
        this.key = key;
        this.prefix = prefix;
        this.executor = executor;
        this.handler = handler;
    }

    /** Starts watching after {@code revision} (known state), or with a listing first when it is 0. */
    public void start(long revision) {
        run(() -> {
            if (revision > 0) {
                next = revision + 1;
                open();
            } else {
                resync();
            }
        });
    }

    private void resync() {
        if (closed) {
            return;
        }
        long rev;
        try {
            rev = handler.resync();
        } catch (KvException e) {
            long d = backoff.nextMillis();
            errors.incrementAndGet();
            LOG.warn("Listing {} failed ({}); retrying in {} ms", key, e.getMessage(), d);
            later(this::resync, d);
            return;
        }
        failing = false;
        next = rev + 1;
        open();
    }

    private void open() {
        if (closed) {
            return;
        }
        closeCurrent();
        int gen = ++generation;
        opened.incrementAndGet();
        try {
            current = store.watch(key, prefix, next, new Listener(gen));
        } catch (RuntimeException e) {
            disconnected(gen, e);
        }
    }

    private final class Listener implements KvWatchListener {
        private final int gen;
        private volatile boolean overflowed; // once set, nothing more of this watch is queued

        Listener(int gen) {
            this.gen = gen;
        }

        @Override
        public void onEvents(List<KvEvent> events, long revision) {
            if (overflowed) {
                return;
            }
            if (queued.incrementAndGet() > MAX_QUEUED) {
                queued.decrementAndGet();
                overflowed = true;
                LOG.warn("Watch of {}: more than {} watch responses waiting for the handler; dropping the watch "
                        + "and resuming from the last revision handled", key, MAX_QUEUED);
                run(() -> disconnected(gen, new KvException("more than " + MAX_QUEUED + " watch responses waiting")));
                return;
            }
            run(() -> {
                queued.decrementAndGet();
                if (live(gen)) {
                    handler.onEvents(events);
                    advance(events, revision);
                    backoff.reset();
                }
            });
        }

        @Override
        public void onCompacted(long compactRevision) {
            run(() -> {
                if (live(gen)) {
                    LOG.warn("Watch of {} fell behind compaction (compacted at revision {}, wanted {}); re-listing",
                            key, compactRevision, next);
                    closeCurrent();
                    resync();
                }
            });
        }

        @Override
        public void onDisconnected(Throwable cause) {
            run(() -> disconnected(gen, cause));
        }
    }

    /**
     * flannel resumes from header.revision + 1. When a response carries events we resume after its
     * last event instead: etcd may split a long catch-up into several responses that all carry the
     * current header revision, and resuming after that would skip the rest. Without events the
     * header revision is safe (etcd only sends such a response once the watch is in sync).
     */
    private void advance(List<KvEvent> events, long revision) {
        long after = events.isEmpty() ? revision : events.get(events.size() - 1).entry().modRevision();
        next = Math.max(next, after + 1);
    }

    private void disconnected(int gen, Throwable cause) {
        if (!live(gen)) {
            return;
        }
        closeCurrent();
        generation++; // nothing more from that watch
        long d = backoff.nextMillis();
        errors.incrementAndGet();
        LOG.warn("Watch of {} lost ({}); reconnecting from revision {} in {} ms", key, cause.getMessage(), next, d);
        later(this::open, d);
    }

    private boolean live(int gen) {
        return !closed && gen == generation;
    }

    private void closeCurrent() {
        if (current != null) {
            current.close();
            current = null;
        }
    }

    private void run(Runnable r) {
        try {
            executor.execute(() -> guarded(r));
        } catch (RejectedExecutionException e) {
            // executor shut down: the owner is closing
        }
    }

    private void later(Runnable r, long ms) {
        try {
            executor.schedule(() -> guarded(r), ms, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Runs one task on the executor; a failure is logged and answered with a fresh listing. */
    private void guarded(Runnable r) {
        liveness.working();
        try {
            r.run();
        } catch (RuntimeException e) {
            failing = true;
            closeCurrent();
            generation++; // what that watch still sends is not applied on top of a lost event
            long d = backoff.nextMillis();
            errors.incrementAndGet();
            LOG.error("Handling the watch of {} failed; re-listing in {} ms: {}", key, d, e.toString(), e);
            later(this::resync, d);
            return;
        }
        if (!failing) {
            liveness.progressed();
        }
    }

    /** Times the watch was opened again after the first: reconnects after a loss, re-lists after compaction or a failure. */
    public long restarts() {
        return Math.max(0, opened.get() - 1);
    }

    /** Listings that failed, watches lost, handler failures. */
    public long errors() {
        return errors.get();
    }

    /** Stops watching. Safe from any thread. */
    @Override
    public void close() {
        closed = true;
        run(this::closeCurrent);
    }
}
