package dev.weft.bgp.rib;

import static dev.weft.bgp.rib.Fx.announced;
import static dev.weft.bgp.rib.Fx.ibgp;
import static dev.weft.bgp.rib.Fx.withdrawn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.bgp.wire.BgpCodec;
import dev.weft.bgp.wire.CodecContext;
import dev.weft.bgp.wire.Family;
import dev.weft.bgp.wire.Nlri;
import dev.weft.bgp.wire.PathAttribute;
import dev.weft.bgp.wire.Update;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * UPDATE packing. The codec is written in parallel, so sizes are checked against {@link #exactSize},
 * computed here from the RFC 4271 / 4760 / 7911 layout with the shortest attribute headers.
 */
class PackingTest {
    private static final PeerInfo PEER = ibgp("10.0.0.2");
    private static final int N = 10_000;

    /** The encoded size of an UPDATE: header, both length fields, attributes (1-octet lengths up to 255), NLRI. */
    static int exactSize(Update u, boolean addPath) {
        int n = 19 + 2 + 2;
        for (Nlri w : u.withdrawn()) {
            n += prefixSize(w, addPath);
        }
        for (Nlri a : u.nlri()) {
            n += prefixSize(a, addPath);
        }
        for (PathAttribute a : u.attributes()) {
            int v = valueSize(a, addPath);
            n += (v > 255 ? 4 : 3) + v;
        }
        return n;
    }

    private static int prefixSize(Nlri n, boolean addPath) {
        return (addPath ? 4 : 0) + 1 + (n.prefix().prefixLength() + 7) / 8;
    }

    private static int valueSize(PathAttribute a, boolean addPath) {
        if (a instanceof PathAttribute.Origin) {
            return 1;
        }
        if (a instanceof PathAttribute.AsPath p) {
            return p.segments().stream().mapToInt(s -> 2 + 4 * s.asns().size()).sum();
        }
        if (a instanceof PathAttribute.LocalPref || a instanceof PathAttribute.MultiExitDisc) {
            return 4;
        }
        if (a instanceof PathAttribute.NextHop) {
            return 4;
        }
        if (a instanceof PathAttribute.Communities c) {
            return 4 * c.values().size();
        }
        if (a instanceof PathAttribute.MpReach m) {
            int hops = m.nextHops().stream().mapToInt(IpAddress::byteLength).sum();
            return 2 + 1 + 1 + hops + 1 + m.nlri().stream().mapToInt(x -> prefixSize(x, addPath)).sum();
        }
        if (a instanceof PathAttribute.MpUnreach m) {
            return 2 + 1 + m.withdrawn().stream().mapToInt(x -> prefixSize(x, addPath)).sum();
        }
        throw new AssertionError("unexpected attribute in test: " + a);
    }

    private static Cidr v4(int i) {
        return new Cidr(IpAddress.ofV4(0x0A000000 | (i << 8)), 24);
    }

    private static Cidr v6(int i) {
        return new Cidr(IpAddress.ofV6(0xfd00_0000_0000_0000L | ((long) i << 16), 0), 64);
    }

    private static Rib ribWith(int count, boolean six) {
        Rib rib = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID));
        for (int i = 0; i < count; i++) {
            rib.originate(six ? v6(i) : v4(i), List.of());
        }
        return rib;
    }

    private static List<Update> drainAll(AdjRibOut out, int budget) {
        List<Update> all = new ArrayList<>();
        while (out.hasPending()) {
            List<Update> batch = out.drain(budget);
            assertFalse(batch.isEmpty(), "a drain with something pending makes progress");
            all.addAll(batch);
        }
        return all;
    }

    /** Every message fits, by the layout computed here and by what the codec (merged since) encodes. */
    private static void assertFit(List<Update> updates, int max, boolean addPath) {
        Set<Family> ap = addPath ? Set.of(Family.IPV4_UNICAST, Family.IPV6_UNICAST) : Set.of();
        CodecContext ctx = new CodecContext(true, ap, ap, max > CodecContext.MAX_MESSAGE);
        for (Update u : updates) {
            int exact = exactSize(u, addPath);
            assertTrue(exact <= max, "message of " + exact + " octets exceeds " + max);
            assertEquals(exact, BgpCodec.encodedLength(u, ctx), "the codec agrees with the layout");
        }
    }

    @Test
    void tenThousandPrefixesWithOneAttributeSetFillFewMessages() {
        Rib rib = ribWith(N, false);
        rib.peerUp(PEER, Fx.v4());
        List<Update> all = drainAll(rib.outbound(PEER.key()), 1 << 20);
        assertEquals(Optional.of(Family.IPV4_UNICAST), all.get(all.size() - 1).endOfRibFamily(), "End-of-RIB comes last");
        List<Update> data = all.subList(0, all.size() - 1);
        assertFit(data, 4096, false);
        assertEquals(N, new HashSet<>(announced(data)).size());
        // 48 octets of header and attributes (ORIGIN, empty AS_PATH, LOCAL_PREF, NEXT_HOP with
        // 4-octet attribute headers as the packer counts them), 4 octets per /24: 1012 per message.
        assertEquals((N + 1011) / 1012, data.size());
        // The estimate over-counts by one octet per attribute at most.
        Update first = data.get(0);
        assertTrue(exactSize(first, false) >= 4096 - 4 - 4, "first message is nearly full: " + exactSize(first, false));
    }

    @Test
    void extendedMessagesHoldTheWholeTable() {
        Rib rib = ribWith(N, false);
        rib.peerUp(PEER, Fx.v4().withMaxMessage(65535));
        List<Update> all = drainAll(rib.outbound(PEER.key()), 1 << 20);
        assertEquals(2, all.size(), "one UPDATE and End-of-RIB");
        assertFit(all, 65535, false);
    }

    @Test
    void withdrawalsArePackedToo() {
        Rib rib = ribWith(N, false);
        rib.peerUp(PEER, Fx.v4());
        drainAll(rib.outbound(PEER.key()), 1 << 20);
        for (int i = 0; i < N; i++) {
            rib.withdrawOriginated(v4(i));
        }
        List<Update> w = drainAll(rib.outbound(PEER.key()), 1 << 20);
        assertFit(w, 4096, false);
        assertEquals(N, withdrawn(w).size());
        assertEquals((N + 1017) / 1018, w.size(), "(4096 - 23) / 4 = 1018 withdrawals per message");
        assertEquals(0, rib.prefixCount(Family.IPV4_UNICAST));
        assertEquals(List.of(), drainAll(rib.outbound(PEER.key()), 1 << 20), "nothing left behind");
    }

    @Test
    void ipv6GoesInMpReachAndMpUnreachWithAddPathIds() {
        int n = 5_000;
        Rib rib = ribWith(n, true);
        SessionParams s = new SessionParams(Set.of(Family.IPV6_UNICAST), Set.of(Family.IPV6_UNICAST), 4096,
                Set.of(), Map.of(Family.IPV6_UNICAST, Fx.ip("fd00::1")));
        rib.peerUp(PEER, s);
        List<Update> all = drainAll(rib.outbound(PEER.key()), 1 << 20);
        assertFit(all, 4096, true);
        Update first = all.get(0);
        assertEquals(List.of(), first.nlri());
        PathAttribute.MpReach mp = first.attribute(PathAttribute.MpReach.class).orElseThrow();
        assertEquals(List.of(Fx.ip("fd00::1")), mp.nextHops());
        assertEquals(n, announced(all).size());
        assertEquals(Optional.of(Family.IPV6_UNICAST), all.get(all.size() - 1).endOfRibFamily());
        for (int i = 0; i < n; i++) {
            rib.withdrawOriginated(v6(i));
        }
        List<Update> w = drainAll(rib.outbound(PEER.key()), 1 << 20);
        assertFit(w, 4096, true);
        assertTrue(w.get(0).attribute(PathAttribute.MpUnreach.class).isPresent());
        assertEquals(n, withdrawn(w).size());
    }

    @Test
    void prefixesWithDifferentAttributesGoInSeparateMessages() {
        Rib rib = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID));
        for (int i = 0; i < 30; i++) {
            rib.originate(v4(i), List.of(new PathAttribute.Communities(List.of(i % 3))));
        }
        rib.peerUp(PEER, Fx.v4());
        List<Update> all = drainAll(rib.outbound(PEER.key()), 1 << 20);
        assertEquals(4, all.size(), "three attribute sets, then End-of-RIB");
        for (Update u : all.subList(0, 3)) {
            assertEquals(10, u.nlri().size());
        }
    }

    @Test
    void drainRespectsTheByteBudget() {
        Rib rib = ribWith(N, false);
        rib.peerUp(PEER, Fx.v4());
        AdjRibOut out = rib.outbound(PEER.key());
        int budget = 10_000;
        int batches = 0;
        Set<Cidr> seen = new HashSet<>();
        while (out.hasPending()) {
            List<Update> batch = out.drain(budget);
            int bytes = batch.stream().mapToInt(u -> exactSize(u, false)).sum();
            assertTrue(bytes <= budget, "batch of " + bytes + " octets exceeds the budget");
            seen.addAll(announced(batch));
            batches++;
        }
        assertEquals(N, seen.size());
        assertTrue(batches >= 4, "40 kB of routes cannot leave in fewer than 4 batches of 10 kB: " + batches);
        // A budget smaller than any message still makes progress, one message at a time.
        rib.routeRefresh(PEER.key(), Family.IPV4_UNICAST);
        assertEquals(1, out.drain(1).size());
    }

    @Test
    void theInitialDumpSendsTheLatestStateOfPrefixesThatChangeDuringIt() {
        Rib rib = ribWith(3, false);
        rib.peerUp(PEER, Fx.v4());
        rib.withdrawOriginated(v4(1)); // after the dump's snapshot, before it is drained
        rib.originate(v4(2), List.of(new PathAttribute.MultiExitDisc(5)));
        List<Update> all = drainAll(rib.outbound(PEER.key()), 1 << 20);
        assertEquals(Set.of(v4(0), v4(2)), new HashSet<>(announced(all)));
        assertEquals(List.of(), withdrawn(all), "never sent, so not withdrawn");
        for (Update u : all) {
            if (u.nlri().contains(Nlri.of(v4(2)))) {
                assertEquals(5, u.attribute(PathAttribute.MultiExitDisc.class).orElseThrow().value());
            }
        }
    }

    @Test
    void aFloodOfChangesToOnePrefixCoalesces() {
        Rib rib = new Rib(RibConfig.of(Fx.AS, Fx.OUR_ID));
        rib.peerUp(PEER, Fx.v4());
        rib.outbound(PEER.key()).drain(1 << 20); // End-of-RIB of the empty table
        for (int i = 0; i <= 1000; i++) {
            rib.originate(Fx.P1, List.of(new PathAttribute.MultiExitDisc(i)));
            if (i % 2 == 1) {
                rib.withdrawOriginated(Fx.P1);
            }
        }
        assertEquals(1, rib.outbound(PEER.key()).pendingCount());
        List<Update> u = rib.outbound(PEER.key()).drain(1 << 20);
        assertEquals(1, u.size());
        assertEquals(1000, u.get(0).attribute(PathAttribute.MultiExitDisc.class).orElseThrow().value(), "the latest state wins");
    }
}
