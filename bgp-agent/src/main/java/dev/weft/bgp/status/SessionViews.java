package dev.weft.bgp.status;

import dev.weft.bgp.fsm.Negotiated;
import dev.weft.bgp.wire.Family;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Pieces of a {@link PeerView} the agent takes from the session layer. */
public final class SessionViews {
    private SessionViews() {
    }

    /** The short capability names of {@link PeerView#capabilities()}, in a fixed order. */
    public static List<String> capabilities(Negotiated n) {
        List<String> out = new ArrayList<>();
        for (Family f : new TreeSet<>(n.families())) {
            out.add("mp(" + FamilyLabel.of(f) + ")");
        }
        if (n.fourOctetAs()) {
            out.add("4-octet-as");
        }
        if (n.routeRefresh()) {
            out.add("route-refresh");
        }
        if (n.enhancedRouteRefresh()) {
            out.add("enhanced-route-refresh");
        }
        addPath(out, "add-path-rx", n.addPathReceive());
        addPath(out, "add-path-tx", n.addPathSend());
        if (n.extendedMessage()) {
            out.add("extended-message");
        }
        n.gracefulRestart().ifPresent(gr -> out.add("graceful-restart(" + gr.restartTime() + "s"
                + (gr.restarting() ? ", restarting" : "") + ")"));
        return out;
    }

    private static void addPath(List<String> out, String name, Set<Family> families) {
        for (Family f : new TreeSet<>(families)) {
            out.add(name + "(" + FamilyLabel.of(f) + ")");
        }
    }
}
