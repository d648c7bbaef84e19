package dev.weft.flannel.backend;

import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.LeaseEvent;

/**
 * One way of carrying pod traffic between nodes (vxlan, host-gw, later udp and bgp). The daemon
 * drives every backend through the same four steps, which is flannel's RegisterNetwork split where
 * the lease is acquired:
 *
 * <pre>{@code
 * Backend b = BackendRegistry.standard().create(ctx);   // parses and checks options
 * LeaseAttrs attrs = b.prepare();                        // creates/reuses the device; now the VtepMAC is known
 * Lease own = subnetManager.acquire(attrs);              // the daemon's business
 * b.start(own);                                          // device address = own subnet /32, watchers start
 * writeSubnetEnv(own, b.mtu());
 * leaseWatcher.forEach(b::handle);                       // Snapshot first, then Added/Removed
 * b.close();                                             // stops threads; the data path stays up
 * }</pre>
 *
 * <p>{@link #handle} may be called from one thread at a time; a backend's own threads (device
 * watcher, route checker) synchronise with it internally.
 */
public interface Backend extends AutoCloseable {

    /** The lease BackendType this backend publishes and accepts ("vxlan", "host-gw"). */
    String type();

    /**
     * Builds what the lease must carry: creates or reuses the backend's device where it has one.
     * Idempotent; returns the same attrs as {@link #leaseAttrs()} afterwards.
     *
     * @throws BackendException when the node cannot run this backend
     */
    LeaseAttrs prepare();

    /** What {@link #prepare()} returned; IllegalStateException before it. */
    LeaseAttrs leaseAttrs();

    /**
     * Finishes set-up once the node holds {@code ownLease}: addresses the device, brings it up and
     * starts the backend's background work. Leases of other nodes arrive afterwards via
     * {@link #handle}.
     */
    void start(Lease ownLease);

    /**
     * Applies a change of other nodes' leases to the kernel. A {@link LeaseEvent.Snapshot} is the
     * complete set: entries this backend owns that match no lease in it are removed. Leases of
     * another backend type, or whose BackendData this backend cannot use, are ignored (logged).
     * Never throws for a bad lease or a kernel refusal; those are logged.
     */
    void handle(LeaseEvent event);

    /** The MTU pods must use (FLANNEL_MTU). Valid after {@link #prepare()}. */
    int mtu();

    /**
     * The backend's own counters in the Prometheus text format (served on /metrics), or "" when it
     * keeps none. Called from any thread.
     */
    default String metricsText() {
        return "";
    }

    /** Stops the backend's threads and releases its sockets. Devices, routes and entries stay. */
    @Override
    void close();
}
