package dev.weft.bgp.agent;

import dev.weft.bgp.fib.FibChange;
import dev.weft.bgp.fib.FibShaper;
import dev.weft.bgp.fib.NextHop;
import dev.weft.bgp.rib.Attrs;
import dev.weft.bgp.rib.Path;
import dev.weft.bgp.rib.PeerInfo;
import dev.weft.bgp.rib.PeerKey;
import dev.weft.bgp.rib.RouteChange;
import dev.weft.bgp.wire.Family;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Best-path changes as kernel routes. */
class FibRoutesTest {
    static final Cidr V4 = Cidr.parse("10.244.2.0/26");
    static final Cidr V6 = Cidr.parse("fd00:244:2::/64");

    private static Path path(Cidr prefix, String peer, String nextHop) {
        PeerInfo from = new PeerInfo(PeerKey.of(peer), 64512, 64512, 1, false);
        return new Path(prefix, 0, from, Attrs.of(List.of(), IpAddress.parse(nextHop)), false);
    }

    private static FibChange fib(RouteChange c, Map<Cidr, Boolean> originated) {
        return FibRoutes.toFib(c, originated, k -> k.equals(PeerKey.of("fe80::2")) ? 7 : 0, FibShaper.AS_LEARNED);
    }

    @Test
    void oneBestPathIsAPlainRouteAndEcmpSetsAreMultipathWithoutDuplicateHops() {
        assertEquals(new FibChange.Install(V4, List.of(NextHop.via("10.99.0.2"))),
                fib(new RouteChange(Family.IPV4_UNICAST, V4, List.of(path(V4, "10.99.0.2", "10.99.0.2"))), Map.of()));
        RouteChange ecmp = new RouteChange(Family.IPV4_UNICAST, V4, List.of(path(V4, "10.99.0.2", "10.99.0.2"),
                path(V4, "10.99.0.3", "10.99.0.3"), path(V4, "10.99.0.4", "10.99.0.3")));
        assertEquals(new FibChange.Install(V4, List.of(NextHop.via("10.99.0.2"), NextHop.via("10.99.0.3"))), fib(ecmp, Map.of()));
    }

    @Test
    void linkLocalNextHopGoesOutOfTheSessionsInterfaceAndIsDroppedWhenThatIsUnknown() {
        assertEquals(new FibChange.Install(V6, List.of(NextHop.via("fe80::2").dev(7))),
                fib(new RouteChange(Family.IPV6_UNICAST, V6, List.of(path(V6, "fe80::2", "fe80::2"))), Map.of()));
        assertEquals(new FibChange.Remove(V6),
                fib(new RouteChange(Family.IPV6_UNICAST, V6, List.of(path(V6, "fd00:99::9", "fe80::9"))), Map.of()));
    }

    @Test
    void withdrawnPrefixIsRemovedAndOurOwnIsABlackholeOnlyWhenAsked() {
        assertEquals(new FibChange.Remove(V4), fib(new RouteChange(Family.IPV4_UNICAST, V4, List.of()), Map.of()));
        PeerInfo self = new PeerInfo(PeerKey.LOCAL, 64512, 64512, 1, false);
        RouteChange own = new RouteChange(Family.IPV4_UNICAST, V4, List.of(new Path(V4, 0, self, Attrs.of(List.of(), null), false)));
        assertEquals(new FibChange.Blackhole(V4), fib(own, Map.of(V4, true)));
        assertEquals(new FibChange.Remove(V4), fib(own, Map.of(V4, false)));
    }

    @Test
    void theEmbeddersShaperChoosesDeviceAndOnlinkOrKeepsAHopOutOfTheKernel() {
        FibShaper tunnel = (prefix, hop) -> hop.gateway().equals(IpAddress.parse("10.99.0.9")) ? null
                : hop.gateway().equals(IpAddress.parse("10.99.0.2")) ? hop.dev("tunl0").withOnlink() : hop.dev("eth0");
        RouteChange ecmp = new RouteChange(Family.IPV4_UNICAST, V4, List.of(path(V4, "10.99.0.2", "10.99.0.2"),
                path(V4, "10.99.0.3", "10.99.0.3"), path(V4, "10.99.0.9", "10.99.0.9")));
        assertEquals(new FibChange.Install(V4, List.of(NextHop.via("10.99.0.2").dev("tunl0").withOnlink(),
                NextHop.via("10.99.0.3").dev("eth0"))), FibRoutes.toFib(ecmp, Map.of(), k -> 0, tunnel));
        RouteChange only = new RouteChange(Family.IPV4_UNICAST, V4, List.of(path(V4, "10.99.0.9", "10.99.0.9")));
        assertEquals(new FibChange.Remove(V4), FibRoutes.toFib(only, Map.of(), k -> 0, tunnel));
    }
}
