package dev.weft.flannel.backend.hostgw;

import dev.weft.flannel.backend.LeaseFamily;
import dev.weft.flannel.backend.Retry;
import dev.weft.flannel.backend.RouteTag;
import dev.weft.flannel.lease.Lease;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netlink.BatchFailure;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host-gw routes of one address family: {@code S via PublicIP dev <ext> proto 87} per remote
 * subnet, and the list of them the route check puts back when they go missing (flannel's
 * RouteNetwork).
 */
final class GatewayRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayRoutes.class);

    private final RtNetlink nl;
    private final LeaseFamily family;
    private final Cidr network;
    private final int extIndex;
    private final Map<Cidr, Route> wanted = new LinkedHashMap<>();

    GatewayRoutes(RtNetlink nl, LeaseFamily family, Cidr network, int extIndex) {
        this.nl = nl;
        this.family = family;
        this.network = network;
        this.extIndex = extIndex;
    }

    Map<Cidr, Route> wanted() {
        return Map.copyOf(wanted);
    }

    /** The route for a lease, or null when the lease has no half of this family. */
    private Route routeFor(Lease l) {
        Cidr s = family.subnet(l);
        IpAddress gw = family.publicIp(l.attrs());
        if (s == null || gw == null) {
            return null;
        }
        return Route.to(s.network()).via(gw).dev(extIndex).withProtocol(RouteTag.PROTOCOL);
    }

    void add(Lease l) {
        Route want = routeFor(l);
        if (want == null) {
            return;
        }
        LOG.info("subnet added: {} via {}", want.dst(), want.gateway());
        wanted.put(want.dst(), want);
        List<Route> existing = routesTo(want.dst());
        if (leftAlone(RouteTag.foreignTo(existing, want.dst()), want)) {
            return;
        }
        boolean present = false;
        for (Route r : existing) {
            if (sameNextHop(r, want)) {
                present |= r.priority() == 0;
            } else if (r.priority() != 0) {
                // Our route to it with another next hop and metric: a replace would not touch it, so it goes.
                LOG.warn("replacing existing route to {} via {} dev #{} metric {} with {} via {}", r.dst(), r.gateway(),
                        r.oif(), r.priority(), want.dst(), want.gateway());
                NetlinkException e = Retry.quietly(() -> nl.deleteRoute(r));
                if (e != null) {
                    LOG.error("error deleting route to {}: {}", r.dst(), e.getMessage());
                }
            }
        }
        if (present) {
            LOG.info("route to {} via {} already exists, skipping", want.dst(), want.gateway());
            return;
        }
        try {
            Retry.run(() -> nl.replaceRoute(want));
        } catch (NetlinkException e) {
            LOG.error("error adding route to {} via {}: {}", want.dst(), want.gateway(), e.getMessage());
        }
    }

    /** True (and logged) when a route Weft did not make holds the destination: it is never replaced. */
    private static boolean leftAlone(Route foreign, Route want) {
        if (foreign == null) {
            return false;
        }
        LOG.error("not routing {} via {}: the route to {} via {} dev #{} (protocol {}) is not Weft's; remove it",
                want.dst(), want.gateway(), foreign.dst(), foreign.gateway(), foreign.oif(), foreign.protocol());
        return true;
    }

    void remove(Lease l) {
        Route r = routeFor(l);
        if (r == null) {
            return;
        }
        LOG.info("subnet removed: {}", r.dst());
        wanted.remove(r.dst());
        NetlinkException e = RouteTag.deleteOurs(nl, r);
        if (e != null) {
            LOG.error("error deleting route to {}: {}", r.dst(), e.getMessage());
        }
    }

    /** The route check: puts back every wanted route that is missing from the kernel. */
    void check() {
        Map<Cidr, List<Route>> byDst = byDst(nl.routes(family.af(), Rt.RT_TABLE_MAIN));
        for (Route want : wanted.values()) {
            List<Route> have = byDst.getOrDefault(want.dst(), List.of());
            if (RouteTag.foreignTo(have, want.dst()) == null && have.stream().noneMatch(r -> sameNextHop(r, want))) {
                try {
                    nl.replaceRoute(want);
                    LOG.info("route recovered {} : {}", want.dst(), want.gateway());
                } catch (NetlinkException e) {
                    LOG.error("error recovering route to {}: {}, {}", want.dst(), want.gateway(), e.getMessage());
                }
            }
        }
    }

    /** A Snapshot: wanted = these leases; tagged routes in the network for other subnets go; missing ones come. */
    void resync(Collection<Lease> leases) {
        long t0 = System.nanoTime();
        Map<Cidr, Route> desired = new LinkedHashMap<>();
        for (Lease l : leases) {
            Route r = routeFor(l);
            if (r != null) {
                desired.put(r.dst(), r);
            }
        }
        Map<Cidr, List<Route>> byDst = byDst(nl.routes(family.af(), Rt.RT_TABLE_MAIN));
        RtNetlink.Batch del = nl.batch();
        for (List<Route> rs : byDst.values()) {
            for (Route r : rs) {
                Route want = desired.get(r.dst());
                boolean stale = RouteTag.isOurs(r, network)
                        && (want == null || (r.priority() != 0 && !sameNextHop(r, want)));
                if (stale) {
                    del.deleteRoute(r);
                }
            }
        }
        int removed = del.size();
        logFailures("removing stale routes", del.execute(), true);

        RtNetlink.Batch add = nl.batch();
        List<Route> queued = new ArrayList<>();
        for (Route want : desired.values()) {
            List<Route> have = byDst.getOrDefault(want.dst(), List.of());
            boolean present = have.stream()
                    .anyMatch(r -> sameNextHop(r, want) && r.priority() == 0 && r.protocol() == RouteTag.PROTOCOL);
            if (!present && !leftAlone(RouteTag.foreignTo(have, want.dst()), want)) {
                add.replaceRoute(want);
                queued.add(want);
            }
        }
        List<BatchFailure> failures = add.execute();
        logFailures("adding routes", failures, false);
        wanted.clear();
        wanted.putAll(desired);
        for (BatchFailure f : failures) {
            Route want = queued.get(f.index());
            try {
                Retry.run(() -> nl.replaceRoute(want));
            } catch (NetlinkException e) {
                LOG.error("error adding route to {} via {}: {}", want.dst(), want.gateway(), e.getMessage());
            }
        }
        LOG.info("host-gw {}: synchronised {} routes in {} ms: removed {}, wrote {}", family, desired.size(),
                (System.nanoTime() - t0) / 1_000_000, removed, queued.size());
    }

    private List<Route> routesTo(Cidr dst) {
        List<Route> out = new ArrayList<>();
        for (Route r : nl.routes(family.af(), Rt.RT_TABLE_MAIN)) {
            if (r.dst().equals(dst) && r.type() == Rt.RTN_UNICAST) {
                out.add(r);
            }
        }
        return out;
    }

    private static Map<Cidr, List<Route>> byDst(List<Route> routes) {
        Map<Cidr, List<Route>> m = new HashMap<>();
        for (Route r : routes) {
            if (r.type() == Rt.RTN_UNICAST) {
                m.computeIfAbsent(r.dst(), d -> new ArrayList<>()).add(r);
            }
        }
        return m;
    }

    /** flannel's routeEqual: same destination, gateway and device. */
    private static boolean sameNextHop(Route a, Route b) {
        return a.dst().equals(b.dst()) && Objects.equals(a.gateway(), b.gateway()) && a.oif() == b.oif();
    }

    private static void logFailures(String what, List<BatchFailure> failures, boolean ignoreNotFound) {
        int shown = 0;
        for (BatchFailure f : failures) {
            if (ignoreNotFound && f.error().isNotFound()) {
                continue;
            }
            if (shown++ < 5) {
                LOG.warn("host-gw: {}: {}", what, f.error().getMessage());
            }
        }
    }
}
