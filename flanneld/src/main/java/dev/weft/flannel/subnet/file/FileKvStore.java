package dev.weft.flannel.subnet.file;

import dev.weft.flannel.subnet.file.StoreFile.Stored;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvEvent;
import dev.weft.flannel.subnet.kv.KvException;
import dev.weft.flannel.subnet.kv.KvListing;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.flannel.subnet.kv.KvWatch;
import dev.weft.flannel.subnet.kv.KvWatchListener;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A {@link KvStore} for a single node, kept in one JSON file.
 *
 * <p>Like etcd it has a revision counter (persisted), TTLs (expired by a timer, also across
 * restarts), and watches that replay from a revision. Only the last {@code historyLimit} changes
 * are kept in memory, and none survive a restart, so a watch from an older revision is told it
 * was compacted and re-lists, exactly the path an etcd compaction takes. A lock file keeps a
 * second process from using the same store.
 */
public final class FileKvStore implements KvStore {
    public static final int DEFAULT_HISTORY = 1000;

    private final Path path;
    private final StoreFile file;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final int historyLimit;
    private final TreeMap<String, Stored> entries;
    private final ArrayDeque<KvEvent> history = new ArrayDeque<>();
    private final List<FileWatch> watches = new CopyOnWriteArrayList<>();
    /** One thread for expiry and for watch callbacks, which keeps callbacks in revision order. */
    private final ScheduledExecutorService worker;
    private long revision;
    private long compacted; // watches must start after this revision
    private boolean closed;

