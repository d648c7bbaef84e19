package dev.weft.bgp.rib;

import dev.weft.bgp.wire.Family;
import dev.weft.net.Cidr;
import java.util.List;

/**
 * A prefix whose selected paths changed: the new best first, then the rest of the ECMP set (with
 * multipath on). Empty means the prefix is gone from the Loc-RIB.
 */
public record RouteChange(Family family, Cidr prefix, List<Path> selected) {
    public RouteChange {
        selected = List.copyOf(selected);
    }

    public boolean removed() {
        return selected.isEmpty();
    }

    /** The best path, or null when removed. */
    public Path best() {
        return selected.isEmpty() ? null : selected.get(0);
    }
}
