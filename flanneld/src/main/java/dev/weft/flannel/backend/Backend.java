package dev.weft.flannel.backend;

import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.LeaseEvent;

/**
 * One way of carrying pod traffic between nodes (vxlan, host-gw, udp, later bgp). The daemon
 * drives every backend through the same steps, which is flannel's RegisterNetwork split where the
 * lease is acquired:
 *
 * <pre>{@code
 * Backend b = BackendRegistry.standard().create(ctx);   // parses and checks options
 * LeaseAttrs attrs = b.prepare();                        // checks the host's routes, creates/reuses the device
 * Lease own = subnetManager.acquire(attrs);              // the daemon's business
 * b.start(own);                                          // device address = own subnet, background work starts
 * writeSubnetEnv(own, b.mtu());
 * leaseWatcher.forEach(b::handle);                       // Snapshot first, then Added/Removed/Snapshot
 * b.close();                                             // stops threads; the data path stays up
 * }</pre>
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Threads.</b> {@link #prepare}, {@link #start} and {@link #close} are called by the
 *   daemon's main thread; {@link #handle} by one lease-event thread, never concurrently with
 *   itself; {@link #close} may come while {@link #handle} runs (shutdown) and waits for it;
 *   {@link #metricsText} and {@link #mtu} from any thread. A backend's own threads (device
 *   watcher, route check, data path) synchronise with these internally.</li>
 *   <li><b>Idempotence.</b> {@link #prepare} is idempotent and reuses what an earlier weftd left
 *   (device, MAC, routes): a restart must not disturb traffic. {@link #handle} is idempotent per
 *   event: applying an event twice, or a Snapshot of what is already programmed, changes nothing.
 *   {@link #close} is idempotent. {@link #start} is called exactly once and throws when called
 *   again.</li>
 *   <li><b>What {@code start} may assume.</b> {@link #prepare} succeeded; {@code ownLease} was
 *   acquired with the attrs it returned (so PublicIP, MAC and type are this node's); the kernel may
 *   still hold state of an earlier lease of this node (another device address, old routes), which
 *   {@code start} and the first Snapshot reconcile. No {@link #handle} comes before it returns.</li>
 *   <li><b>The node's own lease.</b> Leases for the own subnet are never programmed (a backend
 *   skips them in {@link #handle}). When the own lease is lost and acquired again, the backend is
 *   not told: with the same subnet nothing has to change, and with a different subnet the daemon
 *   exits ({@code Main.EXIT_LEASE_MOVED}) without touching the kernel, so the restarted weftd
 *   prepares and starts a fresh backend on the new lease. A backend never moves subnets in place.</li>
 *   <li><b>Routes.</b> Every route a backend makes carries {@link RouteTag#PROTOCOL}; a route
 *   without it is never replaced or deleted. {@link #prepare} refuses a Network that overlaps the
 *   external interface's subnet or a route Weft did not make ({@link HostRoutes}).</li>
 *   <li><b>Errors.</b> {@link #prepare} and {@link #start} throw {@link BackendException} when the
 *   node cannot run the backend; {@link #handle} never throws for a bad lease or a kernel refusal
 *   (logged instead). Anything else it throws is a bug that reaches the caller, whose event pump
 *   logs and counts it and resynchronises the backend from the whole lease set with back-off.</li>
 * </ul>
 *
 * <p>{@link AbstractBackend} implements this lifecycle once; a new backend extends it and fills in
 * its steps, in a package of its own with a {@link BackendFactory}.
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

    /**
     * Says how the coming {@link #close} leaves this node's routes with its peers, and returns that in
     * a few words for weftd's shutdown report. {@code withdraw} is a node leaving for good ({@code
     * weftctl shutdown --withdraw}): a backend that announces routes to peers then makes them drop
     * them at once; otherwise a stop is a restart and leaves them as a restart would. A backend with
     * no peers of its own has nothing to change. Called by the daemon's main thread before close.
     */
    default String prepareStop(boolean withdraw) {
        return type() + " data path left in place";
    }

    /** Stops the backend's threads and releases its sockets. Devices, routes and entries stay. */
    @Override
    void close();
}
