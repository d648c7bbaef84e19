package dev.weft.bgp.status;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.bgp.fsm.DownReason;
import dev.weft.bgp.fsm.Negotiated;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Notification;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SessionViewsTest {
    @Test
    void capabilitySummary() {
        Negotiated n = new Negotiated(90, 30, 65001, 1, Set.of(Family.IPV6_UNICAST, Family.IPV4_UNICAST), true, true,
                false, Set.of(Family.IPV4_UNICAST), Set.of(), false,
                Optional.of(new Negotiated.PeerRestart(120, true, Map.of(Family.IPV4_UNICAST, true))));
        assertEquals(List.of("mp(ipv4)", "mp(ipv6)", "4-octet-as", "route-refresh", "add-path-rx(ipv4)",
                "graceful-restart(120s, restarting)"), SessionViews.capabilities(n));
    }

    @Test
    void lastErrorPrefersTheNotificationWeSent() {
        DownReason both = new DownReason(false, Optional.of(Notification.of(Notification.CEASE, 2)),
                Optional.of(Notification.of(4, 0)), "shut down");
        PeerView.LastError e = SessionViews.lastError(both, 1234);
        assertEquals(PeerView.Direction.SENT, e.direction());
        assertEquals(6, e.code());
        assertEquals(2, e.subcode());
        assertEquals("shut down; sent 6/2 cease: administrative shutdown; received 4/0 hold timer expired", e.text());
        assertEquals(1234, e.atMillis());

        PeerView.LastError got = SessionViews.lastError(new DownReason(false, Optional.empty(),
                Optional.of(Notification.of(2, 2)), "closed by peer"), 1);
        assertEquals(PeerView.Direction.RECEIVED, got.direction());
        assertEquals("closed by peer; received 2/2 OPEN message error: bad peer AS", got.text());

        PeerView.LastError reset = SessionViews.lastError(new DownReason(true, Optional.empty(), Optional.empty(),
                "connection reset"), 1);
        assertEquals(new PeerView.LastError(PeerView.Direction.NONE, 0, 0,
                "connection reset (graceful: routes kept stale)", 1), reset);
    }
}
