package dev.weft.bgp.agent;

import dev.weft.bgp.fsm.DownReason;
import dev.weft.bgp.fsm.Negotiated;
import dev.weft.bgp.fsm.PeerStatus;
import dev.weft.bgp.fsm.SessionState;
import dev.weft.bgp.rib.AdjRibIn;
import dev.weft.bgp.rib.AdjRibOut;
import dev.weft.bgp.status.PeerView;
import dev.weft.bgp.status.SessionViews;
import dev.weft.bgp.wire.Family;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What the agent counts per peer for {@link dev.weft.bgp.status.StatusSource} beyond the session
 * layer's {@link PeerStatus}, and the {@link PeerView} built from both. RIB thread only.
 */
final class PeerCounters {
    long stateSinceMillis = System.currentTimeMillis();
    long flaps;
    DownReason lastDown;
    long lastDownMillis;
    final Map<Integer, Long> notificationsSent = new HashMap<>();
    final Map<Integer, Long> notificationsReceived = new HashMap<>();

    void up() {
        stateSinceMillis = System.currentTimeMillis();
    }

    void down(DownReason why) {
        stateSinceMillis = System.currentTimeMillis();
        flaps++;
        lastDown = why;
        lastDownMillis = stateSinceMillis;
        why.sent().ifPresent(n -> notificationsSent.merge(n.code(), 1L, Long::sum));
        why.received().ifPresent(n -> notificationsReceived.merge(n.code(), 1L, Long::sum));
    }

    /**
     * @param in the peer's Adj-RIB-In (null when it has none): accepted counts the paths it holds,
     *           received adds the prefixes whose latest announcement import refused
     * @param out the peer's Adj-RIB-Out (null while not Established): the prefixes advertised to it
     */
    PeerView view(String address, long remoteAs, long localAs, boolean rrClient, PeerStatus s, AdjRibIn in,
                  AdjRibOut out) {
        Negotiated n = s.negotiated().orElse(null);
        Map<Family, PeerView.PrefixCounts> prefixes = new EnumMap<>(Family.class);
        Set<Family> families = n == null ? Set.of() : n.families();
        for (Family f : families) {
            long held = in == null ? 0 : in.routeCount(f);
            long received = in == null ? 0 : in.receivedCount(f);
            prefixes.put(f, new PeerView.PrefixCounts(received, held, out == null ? 0 : out.advertisedCount(f)));
        }
        PeerView.MessageCounts msgIn = counts(s.received());
        PeerView.MessageCounts msgOut = counts(s.sent());
        return new PeerView(address, remoteAs, localAs, remoteAs == localAs ? PeerView.PeerType.IBGP : PeerView.PeerType.EBGP,
                rrClient, s.state(), s.state() == SessionState.ESTABLISHED ? System.currentTimeMillis() - s.uptimeMillis()
                : stateSinceMillis, n == null ? 0 : n.holdTime(), n == null ? 0 : n.keepaliveTime(), families,
                n == null ? java.util.List.of() : SessionViews.capabilities(n), prefixes, msgIn, msgOut,
                lastDown == null ? null : SessionViews.lastError(lastDown, lastDownMillis), notificationsSent,
                notificationsReceived, s.keepalives(), flaps);
    }

    private static PeerView.MessageCounts counts(PeerStatus.Messages m) {
        return new PeerView.MessageCounts(m.open(), m.update(), m.notification(), m.keepalive(), m.routeRefresh());
    }

}
