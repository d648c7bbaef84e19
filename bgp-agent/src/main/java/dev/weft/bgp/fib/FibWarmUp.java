package dev.weft.bgp.fib;

import dev.weft.netlink.Route;
import dev.weft.netlink.RouteRequests;
import dev.weft.netlink.Rt;

import java.util.ArrayList;
import java.util.List;

/**
 * The kernel half of the speaker's start-up warm-up (see {@code dev.weft.bgp.agent.WarmUp}): the
 * routes {@link KernelFib} would program for some changes, built and encoded as its batch would
 * encode them, into a scratch buffer that is never sent. No socket, no kernel, no state.
 */
public final class FibWarmUp {
    private FibWarmUp() {
    }

    /** Returns the netlink octets an add, a replace and a delete of every change's route come to. */
    public static long encode(List<FibChange> changes, int table) {
        List<Route> routes = new ArrayList<>(changes.size());
        for (int i = 0; i < changes.size(); i++) {
            FibChange c = changes.get(i);
            Route r;
            if (c instanceof FibChange.Install in) {
                r = RouteShape.build(in.prefix(), in.hops(), table, KernelFib.BGP_PROTOCOL);
                RouteShape.same(r, r); // what a re-learned route is compared with
            } else if (c instanceof FibChange.Blackhole) {
                r = RouteShape.build(c.prefix(), null, table, KernelFib.BGP_PROTOCOL);
            } else {
                r = RouteShape.ours(c.prefix(), Rt.RTN_UNICAST, table, KernelFib.BGP_PROTOCOL);
            }
            routes.add(r);
        }
        return RouteRequests.encodeScratch(routes);
    }
}
