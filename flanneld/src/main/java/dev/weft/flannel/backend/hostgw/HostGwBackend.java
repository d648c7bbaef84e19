package dev.weft.flannel.backend.hostgw;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.flannel.backend.IpFamily;
import dev.weft.flannel.backend.LeaseTypeFilter;
import dev.weft.flannel.config.BackendTypes;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.net.IpAddress;
import dev.weft.netlink.RtNetlink;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * flannel's host-gw backend: no device, no encapsulation; each remote subnet is routed via the
 * remote node's PublicIP on the external interface, so all nodes must share an L2 segment. Routes
 * are tagged {@code proto 87} ({@link dev.weft.flannel.backend.RouteTag}); a check loop puts back
 * routes that went missing.
 */
public final class HostGwBackend implements Backend {
    private static final Logger LOG = LoggerFactory.getLogger(HostGwBackend.class);
    /** flannel's exact refusal. */
    public static final String NAT_MESSAGE = "your PublicIP differs from interface IP, meaning that probably you're on a NAT, "
            + "which is not supported by host-gw backend";

    private final BackendContext ctx;
    private final LeaseTypeFilter filter = new LeaseTypeFilter(BackendTypes.HOST_GW);
    private final List<GatewayRoutes> families = new ArrayList<>();
    private RtNetlink nl;
    private LeaseAttrs attrs;
    private RouteChecker checker;
    private boolean started;
    private boolean closed;

    /** @throws BackendException when the PublicIP is not the interface's own address */
    public HostGwBackend(BackendContext ctx) {
        this.ctx = ctx;
        ExternalInterface e = ctx.extIface();
        if (!Objects.equals(e.extAddr(), e.ifaceAddr())
                || (ctx.network().enableIPv6() && !Objects.equals(e.extAddrV6(), e.ifaceAddrV6()))) {
            throw new BackendException(NAT_MESSAGE);
        }
        if (ctx.network().enableIPv6() && e.ifaceAddrV6() == null) {
            throw new BackendException("host-gw: IPv6 is enabled but interface " + e.name() + " has no IPv6 address");
        }
    }

    @Override
    public String type() {
        return BackendTypes.HOST_GW;
    }

    @Override
    public synchronized LeaseAttrs prepare() {
        checkOpen();
        if (attrs != null) {
            return attrs;
        }
        ExternalInterface e = ctx.extIface();
        nl = ctx.openNetlink();
        for (IpFamily f : IpFamily.values()) {
            if (f.enabled(ctx.network())) {
                families.add(new GatewayRoutes(nl, f, f.network(ctx.network()), e.index()));
            }
        }
        attrs = new LeaseAttrs(e.extAddr() != null ? e.extAddr() : IpAddress.V4_UNSPECIFIED,
                ctx.network().enableIPv6() ? e.extAddrV6() : null, BackendTypes.HOST_GW, null, null);
        return attrs;
    }

    @Override
    public synchronized LeaseAttrs leaseAttrs() {
        if (attrs == null) {
            throw new IllegalStateException("prepare() first");
        }
        return attrs;
    }

    @Override
    public synchronized void start(Lease ownLease) {
        checkOpen();
        leaseAttrs();
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        filter.setOwnSubnet(ownLease.subnet());
        checker = new RouteChecker(ctx.routeCheckInterval(), this::checkRoutes);
        checker.start();
    }

    private synchronized void checkRoutes() {
        if (!closed) {
            families.forEach(GatewayRoutes::check);
        }
    }

    @Override
    public synchronized void handle(LeaseEvent event) {
        checkOpen();
        if (!started) {
            throw new IllegalStateException("start() first");
        }
        try {
            if (event instanceof LeaseEvent.Added) {
                Lease l = ((LeaseEvent.Added) event).lease();
                if (filter.accepts(l)) {
                    families.forEach(f -> f.add(l));
                }
            } else if (event instanceof LeaseEvent.Removed) {
                Lease l = ((LeaseEvent.Removed) event).lease();
                if (filter.accepts(l)) {
                    families.forEach(f -> f.remove(l));
                }
            } else if (event instanceof LeaseEvent.Snapshot) {
                List<Lease> mine = ((LeaseEvent.Snapshot) event).leases().stream().filter(filter::accepts).toList();
                families.forEach(f -> f.resync(mine));
            }
        } catch (RuntimeException e) {
            LOG.error("host-gw: handling {} failed: {}", event.getClass().getSimpleName(), e.toString(), e);
        }
    }

    @Override
    public int mtu() {
        return ctx.extIface().mtu();
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("backend closed");
        }
    }

    /** Stops the route check and closes the socket; the routes stay. */
    @Override
    public void close() {
        RouteChecker c;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            c = checker;
        }
        if (c != null) {
            c.close();
        }
        synchronized (this) {
            if (nl != null) {
                nl.close();
            }
        }
    }
}
