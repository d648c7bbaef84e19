package dev.weft.flannel.backend.bgp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.weft.bgp.fib.NextHop;
import dev.weft.net.Cidr;
import org.junit.jupiter.api.Test;

/** Calico's route shape per mode and next hop (bgp.md §2.4). */
class CalicoRouteShapesTest {
    static final Cidr NET = Cidr.parse("10.244.0.0/16");
    static final Cidr POD = Cidr.parse("10.244.3.0/24");
    static final Cidr UNDERLAY = Cidr.parse("192.168.10.0/24");
    static final NextHop SAME = NextHop.via("192.168.10.3");
    static final NextHop OTHER = NextHop.via("192.168.20.3");

    private static CalicoRouteShapes shapes(Encap e, boolean cross) {
        return new CalicoRouteShapes(NET, e, cross, UNDERLAY, 7, "tunl0");
    }

    @Test
    void noEncapRoutesOutOfTheExternalInterface() {
        assertEquals(SAME.dev(7), shapes(Encap.NONE, false).shape(POD, SAME));
    }

    @Test
    void ipipIsOnlinkThroughTunl0AndCrossSubnetOnlyAcrossSubnets() {
        assertEquals(SAME.dev("tunl0").withOnlink(), shapes(Encap.IPIP, false).shape(POD, SAME));
        assertEquals(SAME.dev(7), shapes(Encap.IPIP, true).shape(POD, SAME));
        assertEquals(OTHER.dev("tunl0").withOnlink(), shapes(Encap.IPIP, true).shape(POD, OTHER));
    }

    @Test
    void vxlanLeavesEveryPodRouteToTheVxlanDataPlane() {
        assertNull(shapes(Encap.VXLAN, false).shape(POD, SAME));
        assertNull(shapes(Encap.VXLAN, true).shape(POD, SAME));
        assertNull(shapes(Encap.VXLAN, true).shape(POD, OTHER));
    }

    @Test
    void prefixesOutsideTheNetworkStayAsLearnedAndAHostUnderlayIsRefused() {
        assertEquals(OTHER, shapes(Encap.IPIP, false).shape(Cidr.parse("0.0.0.0/0"), OTHER));
        assertEquals(CalicoRouteShapes.BLACKHOLE_METRIC, shapes(Encap.NONE, false).blackholeMetric());
        assertThrows(IllegalArgumentException.class,
                () -> new CalicoRouteShapes(NET, Encap.IPIP, true, Cidr.parse("192.168.10.2/32"), 7, "tunl0"));
    }
}
