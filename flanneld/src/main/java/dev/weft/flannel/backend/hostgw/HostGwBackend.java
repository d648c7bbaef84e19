package dev.weft.flannel.backend.hostgw;

import dev.weft.flannel.backend.AbstractBackend;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.flannel.backend.LeaseFamily;
import dev.weft.flannel.config.BackendTypes;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.net.IpAddress;
import dev.weft.netlink.RtNetlink;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * flannel's host-gw backend: no device, no encapsulation; each remote subnet is routed via the
 * remote node's PublicIP on the external interface, so all nodes must share an L2 segment. Routes
 * are tagged {@code proto 87} ({@link dev.weft.flannel.backend.RouteTag}); a check loop puts back
 * routes that went missing.
 */
public final class HostGwBackend extends AbstractBackend {
    /** flannel's exact refusal. */
    public static final String NAT_MESSAGE = "your PublicIP differs from interface IP, meaning that probably you're on a NAT, "
            + "which is not supported by host-gw backend";

    private final List<GatewayRoutes> families = new ArrayList<>();
    private RtNetlink nl;

    /** @throws BackendException when the PublicIP is not the interface's own address */
    public HostGwBackend(BackendContext ctx) {
        super(ctx, BackendTypes.HOST_GW);
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
    protected LeaseAttrs setUp() {
        ExternalInterface e = ctx.extIface();
        nl = ctx.openNetlink();
        for (LeaseFamily f : LeaseFamily.values()) {
            if (f.enabled(ctx.network())) {
                families.add(new GatewayRoutes(nl, f, f.network(ctx.network()), e.index()));
            }
        }
        return new LeaseAttrs(e.extAddr() != null ? e.extAddr() : IpAddress.V4_UNSPECIFIED,
                ctx.network().enableIPv6() ? e.extAddrV6() : null, BackendTypes.HOST_GW, null, null);
    }

    @Override
    protected void begin(Lease ownLease) {
        background(new RouteChecker(ctx.routeCheckInterval(), this::checkRoutes)).start();
    }

    private synchronized void checkRoutes() {
        if (!isClosed()) {
            families.forEach(GatewayRoutes::check);
        }
    }

    @Override
    protected void added(Lease l) {
        families.forEach(f -> f.add(l));
    }

    @Override
    protected void removed(Lease l) {
        families.forEach(f -> f.remove(l));
    }

    @Override
    protected void resync(List<Lease> leases) {
        families.forEach(f -> f.resync(leases));
    }

    @Override
    public int mtu() {
        return ctx.extIface().mtu();
    }

    @Override
    protected void release() {
        if (nl != null) {
            nl.close();
        }
    }
}
