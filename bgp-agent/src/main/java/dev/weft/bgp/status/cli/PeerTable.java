package dev.weft.bgp.status.cli;

import dev.weft.bgp.fsm.SessionState;
import dev.weft.bgp.status.FamilyLabel;
import dev.weft.bgp.status.PeerView;
import dev.weft.bgp.status.PeerView.PrefixCounts;
import dev.weft.bgp.status.StatusJson.PeersDoc;
import dev.weft.bgp.wire.Family;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** `weftctl bgp peers`: one line per peer, like `birdc show protocols` and `gobgp neighbor`. */
final class PeerTable {
    private PeerTable() {
    }

    static String render(PeersDoc doc) {
        TextTable t = new TextTable("Peer", "AS", "Type", "State", "Up/Down", "Recv/Acc/Adv", "Last error");
        for (PeerView p : doc.peers()) {
            long recv = 0;
            long acc = 0;
            long adv = 0;
            for (PrefixCounts c : p.prefixes().values()) {
                recv += c.received();
                acc += c.accepted();
                adv += c.advertised();
            }
            t.row(p.address(), Long.toString(p.remoteAs()), type(p), state(p.state()),
                    Durations.since(doc.nowMillis(), p.sinceMillis()), recv + "/" + acc + "/" + adv,
                    p.lastError() == null ? "" : lastError(p.lastError()));
        }
        return speakerLine(doc) + t.render();
    }

    static String speakerLine(PeersDoc doc) {
        return "BGP speaker " + doc.speaker().routerId() + ", AS " + doc.speaker().localAs() + ", weft-bgp "
                + doc.speaker().version() + "\n";
    }

    /** `weftctl bgp peers <addr>`: everything about one peer, like `gobgp neighbor <addr>`. */
    static String details(PeersDoc doc, PeerView p) {
        StringBuilder b = new StringBuilder();
        line(b, "BGP neighbor", p.address() + ", remote AS " + p.remoteAs() + ", local AS " + p.localAs() + ", "
                + type(p) + (p.rrClient() ? ", route-reflector client" : ""));
        line(b, "State", state(p.state()) + ", up/down " + Durations.since(doc.nowMillis(), p.sinceMillis())
                + ", flaps " + p.flaps());
        if (p.state() == SessionState.ESTABLISHED) {
            line(b, "Hold time", p.holdTime() + " s, keepalive " + p.keepaliveTime() + " s");
            line(b, "Capabilities", String.join(" ", p.capabilities()));
        }
        Map<Family, PrefixCounts> prefixes = new TreeMap<>(p.prefixes());
        prefixes.forEach((f, c) -> line(b, "Prefixes " + FamilyLabel.of(f),
                "received " + c.received() + ", accepted " + c.accepted() + ", advertised " + c.advertised()));
        line(b, "Messages in", counts(p.messagesIn()));
        line(b, "Messages out", counts(p.messagesOut()));
        line(b, "Keepalives", "sent " + p.keepalives().sent() + ", late " + p.keepalives().late() + ", max lateness "
                + String.format(Locale.ROOT, "%.3f s", p.keepalives().maxLatenessSeconds()));
        if (!p.notificationsSent().isEmpty() || !p.notificationsReceived().isEmpty()) {
            line(b, "Notifications", "sent " + new TreeMap<>(p.notificationsSent()) + ", received "
                    + new TreeMap<>(p.notificationsReceived()) + " (by code)");
        }
        if (p.lastError() != null) {
            line(b, "Last error", lastError(p.lastError()) + ", " + Durations.since(doc.nowMillis(), p.lastError().atMillis())
                    + " ago");
        }
        return b.toString();
    }

    private static void line(StringBuilder b, String key, String value) {
        b.append(String.format(Locale.ROOT, "  %-16s %s%n", key + ":", value));
    }

    private static String counts(PeerView.MessageCounts m) {
        return "total " + m.total() + " (open " + m.open() + ", update " + m.update() + ", keepalive " + m.keepalive()
                + ", notification " + m.notification() + ", route-refresh " + m.routeRefresh() + ")";
    }

    private static String type(PeerView p) {
        return p.type() == PeerView.PeerType.IBGP ? "iBGP" : "eBGP";
    }

    /** As BIRD names them. */
    static String state(SessionState s) {
        return switch (s) {
            case IDLE -> "Idle";
            case CONNECT -> "Connect";
            case ACTIVE -> "Active";
            case OPEN_SENT -> "OpenSent";
            case OPEN_CONFIRM -> "OpenConfirm";
            case ESTABLISHED -> "Established";
        };
    }

    private static String lastError(PeerView.LastError e) {
        return switch (e.direction()) {
            case SENT -> "sent " + e.text();
            case RECEIVED -> "received " + e.text();
            case NONE -> e.text();
        };
    }
}
