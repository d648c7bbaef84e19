package dev.weft.flannel.subnet;

import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvEvent;
import dev.weft.net.Cidr;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the other nodes' leases and tells a backend (flannel's {@code WatchLeases} plus its
 * {@code LeaseWatcher}). It starts from a listing, delivered as a {@link LeaseEvent.Snapshot}, then
 * turns watch events into Added/Removed; after a compaction it re-lists and delivers another
 * Snapshot with the difference. Our own subnet, invalid leases and leases that conflict with an
 * earlier one ({@link LeaseSet}) are never delivered. The listener is called on one thread, in
 * order; if it throws, the watcher logs it and re-lists (a new Snapshot).
 */
public final class LeaseWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseWatcher.class);

    private final SubnetManager manager;
    private final NetworkConfig config;
    private final Supplier<Cidr> ownSubnet;
    private final Consumer<LeaseEvent> listener;
    private final String prefix;
    private final ScheduledThreadPoolExecutor executor = SingleThread.named("lease-watcher");
    private final Liveness liveness;
    private final ResilientWatch watch;
    /** The leases, kept once: touched only on the executor, except its delivered view. */
    private final LeaseSet leases;

    LeaseWatcher(SubnetManager manager, NetworkConfig config, Supplier<Cidr> ownSubnet, Consumer<LeaseEvent> listener) {
        this.manager = manager;
        this.config = config;
        this.ownSubnet = ownSubnet;
        this.listener = listener;
        this.prefix = manager.options().subnetsPrefix();
        this.leases = new LeaseSet(manager.validator(), this::isOwn);
        this.liveness = new Liveness();
        this.watch = new ResilientWatch(manager.store(), prefix, true, executor, new Handler(), liveness);
    }

    void start() {
        watch.start(0);
    }

    /** The other nodes' leases as delivered so far (a copy). */
    public List<Lease> leases() {
        return List.copyOf(leases.delivered());
    }

    /**
     * The delivered leases as a live view for the listener's side (no copy; weakly consistent:
     * it already holds every event handed to the listener, and perhaps some that follow).
     */
    public Collection<Lease> view() {
        return leases.delivered();
    }

    /**
     * False when the watcher thread has been stuck in one piece of work (a listing, a batch of
     * events, the listener) for longer than {@link Liveness#DEFAULT_BOUND} at {@code now}, or has
     * not recovered by then from a failure. Waiting out an etcd outage is not being stuck.
     */
    /** Times the lease watch was re-established (see {@link ResilientWatch#restarts()}). */
    public long watchRestarts() {
        return watch.restarts();
    }

    /** Store and handler failures the lease watch recovered from. */
    public long watchErrors() {
        return watch.errors();
    }

    public boolean healthy(Instant now) {
        return liveness.healthy(now);
    }

    /** When the watcher last finished a piece of work. */
    public Instant lastProgress() {
        return liveness.lastProgress();
    }

    private final class Handler implements ResilientWatch.Handler {
        @Override
        public long resync() {
            LeaseTable table = manager.table(config);
            LeaseEvent.Snapshot s = leases.replace(table.valid, table.seniority);
            LOG.info("Lease snapshot at revision {}: {} other leases ({} added, {} removed)",
                    table.revision, s.leases().size(), s.added().size(), s.removed().size());
            listener.accept(s);
            return table.revision;
        }

        @Override
        public void onEvents(List<KvEvent> events) {
            for (KvEvent e : events) {
                if (e.key().startsWith(prefix)) {
                    apply(e, e.key().substring(prefix.length()));
                }
            }
        }
    }

    private void apply(KvEvent e, String key) {
        List<LeaseEvent> out;
        if (e.type() == KvEvent.Type.DELETE) {
            out = leases.remove(key);
        } else {
            KvEntry entry = e.entry();
            Optional<Lease> lease = manager.validator().validate(config, key, entry.value(),
                    entry.expirationEpochMillis(), entry.modRevision());
            // A lease overwritten with garbage: as far as we can tell that node is gone.
            out = lease.isEmpty() ? leases.remove(key) : leases.put(key, lease.get(), entry.seniority());
        }
        // A listener that throws is the watch's business: logged there, and answered with a re-list.
        out.forEach(listener);
    }

    private boolean isOwn(Lease l) {
        Cidr own = ownSubnet == null ? null : ownSubnet.get();
        return own != null && own.equals(l.subnet());
    }

    @Override
    public void close() {
        watch.close();
        SingleThread.stop(executor);
    }
}
