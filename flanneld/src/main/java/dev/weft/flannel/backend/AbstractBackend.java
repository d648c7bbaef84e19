package dev.weft.flannel.backend;

import dev.weft.flannel.backend.ipip.BpfIpip;
import dev.weft.flannel.backend.ipip.IpipPath;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.netlink.RtNetlink;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Backend} lifecycle, written once: prepare once, start once, events only between start
 * and close, close once, and the dispatch of a {@link LeaseEvent} to the leases this backend
 * accepts. A backend type fills in the steps ({@link #setUp}, {@link #begin}, {@link #added},
 * {@link #removed}, {@link #resync}, {@link #release}); every step runs under this object's lock,
 * so a backend's own threads synchronise on it too.
 */
public abstract class AbstractBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(AbstractBackend.class);

    protected final BackendContext ctx;
    private final String type;
    private final LeaseTypeFilter filter;
    private LeaseAttrs attrs;
    private Lease own;
    private boolean closed;
    private final List<AutoCloseable> workers = new ArrayList<>();

    protected AbstractBackend(BackendContext ctx, String type) {
        this.ctx = ctx;
        this.type = type;
        this.filter = new LeaseTypeFilter(type);
    }

    @Override
    public final String type() {
        return type;
    }

    @Override
    public final synchronized LeaseAttrs prepare() {
        checkOpen();
        if (attrs == null) {
            HostRoutes.requireNoConflict(ctx);
            attrs = setUp();
        }
        return attrs;
    }

    @Override
    public final synchronized LeaseAttrs leaseAttrs() {
        if (attrs == null) {
            throw new IllegalStateException("prepare() first");
        }
        return attrs;
    }

    @Override
    public final synchronized void start(Lease ownLease) {
        checkOpen();
        leaseAttrs();
        if (own != null) {
            throw new IllegalStateException(type + " backend already started with " + own.subnet()
                    + "; a changed own lease is the daemon's to handle (see Backend)");
        }
        if (!usesBpfIpip() && ctx.namespace() != null) {
            removeBpfIpipLeftovers();
        }
        begin(ownLease);
        own = ownLease;
        filter.setOwnSubnet(ownLease.subnet());
    }

    /**
     * Whether this backend may run the bpf IPIP path (the bgp backend with Encap IPIP). That path
     * keeps its veth tunl0, the routes through it and its tc filters across a restart; every other
     * backend, and the bgp backend with another Encap, removes them before it starts.
     */
    protected boolean usesBpfIpip() {
        return false;
    }

    private void removeBpfIpipLeftovers() {
        try (RtNetlink nl = ctx.openNetlink()) {
            BpfIpip.removeLeftovers(nl, IpipPath.DEVICE, ctx.extIface().index());
        } catch (RuntimeException e) {
            LOG.warn("{}: could not remove what a bpf IPIP path left: {}", type, e.getMessage());
        }
    }

    @Override
    public final synchronized void handle(LeaseEvent event) {
        checkOpen();
        if (own == null) {
            throw new IllegalStateException("start() first");
        }
        // The one dispatch over the sealed LeaseEvent (Java 17 has no pattern switch). A bad lease or
        // a kernel refusal is the steps' to log; anything else escaping here is unexpected and goes to
        // the caller (the daemon's event pump logs it, counts it and resyncs with back-off).
        if (event instanceof LeaseEvent.Added a) {
            if (accepts(a.lease())) {
                added(a.lease());
            }
        } else if (event instanceof LeaseEvent.Removed r) {
            if (accepts(r.lease())) {
                removed(r.lease());
            }
        } else if (event instanceof LeaseEvent.Snapshot s) {
            resync(s.leases().stream().filter(this::accepts).toList());
        } else {
            throw new IllegalArgumentException("unknown lease event " + event);
        }
    }

    /**
     * Stops the {@link #background} workers, newest first and outside the lock (they may be
     * waiting for it), then {@link #release}s the rest under it. Devices, routes and entries stay.
     */
    @Override
    public final void close() {
        List<AutoCloseable> stopping;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            stopping = new ArrayList<>(workers);
        }
        for (int i = stopping.size() - 1; i >= 0; i--) {
            try {
                stopping.get(i).close();
            } catch (Exception e) {
                LOG.warn("{}: stopping {} failed: {}", type, stopping.get(i), e.toString());
            }
        }
        synchronized (this) {
            release();
        }
    }

    /** Registers a started background worker (a watcher, a check loop): {@link #close} stops it. */
    protected final synchronized <W extends AutoCloseable> W background(W worker) {
        workers.add(worker);
        return worker;
    }

    /** The node's own lease, or null before {@link #start}. */
    protected final synchronized Lease ownLease() {
        return own;
    }

    /** True once {@link #close} began: a backend thread that wakes up then does nothing. */
    protected final synchronized boolean isClosed() {
        return closed;
    }

    /**
     * Which leases reach {@link #added}, {@link #removed} and {@link #resync}: by default those of
     * this backend's type, never the node's own.
     */
    protected boolean accepts(Lease l) {
        return filter.accepts(l);
    }

    /** Creates or reuses the device; returns what the lease must carry. Called once. */
    protected abstract LeaseAttrs setUp();

    /** Addresses the device for {@code ownLease} and starts background work. Called once, after {@link #setUp}. */
    protected abstract void begin(Lease ownLease);

    /** A lease appeared or changed. */
    protected abstract void added(Lease l);

    /** A lease went away. */
    protected abstract void removed(Lease l);

    /** The complete set of accepted leases: what matches none of them goes. */
    protected abstract void resync(List<Lease> leases);

    /** Releases sockets and descriptors; called under the lock, once, after the workers stopped. */
    protected void release() {
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("backend closed");
        }
    }
}
