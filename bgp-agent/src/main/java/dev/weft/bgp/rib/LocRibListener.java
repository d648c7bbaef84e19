package dev.weft.bgp.rib;

import java.util.List;

/**
 * Receives the Loc-RIB's best-path changes, e.g. the FIB. Called on the RIB thread after each
 * RIB operation with that operation's changes (one entry per prefix, the latest state); must not
 * call back into the RIB.
 */
@FunctionalInterface
public interface LocRibListener {
    void changed(List<RouteChange> changes);
}
