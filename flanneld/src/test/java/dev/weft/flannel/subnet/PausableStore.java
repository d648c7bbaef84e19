package dev.weft.flannel.subnet;

import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvListing;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.flannel.subnet.kv.KvWatch;
import dev.weft.flannel.subnet.kv.KvWatchListener;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fault injection in front of a real store: {@link #pause()} breaks this client's watches and
 * refuses new ones (as a lost connection would) while reads and writes, and everybody else, go on.
 * It lets a test change the real store behind a disconnected watcher, deterministically.
 */
final class PausableStore implements KvStore {
    private final KvStore delegate;
    private final boolean closeDelegate;
    private final Map<KvWatch, KvWatchListener> active = new ConcurrentHashMap<>();
    private volatile boolean paused;
    volatile int watchesOpened;

    PausableStore(KvStore delegate, boolean closeDelegate) {
        this.delegate = delegate;
        this.closeDelegate = closeDelegate;
    }

    /** Synchronized with {@link #watch}: a watch is either registered before the cut (and cut) or refused. */
    synchronized void pause() {
        paused = true;
        active.forEach((w, l) -> {
            w.close();
            l.onDisconnected(new IOException("connection cut by the test"));
        });
        active.clear();
    }

    void resume() {
        paused = false;
    }

    @Override
    public synchronized KvWatch watch(String key, boolean prefix, long fromRevision, KvWatchListener listener) {
        watchesOpened++;
        if (paused) {
            listener.onDisconnected(new IOException("still cut off by the test"));
            return () -> { };
        }
        KvWatch w = delegate.watch(key, prefix, fromRevision, listener);
        active.put(w, listener);
        return () -> {
            active.remove(w);
            w.close();
        };
    }

    @Override
    public Optional<KvEntry> get(String key) {
        return delegate.get(key);
    }

    @Override
    public KvListing list(String prefix) {
        return delegate.list(prefix);
    }

    @Override
    public Optional<KvEntry> createIfAbsent(String key, String value, Duration ttl) {
        return delegate.createIfAbsent(key, value, ttl);
    }

    @Override
    public Optional<KvEntry> replaceIfValue(String key, String expected, String value, Duration ttl) {
        return delegate.replaceIfValue(key, expected, value, ttl);
    }

    @Override
    public KvEntry put(String key, String value, Duration ttl) {
        return delegate.put(key, value, ttl);
    }

    @Override
    public boolean delete(String key) {
        return delegate.delete(key);
    }

    @Override
    public String describe() {
        return "pausable " + delegate.describe();
    }

    @Override
    public void close() {
        if (closeDelegate) {
            delegate.close();
        }
    }
}
