package dev.weft.flannel.daemon;

import dev.weft.flannel.lease.LeaseValidator;
import dev.weft.flannel.lease.LeaseValidator.Reason;
import dev.weft.flannel.metrics.Exposition;
import dev.weft.flannel.subnet.LeaseWatcher;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;

/**
 * The other nodes' leases on their way to the backend (watcher, then event pump), as readiness and
 * metrics see it. Either part may still be missing while the daemon starts.
 */
final class LeasePipeline {
    private final Clock clock;
    private volatile LeaseValidator validator;
    private volatile LeaseWatcher watcher;
    private volatile LeaseEventPump pump;
    /** Block IPAM: the node watch, the block watch and the bgp backend's block pump, each healthy or not at an instant. */
    private final java.util.List<java.util.function.Predicate<Instant>> more = new java.util.concurrent.CopyOnWriteArrayList<>();

    LeasePipeline(Clock clock) {
        this.clock = clock;
    }

    void validator(LeaseValidator v) {
        validator = v;
    }

    void running(LeaseWatcher w, LeaseEventPump p) {
        watcher = w;
        pump = p;
    }

    /** On block IPAM: one more part of the pipeline whose health readiness follows (a watch, a pump). */
    void alsoWatch(java.util.function.Predicate<Instant> healthyAt) {
        more.add(healthyAt);
    }

    /** False while the watcher, the pump or a part added by {@link #alsoWatch} has been stuck (or failing) for longer than their bound. */
    boolean healthy() {
        var now = clock.instant();
        LeaseWatcher w = watcher;
        LeaseEventPump p = pump;
        if (!(w == null || w.healthy(now)) || !(p == null || p.healthy(now))) {
            return false;
        }
        for (java.util.function.Predicate<Instant> part : more) {
            if (!part.test(now)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Prometheus text: rejected leases by reason, the pump's failures and overflows, the time the
     * backend takes to apply lease events to the kernel, and health.
     */
    String metricsText() {
        Exposition e = new Exposition();
        LeaseValidator v = validator;
        if (v != null) {
            e.family("weft_lease_rejected_total", "counter", "Lease versions (key and revision) ignored, by reason.");
            for (Reason r : Reason.values()) {
                e.sample("weft_lease_rejected_total", v.rejections(r), "reason", r.name().toLowerCase(Locale.ROOT));
            }
        }
        LeaseEventPump p = pump;
        if (p != null) {
            e.counter("weft_lease_event_failures_total", "Deliveries of lease events the backend failed on.", p.failures());
            e.counter("weft_lease_event_overflows_total", "Lease events dropped on a full queue (each forces a resync).", p.overflows());
            p.applySeconds().write(e, "weft_dataplane_apply_seconds",
                    "Time the backend took to program the kernel for a delivery of lease events (one event, a coalesced burst, or a resync of the whole set).");
            e.gauge("weft_lease_pipeline_healthy", "1 unless the lease watcher (on block IPAM: the node or block watch) or the backend is stuck.", healthy() ? 1 : 0);
        }
        return e.toString();
    }
}
