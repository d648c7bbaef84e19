package dev.weft.bgp.status;

import dev.weft.bgp.fsm.SessionState;
import dev.weft.bgp.wire.Family;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One peer, as the agent saw it when asked.
 *
 * @param sinceMillis    wall clock when the session entered {@code state} (uptime when Established)
 * @param holdTime       negotiated seconds; 0 when not Established
 * @param keepaliveTime  negotiated seconds between our KEEPALIVEs; 0 when not Established
 * @param families       negotiated families (empty when not Established)
 * @param capabilities   short names of what was negotiated: "4-octet-as", "route-refresh", "add-path-rx(ipv4)",
 *                       "graceful-restart", "extended-message"…
 * @param prefixes       per negotiated family: received (Adj-RIB-In), accepted (after import policy), advertised
 * @param lastError      the last reason the session went down; null if it never did
 * @param notificationsSent     count by NOTIFICATION code
 * @param notificationsReceived count by NOTIFICATION code
 * @param flaps          times the session left Established
 */
public record PeerView(String address, long remoteAs, long localAs, PeerType type, boolean rrClient,
                       SessionState state, long sinceMillis, int holdTime, int keepaliveTime, Set<Family> families,
                       List<String> capabilities, Map<Family, PrefixCounts> prefixes, MessageCounts messagesIn,
                       MessageCounts messagesOut, LastError lastError, Map<Integer, Long> notificationsSent,
                       Map<Integer, Long> notificationsReceived, KeepaliveStats keepalives, long flaps) {
    public PeerView {
        families = Collections.unmodifiableSortedSet(new TreeSet<>(families)); // stable JSON and tables
        capabilities = List.copyOf(capabilities);
        prefixes = Map.copyOf(prefixes);
        notificationsSent = Map.copyOf(notificationsSent);
        notificationsReceived = Map.copyOf(notificationsReceived);
    }

    public enum PeerType { IBGP, EBGP }

    public record PrefixCounts(long received, long accepted, long advertised) {
    }

    /** Messages by type. */
    public record MessageCounts(long open, long update, long notification, long keepalive, long routeRefresh) {
        public static final MessageCounts NONE = new MessageCounts(0, 0, 0, 0, 0);

        public long total() {
            return open + update + notification + keepalive + routeRefresh;
        }
    }

    /**
     * Why the session last went down.
     *
     * @param code    NOTIFICATION code, 0 when the session ended without one (connection lost, hold timer…)
     * @param text    decoded, e.g. "6/2 cease: administrative shutdown" or "connection reset"
     */
    public record LastError(Direction direction, int code, int subcode, String text, long atMillis) {
    }

    /** Who sent the NOTIFICATION; NONE when the session ended without one. */
    public enum Direction { SENT, RECEIVED, NONE }
}
