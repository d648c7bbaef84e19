package dev.weft.flannel.subnet;

import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvEvent;
import dev.weft.flannel.subnet.kv.KvListing;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps our lease (flannel's {@code CompleteLease}): renews it {@code renewMargin} before it
 * expires, retrying every {@code renewRetryInterval} while the store is unreachable, and watches
 * our own key. When the key disappears (expired or deleted) flanneld logs "Lease has been revoked.
 * Shutting down daemon." and exits; we log it and acquire a lease again, preferring the same
 * subnet, and tell {@code onChange}.
 */
public final class LeaseRenewer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseRenewer.class);

    private final SubnetManager manager;
    private final Consumer<Lease> onChange;
    private final ScheduledThreadPoolExecutor executor = SingleThread.named("lease-renewer");
    private final AtomicLong renewals = new AtomicLong();
    private final AtomicLong reacquisitions = new AtomicLong();
    private final AtomicLong renewalFailures = new AtomicLong();
    private volatile Lease current;
    private volatile boolean closed;
    // Below: touched only on the executor.
    private ScheduledFuture<?> pending;
    private ResilientWatch ownWatch;
    private boolean reacquiring;

    LeaseRenewer(SubnetManager manager, Lease lease, Consumer<Lease> onChange) {
        this.manager = manager;
        this.current = lease;
        this.onChange = onChange;
    }

    void start() {
        executor.execute(() -> {
            watchOwn(current);
            scheduleRenew();
        });
    }

    /** The lease as held now (changes on every renewal and re-acquisition). */
    public Lease current() {
        return current;
    }

    /** Renewals that failed with an error (and were retried); a lost lease counts as a re-acquisition instead. */
    public long renewalFailures() {
        return renewalFailures.get();
    }

    /** Successful renewals so far. */
    public long renewals() {
        return renewals.get();
    }

    /** Times the lease was lost and acquired again. */
    public long reacquisitions() {
        return reacquisitions.get();
    }

    // ---------------------------------------------------------------- renewal

    private void scheduleRenew() {
        cancelPending();
        Lease l = current;
        if (l.isReservation()) {
            LOG.info("Lease {} is a reservation (no TTL): nothing to renew", l.key());
            return;
        }
        long delay = Math.max(0, l.expirationEpochMillis() - manager.options().renewMargin().toMillis()
                - System.currentTimeMillis());
        LOG.info("Waiting for {} to renew lease {}", Duration.ofMillis(delay), l.key());
        pending = executor.schedule(this::renew, delay, TimeUnit.MILLISECONDS);
    }

    private void renew() {
        if (closed) {
            return;
        }
        try {
            current = manager.renewLease(current);
            renewals.incrementAndGet();
            LOG.info("Lease renewed, new expiration: {}", Instant.ofEpochMilli(current.expirationEpochMillis()));
            scheduleRenew();
        } catch (LeaseLostException e) {
            lost(e.getMessage());
        } catch (RuntimeException e) {
            Duration retry = manager.options().renewRetryInterval();
            renewalFailures.incrementAndGet();
            LOG.error("Error renewing lease (trying again in {}): {}", retry, e.getMessage());
            pending = executor.schedule(this::renew, retry.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    // ---------------------------------------------------------------- loss and re-acquisition

    private void lost(String why) {
        if (reacquiring) {
            return;
        }
        LOG.warn("Lease has been revoked: {}. Acquiring a lease again, preferring subnet {} "
                + "(flanneld would shut down here)", why, current.subnet());
        cancelPending();
        reacquiring = true;
        reacquire();
    }

    private void reacquire() {
        if (closed) {
            return;
        }
        Lease old = current;
        Lease l;
        try {
            l = manager.acquireLease(old.attrs(), old.subnet(), old.subnetV6());
        } catch (RuntimeException e) {
            Duration retry = manager.options().renewRetryInterval();
            LOG.error("Acquiring a lease again failed (trying again in {}): {}", retry, e.getMessage());
            pending = executor.schedule(this::reacquire, retry.toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        reacquiring = false;
        current = l;
        reacquisitions.incrementAndGet();
        if (l.subnet().equals(old.subnet())) {
            LOG.info("Lease for {} acquired again", l.key());
        } else {
            LOG.warn("Acquired a different subnet {} (had {}): pods on this node must be re-addressed", l.subnet(), old.subnet());
        }
        watchOwn(l);
        scheduleRenew();
        if (onChange != null) {
            try {
                onChange.accept(l);
            } catch (RuntimeException e) {
                LOG.error("Lease change listener failed", e);
            }
        }
    }

    // ---------------------------------------------------------------- our own key

    private void watchOwn(Lease l) {
        if (ownWatch != null) {
            ownWatch.close();
        }
        String key = manager.keyOf(l);
        ownWatch = new ResilientWatch(manager.store(), key, false, executor, new OwnKey(key));
        ownWatch.start(l.modRevision());
    }

    private final class OwnKey implements ResilientWatch.Handler {
        private final String key;

        OwnKey(String key) {
            this.key = key;
        }

        @Override
        public long resync() {
            KvListing listing = manager.store().list(key);
            Optional<KvEntry> e = listing.entries().stream().filter(x -> x.key().equals(key)).findFirst();
            if (e.isPresent()) {
                seen(e.get());
            } else if (isCurrent()) {
                lost("lease key " + key + " is gone");
            }
            return listing.revision();
        }

        @Override
        public void onEvents(List<KvEvent> events) {
            for (KvEvent e : events) {
                if (!e.key().equals(key) || !isCurrent()) {
                    continue;
                }
                if (e.type() == KvEvent.Type.DELETE) {
                    lost("lease " + key + " expired or was deleted");
                    return;
                }
                seen(e.entry());
            }
        }

        private boolean isCurrent() {
            return !reacquiring && manager.keyOf(current).equals(key);
        }

        /** A write to our key: ours (a renewal, or an admin turning it into a reservation) or someone else's. */
        private void seen(KvEntry e) {
            if (!isCurrent()) {
                return;
            }
            Lease l = current;
            if (!e.value().equals(l.attrs().toJson())) {
                // Not acted on at once: two nodes sharing a PublicIP would otherwise fight in a tight loop.
                LOG.warn("Lease {} was overwritten with other attrs; the next renewal will re-acquire: {}", key, e.value());
                return;
            }
            boolean reservationChanged = e.hasTtl() == l.isReservation();
            boolean moved = Math.abs(e.expirationEpochMillis() - l.expirationEpochMillis()) > 1000;
            current = l.withWrite(e.expirationEpochMillis(), Math.max(l.modRevision(), e.modRevision()));
            if (reservationChanged || moved) {
                scheduleRenew();
            }
        }
    }

    private void cancelPending() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    @Override
    public void close() {
        closed = true;
        executor.execute(() -> {
            cancelPending();
            if (ownWatch != null) {
                ownWatch.close();
            }
        });
        SingleThread.stop(executor);
    }
}
