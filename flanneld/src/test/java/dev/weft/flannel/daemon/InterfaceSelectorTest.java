package dev.weft.flannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.net.IpAddress;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.NetNs;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.util.List;
import org.junit.jupiter.api.Test;

/** flanneld's external-interface rules, on links made with ip in a test namespace. */
@KernelTest
class InterfaceSelectorTest {

    @Test
    void ifaceIfaceRegexPublicIpAndDefaultRoute() {
        try (TestNetns ns = TestNetns.create()) {
            ns.ip("link", "add", "wt-a", "type", "veth", "peer", "name", "wt-a2");
            ns.ip("link", "add", "wt-b", "type", "veth", "peer", "name", "wt-b2");
            for (String l : List.of("wt-a", "wt-a2", "wt-b", "wt-b2")) {
                ns.ip("link", "set", l, "up");
            }
            ns.ip("link", "set", "wt-b", "mtu", "9000");
            ns.ip("addr", "add", "192.168.50.2/24", "dev", "wt-a");
            ns.ip("addr", "add", "192.168.60.2/24", "dev", "wt-b");
            ns.ip("route", "add", "default", "via", "192.168.60.1", "dev", "wt-b");
            try (NetNs h = NetNs.open(ns.path().toString()); RtNetlink nl = RtNetlink.open(h)) {
                InterfaceSelector s = new InterfaceSelector(nl);
                ExternalInterface byDefault = s.select(List.of(), List.of(), "", "", true, false);
                assertEquals("wt-b", byDefault.name(), "the IPv4 default route's interface");
                assertEquals(9000, byDefault.mtu());
                assertEquals(IpAddress.parse("192.168.60.2"), byDefault.extAddr());

                assertEquals("wt-a", s.select(List.of("wt-missing", "wt-a"), List.of(), "", "", true, false).name(), "-iface tried in order");
                assertEquals("wt-a", s.select(List.of("192.168.50.2"), List.of(), "", "", true, false).name(), "-iface by address");
                assertEquals("wt-a", s.select(List.of(), List.of("192\\.168\\.50\\..*"), "", "", true, false).name(), "-iface-regex on addresses");
                assertEquals("wt-b", s.select(List.of(), List.of("wt-b"), "", "", true, false).name(), "-iface-regex on names");
                ExternalInterface pub = s.select(List.of(), List.of(), "192.168.50.2", "", true, false);
                assertEquals("wt-a", pub.name(), "-public-ip picks the interface that holds it");
                ExternalInterface nat = s.select(List.of("wt-a"), List.of(), "203.0.113.7", "", true, false);
                assertEquals(IpAddress.parse("192.168.50.2"), nat.ifaceAddr());
                assertEquals(IpAddress.parse("203.0.113.7"), nat.extAddr(), "a NATed public IP is advertised, the interface keeps its own");
                IllegalStateException none = assertThrows(IllegalStateException.class,
                        () -> s.select(List.of(), List.of(), "203.0.113.7", "", true, false));
                assertTrue(none.getMessage().contains("-public-ip"), none.getMessage());
                assertThrows(IllegalStateException.class, () -> s.select(List.of("wt-missing"), List.of(), "", "", true, false));

                // -iface-can-reach: the interface and source `ip route get` names, after -iface and -iface-regex
                ns.ip("addr", "add", "192.168.50.9/24", "dev", "wt-a");
                ns.ip("route", "add", "10.20.0.0/16", "via", "192.168.50.1", "src", "192.168.50.9");
                var got = dev.weft.testkit.KernelState.parse(ns.ip("-j", "route", "get", "10.20.3.4")).get(0);
                ExternalInterface reach = s.select(List.of(), List.of(), "10.20.3.4", "", "", true, false);
                assertEquals(got.get("dev").asText(), reach.name());
                assertEquals("wt-a", reach.name(), "not the default route's wt-b");
                assertEquals(IpAddress.parse(got.get("prefsrc").asText()), reach.ifaceAddr());
                assertEquals(IpAddress.parse("192.168.50.9"), reach.ifaceAddr(), "the route's source, not the first address");
                assertEquals("wt-b", s.select(List.of("wt-b"), List.of(), "10.20.3.4", "", "", true, false).name(), "-iface comes first");
                assertEquals("wt-b", s.select(List.of(), List.of(), "8.8.8.8", "", "", true, false).name(), "via the default route");
                ns.ip("route", "del", "default");
                IllegalStateException unreachable = assertThrows(IllegalStateException.class,
                        () -> s.select(List.of(), List.of(), "8.8.8.8", "", "", true, false));
                assertTrue(unreachable.getMessage().contains("-iface-can-reach 8.8.8.8"), unreachable.getMessage());
            }
        }
    }
}
