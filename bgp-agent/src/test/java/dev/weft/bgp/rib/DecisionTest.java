package dev.weft.bgp.rib;

import static dev.weft.bgp.rib.Fx.attrs;
import static dev.weft.bgp.rib.Fx.ebgp;
import static dev.weft.bgp.rib.Fx.ibgp;
import static dev.weft.bgp.rib.Fx.path;
import static dev.weft.bgp.rib.Fx.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.bgp.rib.Decision.Step;
import dev.weft.bgp.wire.AsPathSegment;
import dev.weft.bgp.wire.PathAttribute;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each decision step with two paths that differ only in what that step looks at. */
class DecisionTest {
    private static final PeerInfo A = ibgp("10.0.0.2");

    /** {@code better} must win over {@code worse} at exactly {@code step}, in either argument order. */
    private static void wins(Step step, Path better, Path worse) {
        assertEquals(step, Decision.decidingStep(better, worse));
        assertEquals(step, Decision.decidingStep(worse, better));
        assertTrue(Decision.compare(better, worse) < 0, "better should win");
        assertTrue(Decision.compare(worse, better) > 0, "worse should lose");
    }

    @Test
    void localRouteBeatsLearned() {
        PeerInfo local = PeerInfo.local(RibConfig.of(Fx.AS, Fx.OUR_ID));
        Path mine = new Path(Fx.P1, 0, local, Attrs.of(with(attrs(), new PathAttribute.LocalPref(100)), null), false);
        wins(Step.LOCAL_ORIGIN, mine, path(A, with(attrs(), new PathAttribute.LocalPref(500)), "10.0.0.2"));
    }

    @Test
    void higherLocalPref() {
        wins(Step.LOCAL_PREF, path(A, with(attrs(), new PathAttribute.LocalPref(200)), "10.0.0.2"),
                path(A, with(attrs(), new PathAttribute.LocalPref(100)), "10.0.0.2"));
    }

    @Test
    void shorterAsPathWithSetCountingOneAndConfedZero() {
        wins(Step.AS_PATH_LENGTH, path(A, attrs(65001), "10.0.0.2"), path(A, attrs(65001, 65002), "10.0.0.2"));
        // [65001 {65002 65003 65004}] has length 2, beating [65001 65005 65006] (3).
        PathAttribute.AsPath withSet = new PathAttribute.AsPath(List.of(AsPathSegment.sequence(List.of(65001L)),
                new AsPathSegment(AsPathSegment.AS_SET, List.of(65002L, 65003L, 65004L))));
        Path set = path(A, List.of(new PathAttribute.Origin(0), withSet), "10.0.0.2");
        wins(Step.AS_PATH_LENGTH, set, path(A, attrs(65001, 65005, 65006), "10.0.0.2"));
        // A confederation segment adds nothing: [(65100 65101) 65001] ties with [65001] on length.
        PathAttribute.AsPath confed = new PathAttribute.AsPath(List.of(
                new AsPathSegment(AsPathSegment.AS_CONFED_SEQUENCE, List.of(65100L, 65101L)),
                AsPathSegment.sequence(List.of(65001L))));
        Path c = path(A, List.of(new PathAttribute.Origin(0), confed), "10.0.0.2");
        assertEquals(0, Decision.compare(Step.AS_PATH_LENGTH, c, path(A, attrs(65001), "10.0.0.2")));
    }

    @Test
    void lowerOrigin() {
        Path igp = path(A, attrs(65001), "10.0.0.2");
        Path incomplete = path(A, List.of(new PathAttribute.Origin(PathAttribute.Origin.INCOMPLETE), attrs(65001).get(1)), "10.0.0.2");
        wins(Step.ORIGIN, igp, incomplete);
    }

