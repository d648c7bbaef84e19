package dev.weft.bgp.fib;

import dev.weft.net.Cidr;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel route for a desired state, and whether a route read back from the kernel already is
 * it (so a restart that re-learns 100,000 unchanged routes rewrites none). Pure.
 */
final class RouteShape {
    private RouteShape() {
    }

    /** A blackhole, or a route over hops whose devices are already resolved to indexes. */
    static Route build(Cidr prefix, List<NextHop> hops, int table, int protocol) {
        if (hops != null && hops.size() == 1) {
            // one record, not a chain of five: a full table builds 100,000 of these at once
            NextHop h = hops.get(0);
            return new Route(prefix.network(), h.gateway(), h.ifindex(), null, 0, table, -1, protocol, Rt.RTN_UNICAST,
                    h.onlink() ? Rt.RTNH_F_ONLINK : 0);
        }
        Route base = Route.to(prefix).inTable(table).withProtocol(protocol);
        if (hops == null) {
            return base.withType(Rt.RTN_BLACKHOLE);
        }
        List<Route.NextHop> mp = new ArrayList<>(hops.size());
        for (NextHop h : hops) {
            Route.NextHop k = new Route.NextHop(h.gateway(), h.ifindex(), h.weight(), 0);
            mp.add(h.onlink() ? k.onlink() : k);
        }
        return base.multipath(mp);
    }

    /**
     * The route Weft deletes for {@code prefix}: its own there, whatever the next hops. The type
     * must be the one in the kernel (IPv4 matches it: a unicast delete misses a blackhole).
     */
    static Route ours(Cidr prefix, int type, int table, int protocol) {
        return Route.to(prefix).withType(type).inTable(table).withProtocol(protocol);
    }

    /**
     * Whether {@code kernel} (read back) forwards as {@code wanted} does: same type and the same
     * hops (gateway, onlink, and the device where one was asked for); flags the kernel adds
     * (dead, linkdown) and the device it chose itself do not count.
     */
    static boolean same(Route kernel, Route wanted) {
        if (kernel.type() != wanted.type()) {
            return false;
        }
        if (wanted.type() == Rt.RTN_BLACKHOLE) {
            return true;
        }
        List<Route.NextHop> k = hops(kernel);
        List<Route.NextHop> w = hops(wanted);
        if (k.size() != w.size()) {
            return false;
        }
        for (Route.NextHop want : w) {
            boolean found = false;
            for (Route.NextHop have : k) {
                if (matches(have, want, w.size() > 1)) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }

    private static boolean matches(Route.NextHop have, Route.NextHop want, boolean weighed) {
        return want.gateway().equals(have.gateway()) && have.isOnlink() == want.isOnlink()
                && (want.oif() == 0 || want.oif() == have.oif()) && (!weighed || have.weight() == want.weight());
    }

    /** A route's hops, a single-path route's as one. */
    private static List<Route.NextHop> hops(Route r) {
        if (r.isMultipath()) {
            return r.nexthops();
        }
        if (r.gateway() == null) {
            return List.of();
        }
        return List.of(new Route.NextHop(r.gateway(), r.oif(), 1, r.flags() & Rt.RTNH_F_ONLINK));
    }
}
