package dev.weft.bgp.status;

import java.util.List;

/**
 * One page of a Loc-RIB dump.
 *
 * @param more true when prefixes follow the last one of this page
 */
public record RoutePage(List<RouteView> routes, boolean more) {
    public RoutePage {
        routes = List.copyOf(routes);
    }
}
