package dev.weft.bgp.agent;

import dev.weft.bgp.fib.FibChange;
import dev.weft.bgp.fib.FibShaper;
import dev.weft.bgp.fib.NextHop;
import dev.weft.bgp.rib.Path;
import dev.weft.bgp.rib.PeerKey;
import dev.weft.bgp.rib.RouteChange;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToIntFunction;

/** A best-path change as the kernel should see it. Pure. */
final class FibRoutes {
    private FibRoutes() {
    }

    /**
     * @param originated our own prefixes, each with whether it gets a blackhole route
     * @param ifindexOf  the interface of a peer's session, for IPv6 link-local next hops (0 unknown)
     * @param shaper     the embedder's device/onlink choice per hop (null hops are left out)
     */
    static FibChange toFib(RouteChange c, Map<Cidr, Boolean> originated, ToIntFunction<PeerKey> ifindexOf,
                           FibShaper shaper) {
        return toFib(c, originated, ifindexOf, shaper, new LastHop());
    }

    /**
     * The hop list of the previous single-path change, reused while the next one shapes to an
     * equal hop: a full table from one peer has one next hop, and its 100,000 desired routes then
     * share one list instead of holding a list and a hop each until the table goes.
     */
    static final class LastHop {
        NextHop hop;
        List<NextHop> list;

        List<NextHop> of(NextHop h) {
            if (!h.equals(hop)) {
                hop = h;
                list = List.of(h);
            }
            return list;
        }
    }

    private static FibChange toFib(RouteChange c, Map<Cidr, Boolean> originated, ToIntFunction<PeerKey> ifindexOf,
                                   FibShaper shaper, LastHop last) {
        Cidr prefix = c.prefix();
        if (c.removed()) {
            return new FibChange.Remove(prefix);
        }
        if (c.best().isLocal()) {
            // Our own prefix wins over learned ones; the kernel gets its blackhole or nothing.
            return Boolean.TRUE.equals(originated.get(prefix)) ? new FibChange.Blackhole(prefix) : new FibChange.Remove(prefix);
        }
        List<Path> selected = c.selected();
        if (selected.size() == 1) {
            // the usual case (no ECMP), without the dedup set: a full table makes 100,000 of these
            NextHop h = hop(selected.get(0), ifindexOf, prefix, shaper);
            return h == null ? new FibChange.Remove(prefix) : new FibChange.Install(prefix, last.of(h));
        }
        Set<NextHop> hops = new LinkedHashSet<>();
        for (Path p : selected) {
            NextHop h = hop(p, ifindexOf, prefix, shaper);
            if (h != null) {
                hops.add(h);
            }
        }
        return hops.isEmpty() ? new FibChange.Remove(prefix) : new FibChange.Install(prefix, new ArrayList<>(hops));
    }

    /**
     * The path's next hop as the embedder shapes it (null: none, or kept out of the kernel); a
     * link-local one goes out of the interface its session runs over.
     */
    private static NextHop hop(Path p, ToIntFunction<PeerKey> ifindexOf, Cidr prefix, FibShaper shaper) {
        IpAddress gw = p.attrs().nextHop();
        if (gw == null || p.isLocal()) {
            return null;
        }
        if (gw.isLinkLocalUnicast()) {
            int ifindex = ifindexOf.applyAsInt(p.source().key());
            return ifindex == 0 ? null : shaper.shape(prefix, NextHop.via(gw).dev(ifindex));
        }
        return shaper.shape(prefix, NextHop.via(gw));
    }

    /** {@code last}: kept by the caller across calls (one thread), so lists are shared table-wide. */
    static List<FibChange> all(List<RouteChange> changes, Map<Cidr, Boolean> originated, ToIntFunction<PeerKey> ifindexOf,
                               FibShaper shaper, LastHop last) {
        List<FibChange> out = new ArrayList<>(changes.size());
        for (RouteChange c : changes) {
            out.add(toFib(c, originated, ifindexOf, shaper, last));
        }
        return out;
    }
}
