package dev.weft.flannel.daemon;

import dev.weft.flannel.lease.LeaseValidator;
import dev.weft.flannel.lease.LeaseValidator.Reason;
import dev.weft.flannel.subnet.LeaseWatcher;
import java.time.Clock;
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

    /** False while the watcher or the pump has been stuck (or failing) for longer than their bound. */
    boolean healthy() {
        var now = clock.instant();
        LeaseWatcher w = watcher;
        LeaseEventPump p = pump;
        return (w == null || w.healthy(now)) && (p == null || p.healthy(now));
    }

    /** Prometheus text: rejected leases by reason, the pump's failures and overflows, and health. */
    String metricsText() {
        StringBuilder b = new StringBuilder();
        LeaseValidator v = validator;
        if (v != null) {
            b.append("# HELP weft_lease_rejected_total Lease versions (key and revision) ignored, by reason.\n")
                    .append("# TYPE weft_lease_rejected_total counter\n");
            for (Reason r : Reason.values()) {
                b.append("weft_lease_rejected_total{reason=\"").append(r.name().toLowerCase(Locale.ROOT)).append("\"} ")
                        .append(v.rejections(r)).append('\n');
            }
        }
        LeaseEventPump p = pump;
        if (p != null) {
            b.append("# HELP weft_lease_event_failures_total Deliveries of lease events the backend failed on.\n")
                    .append("# TYPE weft_lease_event_failures_total counter\nweft_lease_event_failures_total ")
                    .append(p.failures()).append('\n');
            b.append("# HELP weft_lease_event_overflows_total Lease events dropped on a full queue (each forces a resync).\n")
                    .append("# TYPE weft_lease_event_overflows_total counter\nweft_lease_event_overflows_total ")
                    .append(p.overflows()).append('\n');
            b.append("# HELP weft_lease_pipeline_healthy 1 unless the lease watcher or the backend is stuck.\n")
                    .append("# TYPE weft_lease_pipeline_healthy gauge\nweft_lease_pipeline_healthy ")
                    .append(healthy() ? 1 : 0).append('\n');
        }
        return b.toString();
    }
}