    private FileKvStore(Path path, int historyLimit) {
        this.path = path;
        this.file = new StoreFile(path);
        this.historyLimit = historyLimit;
        FileChannel ch = null;
        Path lockPath = path.resolveSibling(path.getFileName() + ".lock");
        try {
            Files.createDirectories(lockPath.toAbsolutePath().getParent());
            // NOFOLLOW_LINKS (O_NOFOLLOW): a symlink planted at the lock's name must not create its target.
            ch = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            FileLock l = ch.tryLock();
            if (l == null) {
                throw new KvException("subnet store " + path + " is in use by another process");
            }
            this.lock = l;
            this.lockChannel = ch;
        } catch (OverlappingFileLockException e) {
            closeQuietly(ch);
            throw new KvException("subnet store " + path + " is already open in this process", e);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new KvException("cannot lock subnet store " + path + " with " + lockPath + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
        StoreFile.State s = file.load();
        this.entries = new TreeMap<>(s.entries());
        this.revision = s.revision();
        this.compacted = s.revision();
        this.worker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "file-kv-store");
            t.setDaemon(true);
            return t;
        });
    }

    /** Opens (creating if needed) the store at {@code path}. */
    public static FileKvStore open(Path path) {
        return open(path, DEFAULT_HISTORY);
    }

    /** Opens the store, keeping at most {@code historyLimit} changes for watches to replay. */
    public static FileKvStore open(Path path, int historyLimit) {
        if (historyLimit < 1) {
            throw new IllegalArgumentException("historyLimit must be positive");
        }
        FileKvStore s = new FileKvStore(path, historyLimit);
        s.start();
        return s;
    }

    private synchronized void start() {
        long now = System.currentTimeMillis();
        for (Map.Entry<String, Stored> e : List.copyOf(entries.entrySet())) {
            Stored st = e.getValue();
            if (st.expiresAt() != 0 && st.expiresAt() <= now) {
                remove(e.getKey()); // expired while nobody was running
            } else if (st.expiresAt() != 0) {
                scheduleExpiry(e.getKey(), st);
            }
        }
    }

    // ---------------------------------------------------------------- reads

    @Override
    public synchronized Optional<KvEntry> get(String key) {
        ensureOpen();
        Stored s = entries.get(key);
        return s == null ? Optional.empty() : Optional.of(entry(key, s));
    }

    @Override
    public synchronized KvListing list(String prefix) {
        ensureOpen();
        List<KvEntry> out = new ArrayList<>();
        for (Map.Entry<String, Stored> e : entries.tailMap(prefix, true).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            out.add(entry(e.getKey(), e.getValue()));
        }
        return new KvListing(out, revision);
    }

    // ---------------------------------------------------------------- writes

    @Override
    public synchronized Optional<KvEntry> createIfAbsent(String key, String value, Duration ttl) {
        ensureOpen();
        return entries.containsKey(key) ? Optional.empty() : Optional.of(write(key, value, ttl));
    }

    @Override
    public synchronized Optional<KvEntry> replaceIfValue(String key, String expected, String value, Duration ttl) {
        ensureOpen();
        Stored s = entries.get(key);
        return s == null || !s.value().equals(expected) ? Optional.empty() : Optional.of(write(key, value, ttl));
    }

    @Override
    public synchronized KvEntry put(String key, String value, Duration ttl) {
        ensureOpen();
        return write(key, value, ttl);
    }

    @Override
    public synchronized boolean delete(String key) {
        ensureOpen();
        if (!entries.containsKey(key)) {
            return false;
        }
        remove(key);
        return true;
    }

    private KvEntry write(String key, String value, Duration ttl) {
        Objects.requireNonNull(value, "value");
        long expiresAt = ttl == null || ttl.isZero() ? 0 : System.currentTimeMillis() + ttl.toMillis();
        Stored s = new Stored(value, revision + 1, expiresAt);
        Map<String, Stored> next = new TreeMap<>(entries);
        next.put(key, s);
        file.save(revision + 1, next); // persist first: a failed write changes nothing
        revision++;
        entries.put(key, s);
        KvEntry e = entry(key, s);
        publish(new KvEvent(KvEvent.Type.PUT, e));
        if (expiresAt != 0) {
            scheduleExpiry(key, s);
        }
        return e;
    }

    private void remove(String key) {
        Map<String, Stored> next = new TreeMap<>(entries);
        next.remove(key);
        file.save(revision + 1, next);
        revision++;
        entries.remove(key);
        publish(new KvEvent(KvEvent.Type.DELETE, new KvEntry(key, "", revision, 0)));
    }

    private void scheduleExpiry(String key, Stored s) {
        long delay = Math.max(0, s.expiresAt() - System.currentTimeMillis());
        worker.schedule(() -> expire(key, s.modRevision()), delay, TimeUnit.MILLISECONDS);
    }

    private synchronized void expire(String key, long modRevision) {
        Stored s = entries.get(key);
        // Only the write that scheduled this timer may expire: a renewal re-wrote the key with a new revision.
        if (!closed && s != null && s.modRevision() == modRevision && s.expiresAt() != 0
                && s.expiresAt() <= System.currentTimeMillis()) {
            remove(key);
        }
    }

    private static KvEntry entry(String key, Stored s) {
        return new KvEntry(key, s.value(), s.modRevision(), s.expiresAt());
    }

    // ---------------------------------------------------------------- watches

    private void publish(KvEvent event) {
        history.addLast(event);
        while (history.size() > historyLimit) {
            compacted = history.removeFirst().entry().modRevision();
        }
        for (FileWatch w : watches) {
            if (w.matches(event.key())) {
                List<KvEvent> one = List.of(event);
                long rev = revision;
                worker.execute(() -> w.deliver(one, rev));
            }
        }
    }

    @Override
    public synchronized KvWatch watch(String key, boolean prefix, long fromRevision, KvWatchListener listener) {
        ensureOpen();
        FileWatch w = new FileWatch(key, prefix, listener);
        long from = fromRevision <= 0 ? revision + 1 : fromRevision;
        if (from <= compacted) {
            long c = compacted;
            worker.execute(() -> w.compacted(c));
            return w;
        }
        List<KvEvent> backlog = new ArrayList<>();
        for (KvEvent e : history) {
            if (e.entry().modRevision() >= from && w.matches(e.key())) {
                backlog.add(e);
            }
        }
        if (!backlog.isEmpty()) {
            long rev = revision;
            worker.execute(() -> w.deliver(backlog, rev));
        }
        watches.add(w);
        return w;
    }

    /** Forgets the change history up to now, as {@code etcdctl compact} does: older watch revisions get onCompacted. */
    public synchronized void compact() {
        history.clear();
        compacted = revision;
    }

    private final class FileWatch implements KvWatch {
        private final String key;
        private final boolean prefix;
        private final KvWatchListener listener;
        private volatile boolean closed;

        FileWatch(String key, boolean prefix, KvWatchListener listener) {
            this.key = key;
            this.prefix = prefix;
            this.listener = listener;
        }

        boolean matches(String k) {
            return prefix ? k.startsWith(key) : k.equals(key);
        }

        void deliver(List<KvEvent> events, long revision) {
            if (!closed) {
                listener.onEvents(events, revision);
            }
        }

        void compacted(long revision) {
            if (!closed) {
                closed = true;
                listener.onCompacted(revision);
            }
        }

        @Override
        public void close() {
            closed = true;
            watches.remove(this);
        }
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public String describe() {
        return "file " + path;
    }

    private void ensureOpen() {
        if (closed) {
            throw new KvException("subnet store " + path + " is closed");
        }
    }

    /** Stops timers and watches and releases the lock. Entries with a TTL keep counting down on disk. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        watches.forEach(w -> w.closed = true);
        watches.clear();
        worker.shutdownNow();
        try {
            lock.release();
        } catch (IOException e) {
            // the channel close below releases it anyway
        }
        closeQuietly(lockChannel);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // nothing useful to do
            }
        }
    }
}
