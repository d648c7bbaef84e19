package dev.weft.bgp.status;

import dev.weft.bgp.fsm.SessionState;
import dev.weft.bgp.status.PeerView.LastError;
import dev.weft.bgp.status.PeerView.MessageCounts;
import dev.weft.bgp.status.PeerView.PrefixCounts;
import dev.weft.bgp.status.RouteView.PathView;
import dev.weft.bgp.wire.Family;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A StatusSource with two peers and a generated IPv4 table of {@code routes} /32s from 10.0.0.0
 * up, made a page at a time (as the agent would copy them off its RIB), counting what was asked.
 */
public class FakeStatus implements StatusSource {
    public static final long NOW = 1_780_000_000_000L;

    private final int routes;
    public final AtomicInteger pagesAsked = new AtomicInteger();
    public final AtomicInteger largestPage = new AtomicInteger();

    public FakeStatus(int routes) {
        this.routes = routes;
    }

    @Override
    public CompletionStage<SpeakerView> speaker() {
        return CompletableFuture.completedFuture(new SpeakerView("10.99.0.1", 64512, "0.1.0 \"dev\"\\x",
                Map.of(Family.IPV4_UNICAST, (long) routes, Family.IPV6_UNICAST, 0L), 7));
    }

    @Override
    public CompletionStage<List<PeerView>> peers() {
        return CompletableFuture.completedFuture(List.of(established(), down()));
    }

    public static PeerView established() {
        return new PeerView("10.99.0.2", 64512, 64512, PeerView.PeerType.IBGP, true, SessionState.ESTABLISHED,
                NOW - 3_723_000, 90, 30, Set.of(Family.IPV4_UNICAST, Family.IPV6_UNICAST),
                List.of("4-octet-as", "route-refresh", "graceful-restart"),
                Map.of(Family.IPV4_UNICAST, new PrefixCounts(12, 10, 3), Family.IPV6_UNICAST, new PrefixCounts(2, 2, 1)),
                new MessageCounts(1, 40, 0, 125, 0), new MessageCounts(1, 7, 0, 126, 1), null, Map.of(), Map.of(),
                new KeepaliveStats(126, 1, 11.5), 0);
    }

    public static PeerView down() {
        return new PeerView("fd00::3", 65003, 64512, PeerView.PeerType.EBGP, false, SessionState.ACTIVE,
                NOW - 90_061_000, 0, 0, Set.of(), List.of(), Map.of(), MessageCounts.NONE,
                new MessageCounts(3, 0, 1, 2, 0),
                new LastError(PeerView.Direction.SENT, 6, 2, "6/2 cease: administrative shutdown", NOW - 61_000),
                Map.of(6, 1L), Map.of(2, 2L, 4, 1L), KeepaliveStats.NONE, 4);
    }

    @Override
    public CompletionStage<RoutePage> routes(Family family, Cidr after, int limit) {
        pagesAsked.incrementAndGet();
        largestPage.accumulateAndGet(limit, Math::max);
        if (family.isV6()) {
            return CompletableFuture.completedFuture(new RoutePage(List.of(), false));
        }
        int from = after == null ? 0 : index(after) + 1;
        int to = Math.min(routes, from + limit);
        List<RouteView> page = new ArrayList<>(Math.max(0, to - from));
        for (int i = from; i < to; i++) {
            page.add(route(i));
        }
        return CompletableFuture.completedFuture(new RoutePage(page, to < routes));
    }

    /** The i-th prefix: 10.0.0.0/32, 10.0.0.1/32, … (ascending, as the server expects). */
    public static Cidr prefix(int i) {
        return Cidr.of(IpAddress.parse("10." + (i >> 16 & 0xff) + "." + (i >> 8 & 0xff) + "." + (i & 0xff)), 32);
    }

    private static int index(Cidr c) {
        byte[] b = c.address().toBytes();
        return (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    public static RouteView route(int i) {
        PathView best = new PathView(true, false, "10.99.0.2", "65001 65002", 100L, null, "i",
                List.of("65000:100", "no-export"), "10.99.0.2", false, NOW - 65_000);
        PathView other = new PathView(false, i % 2 == 0, "10.99.0.3", "65003 {65004 65005}", 100L, 20L, "?",
                List.of(), "10.99.0.3", true, 0);
        return new RouteView(prefix(i).toString(), List.of(best, other));
    }
}
