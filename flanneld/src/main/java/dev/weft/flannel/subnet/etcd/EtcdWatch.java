package dev.weft.flannel.subnet.etcd;

import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvEvent;
import dev.weft.flannel.subnet.kv.KvException;
import dev.weft.flannel.subnet.kv.KvWatch;
import dev.weft.flannel.subnet.kv.KvWatchListener;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One etcd watch, adapted to {@link KvWatchListener}'s contract.
 *
 * <p>jetcd quietly re-creates a broken watch by itself 500 ms later, from its own idea of the
 * revision. We want the caller to own reconnection (flannel's backoff and resume revision), so
 * the first error or end of stream finishes this watch: the listener hears about it once and the
 * jetcd watcher is closed before its retry fires. Callbacks are handed to a private thread because
 * jetcd invokes them on its network threads, and because PUT events need a TimeToLive call each.
 * At most {@link #MAX_QUEUED} responses wait for that thread; one more, or a failure while
 * converting, finishes the watch as a disconnect (the owner resumes from the last revision it
 * handled), so jetcd's thread never blocks and nothing queues without bound.
 */
final class EtcdWatch implements KvWatch {
    private final EtcdKvStore store;
    private final KvWatchListener listener;
    private final ExecutorService dispatch;
    static final int MAX_QUEUED = 1024;

    private final AtomicBoolean finished = new AtomicBoolean(); // terminal callback queued
    private final AtomicInteger queued = new AtomicInteger();
    private volatile boolean closed;
    private volatile Watch.Watcher watcher;

    private EtcdWatch(EtcdKvStore store, KvWatchListener listener) {
        this.store = store;
        this.listener = listener;
        this.dispatch = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "etcd-watch");
            t.setDaemon(true);
            return t;
        });
    }

    static EtcdWatch start(EtcdKvStore store, Watch client, String key, boolean prefix, long from, KvWatchListener l) {
        EtcdWatch w = new EtcdWatch(store, l);
        WatchOption opt = WatchOption.builder()
                .isPrefix(prefix)
                .withRevision(Math.max(0, from))
                .withRequireLeader(true) // as flannel: a partitioned member must not keep us silently stale
                .build();
        try {
            w.watcher = client.watch(EtcdKvStore.bytes(key), opt, Watch.listener(w::onNext, w::onError, w::onCompleted));
        } catch (RuntimeException e) { // closed client
            w.onError(e);
        }
        if (w.closed || w.finished.get()) {
            w.closeWatcher(); // the terminal callback raced with the assignment above
        }
        return w;
    }

    private void onNext(WatchResponse r) {
        if (finished.get() || closed) {
            return;
        }
        if (queued.incrementAndGet() > MAX_QUEUED) {
            onError(new KvException("etcd watch fell behind: more than " + MAX_QUEUED + " responses waiting"));
            return;
        }
        List<WatchEvent> events = List.copyOf(r.getEvents());
        long revision = r.getHeader().getRevision();
        submit(() -> {
            queued.decrementAndGet();
            // After the end was queued, later events are not handed on: the owner resumes from
            // the last revision it handled and sees them again.
            if (closed || finished.get()) {
                return;
            }
            List<KvEvent> converted;
            try {
                converted = convert(events);
            } catch (RuntimeException e) {
                onError(e);
                return;
            }
            listener.onEvents(converted, revision);
        });
    }

    private List<KvEvent> convert(List<WatchEvent> events) {
        List<KeyValue> puts = new ArrayList<>();
        for (WatchEvent e : events) {
            if (e.getEventType() == WatchEvent.EventType.PUT) {
                puts.add(e.getKeyValue());
            }
        }
        List<KvEntry> putEntries = store.withExpirations(puts);
        List<KvEvent> out = new ArrayList<>(events.size());
        int p = 0;
        for (WatchEvent e : events) {
            if (e.getEventType() == WatchEvent.EventType.PUT) {
                out.add(new KvEvent(KvEvent.Type.PUT, putEntries.get(p++)));
            } else if (e.getEventType() == WatchEvent.EventType.DELETE) {
                KeyValue kv = e.getKeyValue();
                out.add(new KvEvent(KvEvent.Type.DELETE,
                        new KvEntry(EtcdKvStore.text(kv.getKey()), "", kv.getModRevision(), 0)));
            }
        }
        return out;
    }

    private void onError(Throwable t) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        Throwable cause = t;
        while (cause != null && !(cause instanceof CompactedException)) {
            cause = cause.getCause();
        }
        CompactedException compacted = (CompactedException) cause;
        submit(() -> {
            closeWatcher();
            if (closed) {
                return;
            }
            if (compacted != null) {
                listener.onCompacted(compacted.getCompactedRevision());
            } else {
                listener.onDisconnected(t);
            }
        });
    }

    private void onCompleted() {
        // Also called when we close the watcher ourselves; only an unexpected end is news.
        if (!closed && !finished.get()) {
            onError(new IllegalStateException("etcd watch stream ended"));
        }
    }

    private void submit(Runnable r) {
        try {
            dispatch.execute(r);
        } catch (RejectedExecutionException e) {
            // closed meanwhile: nobody is listening any more
        }
    }

    private void closeWatcher() {
        Watch.Watcher w = watcher;
        if (w != null) {
            w.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        finished.set(true);
        try {
            closeWatcher();
        } finally {
            dispatch.shutdown();
        }
    }
}
