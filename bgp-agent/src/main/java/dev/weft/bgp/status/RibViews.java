package dev.weft.bgp.status;

import dev.weft.bgp.rib.Attrs;
import dev.weft.bgp.rib.Path;
import dev.weft.bgp.rib.RibEntry;
import dev.weft.bgp.status.RouteView.PathView;
import dev.weft.bgp.wire.AsPathSegment;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Turns what {@link dev.weft.bgp.rib.Rib#dump} returns into {@link RouteView}s, for the agent's
 * {@link StatusSource#routes}. Runs on the RIB thread; the views hold strings only.
 */
public final class RibViews {
    private RibViews() {
    }

    /**
     * The page of a dump sorted by prefix (as {@code Rib.dump} returns it) that starts after
     * {@code after}: found by binary search, so a page costs O(log n + limit), not O(n).
     *
     * @param learnedAt wall-clock millis of a path's last change, 0 when the agent does not track it
     */
    public static RoutePage page(List<RibEntry> sorted, Cidr after, int limit, ToLongFunction<Path> learnedAt) {
        int from = after == null ? 0 : firstAfter(sorted, after);
        int to = (int) Math.min(sorted.size(), (long) from + limit);
        List<RouteView> views = new ArrayList<>(Math.max(0, to - from));
        for (int i = from; i < to; i++) {
            views.add(route(sorted.get(i), learnedAt));
        }
        return new RoutePage(views, to < sorted.size());
    }

    private static int firstAfter(List<RibEntry> sorted, Cidr after) {
        int lo = 0;
        int hi = sorted.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted.get(mid).prefix().compareTo(after) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** One prefix: the selected paths first (best, then the ECMP ones), then the other accepted paths. */
    public static RouteView route(RibEntry e, ToLongFunction<Path> learnedAt) {
        List<PathView> paths = new ArrayList<>(e.paths().size());
        for (int i = 0; i < e.selected().size(); i++) {
            paths.add(path(e.selected().get(i), i == 0, i > 0, learnedAt));
        }
        for (Path p : e.paths()) {
            if (!e.selected().contains(p)) {
                paths.add(path(p, false, false, learnedAt));
            }
        }
        return new RouteView(e.prefix().toString(), paths);
    }

    private static PathView path(Path p, boolean best, boolean multipath, ToLongFunction<Path> learnedAt) {
        Attrs a = p.attrs();
        PathAttribute.LocalPref lp = a.get(PathAttribute.LocalPref.class);
        PathAttribute.MultiExitDisc med = a.get(PathAttribute.MultiExitDisc.class);
        PathAttribute.Origin origin = a.get(PathAttribute.Origin.class);
        return new PathView(best, multipath, nextHop(a), asPath(a.asPath()), lp == null ? null : lp.value(),
                med == null ? null : med.value(), origin(origin), communities(a),
                p.isLocal() ? "local" : p.source().key().toString(), p.stale(), learnedAt.applyAsLong(p));
    }

    private static String nextHop(Attrs a) {
        if (a.nextHop() == null) {
            return "local";
        }
        return a.linkLocalNextHop() == null ? a.nextHop().toString()
                : a.nextHop() + " (" + a.linkLocalNextHop() + ")";
    }

    /** As BIRD prints it: sequences bare, sets in braces, confederation segments in () and []. */
    static String asPath(PathAttribute.AsPath path) {
        StringBuilder b = new StringBuilder();
        for (AsPathSegment s : path.segments()) {
            String[] brackets = switch (s.segmentType()) {
                case AsPathSegment.AS_SET -> new String[] {"{", "}"};
                case AsPathSegment.AS_CONFED_SEQUENCE -> new String[] {"(", ")"};
                case AsPathSegment.AS_CONFED_SET -> new String[] {"[", "]"};
                default -> new String[] {"", ""};
            };
            if (!b.isEmpty()) {
                b.append(' ');
            }
            b.append(brackets[0]);
            for (int i = 0; i < s.asns().size(); i++) {
                b.append(i == 0 ? "" : " ").append(s.asns().get(i));
            }
            b.append(brackets[1]);
        }
        return b.toString();
    }

    private static String origin(PathAttribute.Origin o) {
        if (o == null) {
            return "?";
        }
        return switch (o.value()) {
            case PathAttribute.Origin.IGP -> "i";
            case PathAttribute.Origin.EGP -> "e";
            default -> "?";
        };
    }

    private static List<String> communities(Attrs a) {
        List<String> out = new ArrayList<>();
        PathAttribute.Communities c = a.get(PathAttribute.Communities.class);
        if (c != null) {
            for (int v : c.values()) {
                out.add(community(v));
            }
        }
        PathAttribute.LargeCommunities l = a.get(PathAttribute.LargeCommunities.class);
        if (l != null) {
            for (PathAttribute.LargeCommunities.LargeCommunity x : l.values()) {
                out.add(x.globalAdmin() + ":" + x.localData1() + ":" + x.localData2());
            }
        }
        return out;
    }

    /** Well-known communities (RFC 1997, 3765, 8326, 7999) by name, the others as AS:value. */
    static String community(int v) {
        return switch (v) {
            case PathAttribute.Communities.NO_EXPORT -> "no-export";
            case PathAttribute.Communities.NO_ADVERTISE -> "no-advertise";
            case 0xFFFFFF03 -> "no-export-subconfed";
            case 0xFFFFFF04 -> "nopeer";
            case 0xFFFF0000 -> "graceful-shutdown";
            case 0xFFFF029A -> "blackhole";
            default -> (v >>> 16) + ":" + (v & 0xffff);
        };
    }
}
