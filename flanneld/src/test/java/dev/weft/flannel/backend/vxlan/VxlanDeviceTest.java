package dev.weft.flannel.backend.vxlan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.backend.TestLeases;
import dev.weft.flannel.backend.TestNode;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.net.MacAddress;
import dev.weft.testkit.AddrInfo;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.Underlay;
import dev.weft.testkit.VxlanInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vxlan device: attributes as flannel sets them, MAC persistence, reuse, recreation, the link watcher. */
@KernelTest
class VxlanDeviceTest {
    static final String CONF = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";

    @Test
    void defaultDeviceIsWhatFlannelCreates(Underlay ul, @TempDir Path state) throws Exception {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = n.backend(CONF);
            LeaseAttrs attrs = b.prepare();
            b.start(TestLeases.own("10.244.1.0/24", attrs));

            LinkInfo dev = KernelState.requireLink(n.netns(), "flannel.1");
            VxlanInfo vx = dev.vxlanInfo();
            assertEquals(1, vx.id());
            assertEquals(8472, vx.port());
            assertEquals(n.node.address(), vx.local());
            assertEquals("eth0", vx.link());
            assertFalse(vx.learning());
            assertFalse(vx.gbp());
            assertEquals(1450, dev.mtu());
            assertEquals(1450, b.mtu());
            assertTrue(dev.isUp());
            assertEquals(List.of("10.244.1.0/32"), v4Addresses(n.netns(), "flannel.1"));
            assertEquals("0", n.node.exec("cat", "/proc/sys/net/ipv6/conf/flannel.1/accept_ra").stdout().strip());

            // The lease: {"VNI":1,"VtepMAC":"<mac of flannel.1>"}, PublicIP = eth0's address.
            assertEquals("vxlan", attrs.backendType());
            assertEquals(n.node.address(), attrs.publicIp().toString());
            assertEquals("{\"VNI\":1,\"VtepMAC\":\"" + dev.address() + "\"}", attrs.backendData().toString());
            assertTrue(MacAddress.parse(dev.address()).isLocallyAdministered());
            assertEquals(dev.address(), Files.readString(state.resolve("flannel.1.mac")).strip());
        }
    }

    @Test
    void optionsAreCaseInsensitiveAndHonoured(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = n.backend("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"type\":\"vxlan\",\"vni\":7,"
                    + "\"PORT\":4789,\"gbp\":true,\"learning\":true,\"mtu\":1400}}");
            b.start(TestLeases.own("10.244.3.0/24", b.prepare()));
            LinkInfo dev = KernelState.requireLink(n.netns(), "flannel.7");
            VxlanInfo vx = dev.vxlanInfo();
            assertEquals(7, vx.id());
            assertEquals(4789, vx.port());
            assertTrue(vx.gbp());
            assertTrue(vx.learning());
            assertEquals(1350, dev.mtu());
            assertEquals(1350, b.mtu());
            assertEquals(7, b.leaseAttrs().backendData().get("VNI").intValue());
            assertEquals(List.of("10.244.3.0/32"), v4Addresses(n.netns(), "flannel.7"));
        }
    }

    @Test
    void restartReusesDeviceAndMac(Underlay ul, @TempDir Path state) throws Exception {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend first = n.backend(CONF);
            first.start(TestLeases.own("10.244.1.0/24", first.prepare()));
            first.handle(TestLeases.snapshot(List.of(TestLeases.vxlan("10.244.2.0/24", "192.168.213.50", "0a:00:00:00:00:02"))));
            LinkInfo before = KernelState.requireLink(n.netns(), "flannel.1");
            first.close();
            // Nothing was torn down.
            assertEquals(before.ifindex(), KernelState.requireLink(n.netns(), "flannel.1").ifindex());
            assertEquals(1, routesVia(n.netns(), "flannel.1").size());

            Backend second = n.backend(CONF);
            LeaseAttrs attrs = second.prepare();
            second.start(TestLeases.own("10.244.1.0/24", attrs));
            LinkInfo after = KernelState.requireLink(n.netns(), "flannel.1");
            assertEquals(before.ifindex(), after.ifindex(), "compatible device reused");
            assertEquals(before.address(), after.address());
            assertEquals(before.address(), attrs.backendData().get("VtepMAC").textValue());
            assertEquals(1, routesVia(n.netns(), "flannel.1").size(), "the data path survived the restart");
        }
    }

    @Test
    void deletedDeviceComesBackWithSavedMac(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend first = n.backend(CONF);
            first.start(TestLeases.own("10.244.1.0/24", first.prepare()));
            String mac = KernelState.requireLink(n.netns(), "flannel.1").address();
            first.close();
            n.sh("ip", "link", "del", "flannel.1");

            Backend second = n.backend(CONF);
            second.start(TestLeases.own("10.244.1.0/24", second.prepare()));
            assertEquals(mac, KernelState.requireLink(n.netns(), "flannel.1").address());
        }
    }

    @Test
    void existingDeviceMacAdoptedWhenNothingSaved(Underlay ul, @TempDir Path state) throws Exception {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            // As real flanneld leaves it: same attributes, its own MAC, no Weft state file.
            n.sh("ip", "link", "add", "flannel.1", "address", "0a:11:22:33:44:55", "mtu", "1450", "type", "vxlan", "id", "1",
                    "local", n.node.address(), "dev", "eth0", "nolearning", "dstport", "8472");
            int index = KernelState.requireLink(n.netns(), "flannel.1").ifindex();
            Backend b = n.backend(CONF);
            LeaseAttrs attrs = b.prepare();
            assertEquals("0a:11:22:33:44:55", attrs.backendData().get("VtepMAC").textValue());
            assertEquals(index, KernelState.requireLink(n.netns(), "flannel.1").ifindex());
            assertEquals("0a:11:22:33:44:55", Files.readString(state.resolve("flannel.1.mac")).strip());
        }
    }

    @Test
    void incompatibleDeviceIsRecreatedKeepingTheMac(Underlay ul, @TempDir Path state) {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend first = n.backend(CONF);
            first.start(TestLeases.own("10.244.1.0/24", first.prepare()));
            LinkInfo before = KernelState.requireLink(n.netns(), "flannel.1");
            first.close();

            // Port changed in the net-conf.
            Backend second = n.backend("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"Port\":4789}}");
            second.start(TestLeases.own("10.244.1.0/24", second.prepare()));
            LinkInfo after = KernelState.requireLink(n.netns(), "flannel.1");
            assertNotEquals(before.ifindex(), after.ifindex(), "recreated");
            assertEquals(4789, after.vxlanInfo().port());
            assertEquals(before.address(), after.address(), "same VTEP MAC");
            second.close();

            // A hand-made device with another VNI under the name flannel.1, learning on.
            n.sh("ip", "link", "del", "flannel.1");
            n.sh("ip", "link", "add", "flannel.1", "type", "vxlan", "id", "42", "dstport", "8472", "learning");
            Backend third = n.backend(CONF);
            third.start(TestLeases.own("10.244.1.0/24", third.prepare()));
            VxlanInfo vx = KernelState.requireLink(n.netns(), "flannel.1").vxlanInfo();
            assertEquals(1, vx.id());
            assertFalse(vx.learning());
            assertEquals(n.node.address(), vx.local());
            assertEquals(before.address(), KernelState.requireLink(n.netns(), "flannel.1").address());
        }
    }

    @Test
    void watcherRecreatesDeletedDeviceAndReprogramsLeases(Underlay ul, @TempDir Path state) throws Exception {
        try (TestNode n = TestNode.of(ul.addNode("a"), state)) {
            Backend b = n.backend(CONF);
            b.start(TestLeases.own("10.244.1.0/24", b.prepare()));
            b.handle(TestLeases.added(TestLeases.vxlan("10.244.2.0/24", "192.168.213.50", "0a:00:00:00:00:02")));
            b.handle(TestLeases.added(TestLeases.vxlan("10.244.3.0/24", "192.168.213.51", "0a:00:00:00:00:03")));
            LinkInfo before = KernelState.requireLink(n.netns(), "flannel.1");

            n.sh("ip", "link", "del", "flannel.1");
            long deadline = System.currentTimeMillis() + 5_000;
            while (System.currentTimeMillis() < deadline && routesVia(n.netns(), "flannel.1").size() < 2) {
                Thread.sleep(50);
            }
            LinkInfo after = KernelState.requireLink(n.netns(), "flannel.1");
            assertNotEquals(before.ifindex(), after.ifindex());
            assertEquals(before.address(), after.address(), "same MAC");
            assertTrue(after.isUp());
            assertEquals(List.of("10.244.1.0/32"), v4Addresses(n.netns(), "flannel.1"));
            assertEquals(2, routesVia(n.netns(), "flannel.1").size());
            assertEquals(2, KernelState.neighbours(n.netns(), 4, "flannel.1").size());
            assertEquals(2, KernelState.fdb(n.netns(), "flannel.1").stream().filter(f -> f.dst() != null).count());
        }
    }

    static List<String> v4Addresses(String ns, String dev) {
        return KernelState.addresses(ns, dev).stream().filter(a -> !a.isIpv6()).map(AddrInfo::cidr)
                .collect(Collectors.toList());
    }

    static List<dev.weft.testkit.RouteInfo> routesVia(String ns, String dev) {
        return KernelState.routes(ns, 4).stream().filter(r -> dev.equals(r.dev())).collect(Collectors.toList());
    }
}
