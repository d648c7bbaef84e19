package dev.weft.bgp.status;

import dev.weft.bgp.fsm.SessionState;
import dev.weft.bgp.status.PeerView.MessageCounts;
import dev.weft.bgp.status.PeerView.PrefixCounts;
import dev.weft.bgp.wire.Family;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The speaker's Prometheus metrics (text format 0.0.4), named weft_bgp_* like weftd's weft_*.
 * Each metric family gets one HELP and one TYPE line followed by all its samples, as the format
 * requires; a family with no samples (no peers yet) still gets its HELP and TYPE.
 */
public final class BgpMetrics {
    private BgpMetrics() {
    }

    /** Session state as BGP4-MIB's bgpPeerState numbers it: idle 1 … established 6. */
    public static int stateNumber(SessionState s) {
        return s.ordinal() + 1;
    }

    public static String render(SpeakerView speaker, List<PeerView> peers, long nowMillis) {
        StringBuilder b = new StringBuilder(1024 + peers.size() * 2048);
        family(b, "weft_bgp_build_info", "gauge", "Always 1; the labels name the speaker.");
        b.append("weft_bgp_build_info{version=\"").append(escape(speaker.version())).append("\",router_id=\"")
                .append(escape(speaker.routerId())).append("\",local_as=\"").append(speaker.localAs()).append("\"} 1\n");
        family(b, "weft_bgp_peer_state", "gauge", "Session state per peer: 1 idle, 2 connect, 3 active, 4 opensent, 5 openconfirm, 6 established.");
        perPeer(b, peers, "weft_bgp_peer_state", p -> stateNumber(p.state()));
        family(b, "weft_bgp_peer_up_seconds", "gauge", "Seconds since the session became established, 0 when it is not.");
        for (PeerView p : peers) {
            long up = p.state() == SessionState.ESTABLISHED ? Math.max(0, nowMillis - p.sinceMillis()) : 0;
            sample(b, "weft_bgp_peer_up_seconds", peerLabel(p), seconds(up / 1000.0));
        }
        family(b, "weft_bgp_peer_flaps_total", "counter", "Times the session left the established state.");
        perPeer(b, peers, "weft_bgp_peer_flaps_total", PeerView::flaps);
        prefixes(b, peers, "weft_bgp_prefixes_received", "Prefixes in the Adj-RIB-In, per peer and family.", PrefixCounts::received);
        prefixes(b, peers, "weft_bgp_prefixes_accepted", "Prefixes accepted by import policy, per peer and family.", PrefixCounts::accepted);
        prefixes(b, peers, "weft_bgp_prefixes_advertised", "Prefixes advertised to the peer, per family.", PrefixCounts::advertised);
        messages(b, peers, "weft_bgp_messages_in_total", "Messages received, by type.", PeerView::messagesIn);
        messages(b, peers, "weft_bgp_messages_out_total", "Messages sent, by type.", PeerView::messagesOut);
        family(b, "weft_bgp_keepalives_sent_total", "counter", "KEEPALIVEs sent.");
        perPeer(b, peers, "weft_bgp_keepalives_sent_total", p -> p.keepalives().sent());
        family(b, "weft_bgp_keepalive_late_total", "counter", "KEEPALIVEs sent later than due by more than a third of the interval.");
        perPeer(b, peers, "weft_bgp_keepalive_late_total", p -> p.keepalives().late());
        family(b, "weft_bgp_keepalive_max_lateness_seconds", "gauge", "The latest a KEEPALIVE has been sent after its due time.");
        for (PeerView p : peers) {
            sample(b, "weft_bgp_keepalive_max_lateness_seconds", peerLabel(p), seconds(p.keepalives().maxLatenessSeconds()));
        }
        notifications(b, peers, "weft_bgp_notifications_sent_total", "NOTIFICATIONs sent, by code.", PeerView::notificationsSent);
        notifications(b, peers, "weft_bgp_notifications_received_total", "NOTIFICATIONs received, by code.", PeerView::notificationsReceived);
        family(b, "weft_bgp_loc_rib_routes", "gauge", "Prefixes in the Loc-RIB, per family.");
        for (Family f : Family.values()) {
            sample(b, "weft_bgp_loc_rib_routes", "family=\"" + FamilyLabel.of(f) + "\"",
                    Long.toString(speaker.locRibRoutes().getOrDefault(f, 0L)));
        }
        family(b, "weft_bgp_fib_routes", "gauge", "Routes the speaker has installed in the kernel.");
        b.append("weft_bgp_fib_routes ").append(speaker.fibRoutes()).append('\n');
        return b.toString();
    }

    private static void prefixes(StringBuilder b, List<PeerView> peers, String name, String help,
                                 ToLongFunction<PrefixCounts> count) {
        family(b, name, "gauge", help);
        for (PeerView p : peers) {
            for (Map.Entry<Family, PrefixCounts> e : new TreeMap<>(p.prefixes()).entrySet()) {
                sample(b, name, peerLabel(p) + ",family=\"" + FamilyLabel.of(e.getKey()) + "\"",
                        Long.toString(count.applyAsLong(e.getValue())));
            }
        }
    }

    private static void messages(StringBuilder b, List<PeerView> peers, String name, String help,
                                 Function<PeerView, MessageCounts> counts) {
        family(b, name, "counter", help);
        for (PeerView p : peers) {
            MessageCounts m = counts.apply(p);
            String peer = peerLabel(p) + ",type=\"";
            sample(b, name, peer + "open\"", Long.toString(m.open()));
            sample(b, name, peer + "update\"", Long.toString(m.update()));
            sample(b, name, peer + "notification\"", Long.toString(m.notification()));
            sample(b, name, peer + "keepalive\"", Long.toString(m.keepalive()));
            sample(b, name, peer + "route_refresh\"", Long.toString(m.routeRefresh()));
        }
    }

    private static void notifications(StringBuilder b, List<PeerView> peers, String name, String help,
                                      Function<PeerView, Map<Integer, Long>> counts) {
        family(b, name, "counter", help);
        for (PeerView p : peers) {
            for (Map.Entry<Integer, Long> e : new TreeMap<>(counts.apply(p)).entrySet()) {
                sample(b, name, peerLabel(p) + ",code=\"" + e.getKey() + "\"", Long.toString(e.getValue()));
            }
        }
    }

    private static void perPeer(StringBuilder b, List<PeerView> peers, String name, ToLongFunction<PeerView> value) {
        for (PeerView p : peers) {
            sample(b, name, peerLabel(p), Long.toString(value.applyAsLong(p)));
        }
    }

    private static void family(StringBuilder b, String name, String type, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder b, String name, String labels, String value) {
        b.append(name).append('{').append(labels).append("} ").append(value).append('\n');
    }

    private static String peerLabel(PeerView p) {
        return "peer=\"" + escape(p.address()) + "\"";
    }

    private static String seconds(double s) {
        return Double.toString(s);
    }

    /** Label values escape backslash, double quote and newline (exposition format 0.0.4). */
    static String escape(String v) {
        StringBuilder b = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
