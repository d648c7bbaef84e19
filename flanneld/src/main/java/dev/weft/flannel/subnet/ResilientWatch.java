package dev.weft.flannel.subnet;

import dev.weft.flannel.subnet.kv.KvEvent;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.flannel.subnet.kv.KvWatch;
import dev.weft.flannel.subnet.kv.KvWatchListener;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watch that survives: it starts from a listing, resumes after a disconnect from the revision
 * after the last one seen (backoff 100 ms doubling to 5 s), and re-lists when the store says that
 * revision was compacted. Everything, including the handler's callbacks, runs on the caller's
 * single-threaded executor, so handlers need no locking.
 */
final class ResilientWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ResilientWatch.class);

    /** What the owner does with the watched keys. Both run on the executor. */
    interface Handler {
        /** Lists the current state and returns the revision it is current to. */
        long resync();

        void onEvents(List<KvEvent> events);
    }

    private final KvStore store;
    private final String key;
    private final boolean prefix;
    private final ScheduledExecutorService executor;
    private final Handler handler;
    private final Backoff backoff = new Backoff();
    private long next;          // revision to resume from
    private int generation;     // callbacks of older watches are ignored
    private KvWatch current;
    private volatile boolean closed;

    ResilientWatch(KvStore store, String key, boolean prefix, ScheduledExecutorService executor, Handler handler) {
        this.store = store;
        this.key = key;
        this.prefix = prefix;
        this.executor = executor;
        this.handler = handler;
    }

    /** Starts watching after {@code revision} (known state), or with a listing first when it is 0. */
    void start(long revision) {
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
        } catch (RuntimeException e) {
            long d = backoff.nextMillis();
            LOG.warn("Listing {} failed ({}); retrying in {} ms", key, e.getMessage(), d);
            later(this::resync, d);
            return;
        }
        next = rev + 1;
        open();
    }

    private void open() {
        if (closed) {
            return;
        }
        closeCurrent();
        int gen = ++generation;
        try {
            current = store.watch(key, prefix, next, new Listener(gen));
        } catch (RuntimeException e) {
            disconnected(gen, e);
        }
    }

    private final class Listener implements KvWatchListener {
        private final int gen;

        Listener(int gen) {
            this.gen = gen;
        }

        @Override
        public void onEvents(List<KvEvent> events, long revision) {
            run(() -> {
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
            executor.execute(r);
        } catch (RejectedExecutionException e) {
            // executor shut down: the owner is closing
        }
    }

    private void later(Runnable r, long ms) {
        try {
            executor.schedule(r, ms, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** Stops watching. Safe from any thread. */
    @Override
    public void close() {
        closed = true;
        run(this::closeCurrent);
    }
}
