package dev.weft.flannel.subnet;

import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvEvent;
import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * Snapshot with the difference. Our own subnet and invalid leases are never delivered. The
 * listener is called on one thread, in order.
 */
public final class LeaseWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseWatcher.class);

    private final SubnetManager manager;
    private final NetworkConfig config;
    private final Supplier<Cidr> ownSubnet;
    private final Consumer<LeaseEvent> listener;
    private final String prefix;
    private final ScheduledThreadPoolExecutor executor = SingleThread.named("lease-watcher");
    private final ResilientWatch watch;
    /** What we last delivered, by key suffix. Touched only on the executor. */
    private final Map<String, Lease> known = new LinkedHashMap<>();
    private volatile List<Lease> view = List.of();

    LeaseWatcher(SubnetManager manager, NetworkConfig config, Supplier<Cidr> ownSubnet, Consumer<LeaseEvent> listener) {
        this.manager = manager;
        this.config = config;
        this.ownSubnet = ownSubnet;
        this.listener = listener;
        this.prefix = manager.options().subnetsPrefix();
        this.watch = new ResilientWatch(manager.store(), prefix, true, executor, new Handler());
    }

    void start() {
        watch.start(0);
    }

    /** The other nodes' leases as last delivered. */
    public List<Lease> leases() {
        return view;
    }

    private final class Handler implements ResilientWatch.Handler {
        @Override
        public long resync() {
            LeaseTable table = manager.table(config);
            Map<String, Lease> fresh = new LinkedHashMap<>();
            for (Lease l : table.valid) {
                if (!isOwn(l)) {
                    fresh.put(l.key(), l);
                }
            }
            List<Lease> added = new ArrayList<>();
            for (Lease l : fresh.values()) {
                if (!l.sameContent(known.get(l.key()))) {
                    added.add(l);
                }
            }
            List<Lease> removed = new ArrayList<>();
            for (Map.Entry<String, Lease> e : known.entrySet()) {
                if (!fresh.containsKey(e.getKey())) {
                    removed.add(e.getValue());
                }
            }
            known.clear();
            known.putAll(fresh);
            publishView();
            LOG.info("Lease snapshot at revision {}: {} other leases ({} added, {} removed)",
                    table.revision, fresh.size(), added.size(), removed.size());
            deliver(new LeaseEvent.Snapshot(List.copyOf(fresh.values()), added, removed));
            return table.revision;
        }

        @Override
        public void onEvents(List<KvEvent> events) {
            for (KvEvent e : events) {
                if (e.key().startsWith(prefix)) {
                    apply(e, e.key().substring(prefix.length()));
                }
            }
            publishView();
        }
    }

    private void apply(KvEvent e, String key) {
        if (e.type() == KvEvent.Type.DELETE) {
            Lease gone = known.remove(key);
            if (gone != null) {
                deliver(new LeaseEvent.Removed(gone));
            }
            return;
        }
        KvEntry entry = e.entry();
        Optional<Lease> lease = manager.validator().validate(config, key, entry.value(),
                entry.expirationEpochMillis(), entry.modRevision());
        if (lease.isEmpty()) {
            // A lease we knew was overwritten with garbage: as far as we can tell that node is gone.
            Lease gone = known.remove(key);
            if (gone != null) {
                deliver(new LeaseEvent.Removed(gone));
            }
            return;
        }
        Lease l = lease.get();
        if (isOwn(l)) {
            return;
        }
        Lease before = known.put(key, l);
        // A renewal rewrites the same attrs every ~23 h; the backend has nothing to do for it.
        if (!l.sameContent(before)) {
            deliver(new LeaseEvent.Added(l));
        }
    }

    private boolean isOwn(Lease l) {
        Cidr own = ownSubnet == null ? null : ownSubnet.get();
        return own != null && own.equals(l.subnet());
    }

    private void publishView() {
        view = List.copyOf(known.values());
    }

    private void deliver(LeaseEvent e) {
        try {
            listener.accept(e);
        } catch (RuntimeException ex) {
            LOG.error("Lease event listener failed on {}", e, ex);
        }
    }

    @Override
    public void close() {
        watch.close();
        SingleThread.stop(executor);
    }
}
