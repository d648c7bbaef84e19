package dev.weft.bgp.status.cli;

import dev.weft.bgp.status.RouteView;
import dev.weft.bgp.status.RouteView.PathView;
import java.util.List;

/** `weftctl bgp routes`: one line per path, like `gobgp global rib` ("*>" best, "*=" ECMP, "* " other). */
final class RouteTable {
    private RouteTable() {
    }

    /**
     * @param header true for the first page of a listing
     * @param v6     widens the prefix and next-hop columns so that pages line up
     */
    static String render(List<RouteView> routes, long nowMillis, boolean header, boolean v6) {
        TextTable t = new TextTable("", "Network", "Next Hop", "AS_PATH", "Age", "Attrs")
                .minWidths(2, v6 ? 24 : 18, v6 ? 24 : 15, 10, 8);
        for (RouteView r : routes) {
            for (PathView p : r.paths()) {
                t.row(marker(p), r.prefix(), p.nextHop(), p.asPath(),
                        p.learnedAtMillis() == 0 ? "-" : Durations.since(nowMillis, p.learnedAtMillis()), attrs(p));
            }
        }
        return header ? t.render() : t.renderBody();
    }

    private static String marker(PathView p) {
        return p.best() ? "*>" : p.multipath() ? "*=" : "* ";
    }

    private static String attrs(PathView p) {
        StringBuilder b = new StringBuilder("[{Origin: ").append(p.origin()).append('}');
        if (p.med() != null) {
            b.append(" {Med: ").append(p.med()).append('}');
        }
        if (p.localPref() != null) {
            b.append(" {LocalPref: ").append(p.localPref()).append('}');
        }
        if (!p.communities().isEmpty()) {
            b.append(" {Communities: ").append(String.join(", ", p.communities())).append('}');
        }
        b.append(" {From: ").append(p.fromPeer()).append('}');
        if (p.stale()) {
            b.append(" {Stale}");
        }
        return b.append(']').toString();
    }
}
