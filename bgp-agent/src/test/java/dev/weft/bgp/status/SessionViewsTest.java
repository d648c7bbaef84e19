package dev.weft.bgp.status;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.bgp.fsm.Negotiated;
import dev.weft.bgp.wire.Family;
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
}
