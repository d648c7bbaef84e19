package dev.weft.flannel.nodes;

import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.subnet.SingleThread;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvException;
import dev.weft.flannel.subnet.kv.KvStore;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's registration under {@code <prefix>/nodes/<name>}, kept alive the way a subnet lease
 * is: every write attaches a fresh etcd lease of {@code ttl}, renewed {@code margin} before it runs
 * out (compare-on-value, so a renewal never overwrites what another writer put there without
 * saying so); a failed renewal is retried every {@code retry}. When the key vanished (expired
 * during an outage, deleted by hand) or was overwritten, it is written again and that is logged.
 * On close the key stays: a restarted weftd takes it over, and a node gone for good expires.
 */
public final class NodeRegistration implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRegistration.class);

    private final KvStore store;
    private final String key;
    private final String value;
    private final Duration ttl;
    private final Duration retry;
    private final long renewEveryMillis;
    private final ScheduledThreadPoolExecutor timer = SingleThread.named("weftd-node-registration");
    private final AtomicLong renewals = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong rewrites = new AtomicLong();
    private volatile long expiresAt;

    private NodeRegistration(KvStore store, String key, String value, Duration ttl, Duration margin, Duration retry) {
        this.store = store;
        this.key = key;
        this.value = value;
        this.ttl = ttl;
        this.retry = retry;
        this.renewEveryMillis = Math.max(1, ttl.minus(margin).toMillis());
    }

    /**
     * Writes the registration of {@code name} and starts renewing it.
     *
     * @throws KvException when etcd cannot be written (weftd does not start then)
     */
    public static NodeRegistration register(KvStore store, String etcdPrefix, String name, LeaseAttrs attrs, Duration ttl,
                                            Duration margin, Duration retry) {
        if (margin.compareTo(ttl) >= 0) {
            throw new IllegalArgumentException("renew margin " + margin + " must be shorter than the TTL " + ttl);
        }
        String key = new NodeKeys(etcdPrefix).key(name);
        NodeRegistration r = new NodeRegistration(store, key, NodeCodec.encode(attrs), ttl, margin, retry);
        Optional<KvEntry> before = store.get(key);
        if (before.isPresent() && !before.get().value().equals(r.value)) {
            LOG.info("node {}: replacing its earlier registration {} with {}", name, before.get().value(), r.value);
        }
        r.expiresAt = store.put(key, r.value, ttl).expirationEpochMillis();
        LOG.info("registered node {} at {} (no subnet lease: block IPAM); renewed every {} s", name, key,
                r.renewEveryMillis / 1000);
        r.timer.schedule(r::renew, r.renewEveryMillis, TimeUnit.MILLISECONDS);
        return r;
    }

    private void renew() {
        long next = renewEveryMillis;
        try {
            Optional<KvEntry> e = store.replaceIfValue(key, value, value, ttl);
            if (e.isEmpty()) {
                rewrites.incrementAndGet();
                LOG.warn("registration {} had vanished or been overwritten; writing it again", key);
                e = Optional.of(store.put(key, value, ttl));
            }
            expiresAt = e.get().expirationEpochMillis();
            renewals.incrementAndGet();
        } catch (KvException | IllegalStateException e) {
            failures.incrementAndGet();
            next = retry.toMillis();
            LOG.warn("renewing registration {} failed ({}); retrying in {} ms", key, e.getMessage(), next);
        }
        try {
            timer.schedule(this::renew, next, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // closed meanwhile
        }
    }

    public String key() {
        return key;
    }

    /** When the registration runs out unless renewed (epoch millis, 0 when the store does not say). */
    public long expiresAt() {
        return expiresAt;
    }

    /** Prometheus families: renewals by result, rewrites after the key vanished, and the expiry. */
    public void metrics(dev.weft.flannel.metrics.Exposition e) {
        e.family("weft_node_registration_renewals_total", "counter", "Renewals of this node's registration (block IPAM), by result.")
                .sample("weft_node_registration_renewals_total", renewals.get(), "result", "success")
                .sample("weft_node_registration_renewals_total", failures.get(), "result", "error");
        e.counter("weft_node_registration_rewrites_total",
                "Times this node's registration had vanished or been overwritten and was written again.", rewrites.get());
        if (expiresAt > 0) {
            e.gauge("weft_node_registration_expiry_timestamp_seconds", "When this node's registration expires unless renewed (Unix time).",
                    expiresAt / 1000.0);
        }
    }

    @Override
    public void close() {
        SingleThread.stop(timer);
    }
}
