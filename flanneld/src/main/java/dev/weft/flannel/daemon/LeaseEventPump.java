package dev.weft.flannel.daemon;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.lease.SubnetKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds lease events to the backend on a thread of its own, and turns a burst of them (a node
 * start, a thousand leases in one etcd transaction) into a single {@link LeaseEvent.Snapshot}: the
 * backend then programs the whole burst with a handful of batched netlink requests instead of
 * three round trips per lease. A lone event passes through as it is.
 */
final class LeaseEventPump implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseEventPump.class);

    private final Backend backend;
    private final LinkedBlockingQueue<LeaseEvent> queue = new LinkedBlockingQueue<>();
    private final Map<SubnetKey, Lease> known = new LinkedHashMap<>();
    private final Thread worker;
    private volatile boolean running = true;

    LeaseEventPump(Backend backend) {
        this.backend = backend;
        this.worker = new Thread(this::loop, "weftd-lease-events");
        worker.setDaemon(true);
        worker.start();
    }

    /** The watcher's listener: never blocks the watch. */
    void accept(LeaseEvent e) {
        queue.add(e);
    }

    private void loop() {
        List<LeaseEvent> burst = new ArrayList<>();
        while (running) {
            try {
                LeaseEvent first = queue.poll(500, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                burst.clear();
                burst.add(first);
                queue.drainTo(burst);
                deliver(burst);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("handling lease events failed: {}", e.getMessage(), e);
            }
        }
    }

    private void deliver(List<LeaseEvent> burst) {
        if (burst.size() == 1) {
            track(burst.get(0));
            backend.handle(burst.get(0));
            return;
        }
        List<Lease> added = new ArrayList<>();
        List<Lease> removed = new ArrayList<>();
        for (LeaseEvent e : burst) {
            track(e);
            if (e instanceof LeaseEvent.Added a) {
                added.add(a.lease());
            } else if (e instanceof LeaseEvent.Removed r) {
                removed.add(r.lease());
            } else if (e instanceof LeaseEvent.Snapshot s) {
                added.addAll(s.added());
                removed.addAll(s.removed());
            }
        }
        LOG.debug("coalesced {} lease events into one snapshot of {} leases", burst.size(), known.size());
        backend.handle(new LeaseEvent.Snapshot(new ArrayList<>(known.values()), added, removed));
    }

    /** Keeps the full set the watcher has delivered, so a coalesced snapshot is complete. */
    private void track(LeaseEvent e) {
        if (e instanceof LeaseEvent.Snapshot s) {
            known.clear();
            s.leases().forEach(l -> known.put(l.subnetKey(), l));
        } else if (e instanceof LeaseEvent.Added a) {
            known.put(a.lease().subnetKey(), a.lease());
        } else if (e instanceof LeaseEvent.Removed r) {
            known.remove(r.lease().subnetKey());
        }
    }

    @Override
    public void close() {
        running = false;
        worker.interrupt();
    }
}
