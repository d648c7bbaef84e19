package dev.weft.flannel.lease;

import java.util.List;

/** What a lease watcher tells a backend about other nodes' leases. */
public sealed interface LeaseEvent permits LeaseEvent.Added, LeaseEvent.Removed, LeaseEvent.Snapshot {

    /** A lease appeared or changed (same subnet, new attrs): program the route/neighbour for it. */
    record Added(Lease lease) implements LeaseEvent {
    }

    /** A lease went away (expired or deleted). Carries the last known attrs so the backend knows what to remove. */
    record Removed(Lease lease) implements LeaseEvent {
    }

    /**
     * The complete set of valid leases after a (re)list: at start, and after the watch fell behind
     * etcd's compaction. {@code added} and {@code removed} are the difference from what this watcher
     * delivered before (added includes leases whose attrs changed), so a backend may either apply
     * the diff or resynchronise from {@code leases}. Where the difference is not known (weftd's
     * event pump after a full queue or a failed delivery), {@code added} is every lease and
     * {@code removed} is empty: then only resynchronising from {@code leases} is right, which is
     * what every Weft backend does.
     */
    record Snapshot(List<Lease> leases, List<Lease> added, List<Lease> removed) implements LeaseEvent {
        public Snapshot {
            leases = List.copyOf(leases);
            added = List.copyOf(added);
            removed = List.copyOf(removed);
        }
    }
}
