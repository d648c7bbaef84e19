package dev.weft.flannel.backend.vxlan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.LeaseFamily;
import dev.weft.flannel.backend.TestLeases;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;
import dev.weft.netlink.Link;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.VxlanInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Option parsing as Go's json does it, the compatibility rules for an existing device, DirectRouting's route test. */
class VxlanOptionsTest {

    @Test
    void defaultsAreFlannels() {
        VxlanOptions o = VxlanOptions.parse(TestLeases.json("{\"Type\":\"vxlan\"}"));
        assertEquals(VxlanOptions.defaults(), o);
        assertEquals(1, o.vni());
        assertEquals(0, o.port());
        assertEquals(8472, o.effectivePort());
        assertEquals("flannel.1", o.deviceName());
        assertEquals("flannel-v6.1", o.v6DeviceName());
        assertEquals(1450, o.deviceMtu(1500));
        assertEquals(VxlanOptions.defaults(), VxlanOptions.parse(null));
    }

    @Test
    void keysIgnoreCaseAndTheLastDuplicateWins() {
        VxlanOptions o = VxlanOptions.parse(TestLeases.json(
                "{\"type\":\"vxlan\",\"vni\":4096,\"port\":4789,\"gbp\":true,\"LEARNING\":true,\"directrouting\":true,\"Mtu\":9000}"));
        assertEquals(new VxlanOptions(4096, 4789, true, true, true, 9000), o);
        assertEquals(8950, o.deviceMtu(1500));
        assertEquals(3, VxlanOptions.parse(TestLeases.json("{\"VNI\":2,\"vni\":3}")).vni());
    }

    @Test
    void wrongTypesAndRangesAreErrors() {
        for (String bad : List.of("{\"VNI\":\"1\"}", "{\"VNI\":1.5}", "{\"VNI\":16777216}", "{\"VNI\":-1}",
                "{\"Port\":70000}", "{\"DirectRouting\":\"true\"}", "{\"GBP\":1}", "{\"MTU\":-5}", "[1]")) {
            assertThrows(BackendException.class, () -> VxlanOptions.parse(TestLeases.json(bad)), bad);
        }
        // null leaves the default, as in Go
        assertEquals(1, VxlanOptions.parse(TestLeases.json("{\"VNI\":null}")).vni());
    }

    @Test
    void existingDeviceCompatibility() {
        IpAddress local = IpAddress.parse("192.168.1.10");
        VxlanDevice.Spec want = VxlanDevice.spec(LeaseFamily.V4, VxlanOptions.defaults(), "flannel.1", local, 2, 1500);
        Link same = vxlan(new VxlanInfo(1, local, 2, 8472, false, false, false));
        assertNull(VxlanDevice.incompatibility(want, same));
        assertNull(VxlanDevice.incompatibility(want, vxlan(new VxlanInfo(1, null, 0, 8472, false, false, false))));
        assertEquals("vni: 2 vs 1", VxlanDevice.incompatibility(want, vxlan(new VxlanInfo(2, local, 2, 8472, false, false, false))));
        assertTrue(VxlanDevice.incompatibility(want, vxlan(new VxlanInfo(1, local, 3, 8472, false, false, false))).startsWith("vtep (external) interface"));
        assertTrue(VxlanDevice.incompatibility(want, vxlan(new VxlanInfo(1, IpAddress.parse("10.0.0.1"), 2, 8472, false, false, false))).startsWith("vtep (external) IP"));
        assertEquals("port: 4789 vs 8472", VxlanDevice.incompatibility(want, vxlan(new VxlanInfo(1, local, 2, 4789, false, false, false))));
        assertEquals("gbp: true vs false", VxlanDevice.incompatibility(want, vxlan(new VxlanInfo(1, local, 2, 8472, false, true, false))));
        assertEquals("learning: true vs false", VxlanDevice.incompatibility(want, vxlan(new VxlanInfo(1, local, 2, 8472, true, false, false))));
        assertEquals("link type: bridge vs vxlan", VxlanDevice.incompatibility(want,
                new Link(5, "flannel.1", "bridge", null, 1500, MacAddress.parse("0a:00:00:00:00:01"), 0, 0, 0, 0, null)));
    }

    @Test
    void directRoutingNeedsAConnectedBestRoute() {
        Route connected = Route.to(Cidr.parse("192.168.1.0/24")).dev(2);
        Route viaGw = Route.to(Cidr.parse("0.0.0.0/0")).via(IpAddress.parse("192.168.1.1")).dev(2);
        Route moreSpecificViaGw = Route.to(Cidr.parse("192.168.1.128/25")).via(IpAddress.parse("192.168.1.1")).dev(2);
        RouteLookup l = RouteLookup.of(List.of(connected, viaGw, moreSpecificViaGw));
        assertTrue(l.isDirect(IpAddress.parse("192.168.1.20")));
        assertFalse(l.isDirect(IpAddress.parse("192.168.1.200")));
        assertFalse(l.isDirect(IpAddress.parse("10.1.2.3")));
        assertFalse(RouteLookup.of(List.of()).isDirect(IpAddress.parse("10.1.2.3")));
        assertFalse(RouteLookup.of(List.of(Route.blackhole(Cidr.parse("10.0.0.0/8")))).isDirect(IpAddress.parse("10.1.2.3")));
        assertEquals(Rt.RTN_UNICAST, connected.type());
    }

    private static Link vxlan(VxlanInfo v) {
        return new Link(5, "flannel.1", "vxlan", null, 1450, MacAddress.parse("0a:00:00:00:00:01"), 0, 0, 0, 0, v);
    }
}
