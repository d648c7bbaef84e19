package dev.weft.bgp.status;

import dev.weft.bgp.fsm.DownReason;
import dev.weft.bgp.fsm.Negotiated;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Notification;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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

    /**
     * The {@link PeerView.LastError} of a session that went down: the NOTIFICATION we sent wins over
     * one received (ours names why we closed), and the text is the session layer's decoded reason.
     */
    public static PeerView.LastError lastError(DownReason why, long atMillis) {
        Optional<Notification> n = why.sent().isPresent() ? why.sent() : why.received();
        PeerView.Direction d = why.sent().isPresent() ? PeerView.Direction.SENT
                : why.received().isPresent() ? PeerView.Direction.RECEIVED : PeerView.Direction.NONE;
        return new PeerView.LastError(d, n.map(Notification::code).orElse(0), n.map(Notification::subcode).orElse(0),
                why.toString(), atMillis);
    }

    private static void addPath(List<String> out, String name, Set<Family> families) {
        for (Family f : new TreeSet<>(families)) {
            out.add(name + "(" + FamilyLabel.of(f) + ")");
        }
    }
}