    @Test
    void lowerMedOnlyFromTheSameNeighbourAs() {
        Path low = path(A, with(attrs(65001), new PathAttribute.MultiExitDisc(10)), "10.0.0.2");
        Path high = path(A, with(attrs(65001), new PathAttribute.MultiExitDisc(20)), "10.0.0.2");
        wins(Step.MED, low, high);
        // Missing MED counts as 0, the best.
        wins(Step.MED, path(A, attrs(65001), "10.0.0.2"), low);
        // Different neighbour AS: MED is not compared.
        Path other = path(A, with(attrs(65002), new PathAttribute.MultiExitDisc(20)), "10.0.0.2");
        assertEquals(0, Decision.compare(Step.MED, low, other));
    }

    @Test
    void ebgpBeatsIbgp() {
        wins(Step.EBGP_OVER_IBGP, path(ebgp("10.0.0.9", 65001), attrs(65001), "10.0.0.9"),
                path(ibgp("10.0.0.3"), attrs(65001), "10.0.0.3"));
    }

    @Test
    void shorterClusterList() {
        wins(Step.CLUSTER_LIST, path(A, with(attrs(), new PathAttribute.ClusterList(List.of(1))), "10.0.0.2"),
                path(A, with(attrs(), new PathAttribute.ClusterList(List.of(1, 2))), "10.0.0.2"));
    }

    @Test
    void lowerOriginatorIdOrElseRouterId() {
        PeerInfo b = ibgp("10.0.0.3");
        // Originator 10.0.0.5 (via b) beats router id 10.0.0.7 of a peer without originator.
        PeerInfo c = new PeerInfo(PeerKey.of("10.0.0.2"), Fx.AS, Fx.AS, Fx.rid("10.0.0.7"), false);
        wins(Step.ROUTER_ID, path(b, with(attrs(), new PathAttribute.OriginatorId(Fx.rid("10.0.0.5"))), "10.0.0.3"),
                path(c, attrs(), "10.0.0.2"));
        // Compared unsigned: 200.0.0.1 loses to 10.0.0.2.
        PeerInfo high = new PeerInfo(PeerKey.of("10.0.0.1"), Fx.AS, Fx.AS, Fx.rid("200.0.0.1"), false);
        wins(Step.ROUTER_ID, path(A, attrs(), "10.0.0.2"), path(high, attrs(), "10.0.0.1"));
    }

    @Test
    void lowerPeerAddressThenPathId() {
        PeerInfo one = new PeerInfo(PeerKey.of("10.0.0.2"), Fx.AS, Fx.AS, 7, false);
        PeerInfo two = new PeerInfo(PeerKey.of("10.0.0.3"), Fx.AS, Fx.AS, 7, false);
        wins(Step.PEER_ADDRESS, path(one, attrs(), "10.0.0.2"), path(two, attrs(), "10.0.0.3"));
        Attrs a = Attrs.of(attrs(), Fx.ip("10.0.0.2"));
        wins(Step.PATH_ID, new Path(Fx.P1, 1, one, a, false), new Path(Fx.P1, 2, one, a, false));
    }

    @Test
    void multipathNeedsTiesUpToEbgpOverIbgp() {
        Path x = path(ibgp("10.0.0.2"), attrs(), "10.0.0.2");
        Path y = path(ibgp("10.0.0.3"), attrs(), "10.0.0.3");
        assertTrue(Decision.multipathEqual(x, y), "differ only in router id / address");
        Path longer = path(ibgp("10.0.0.3"), attrs(65001), "10.0.0.3");
        assertFalse(Decision.multipathEqual(x, longer));
        Path external = path(ebgp("10.0.0.9", 64999), attrs(), "10.0.0.9");
        assertFalse(Decision.multipathEqual(x, external), "eBGP and iBGP do not merge");
        Path clusters = path(ibgp("10.0.0.4"), with(attrs(), new PathAttribute.ClusterList(List.of(1))), "10.0.0.4");
        assertTrue(Decision.multipathEqual(x, clusters), "CLUSTER_LIST length comes after the merge steps");
    }
}
