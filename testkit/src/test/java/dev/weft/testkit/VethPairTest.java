package dev.weft.testkit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@KernelTest
class VethPairTest {

    @Test
    void pairBetweenTwoNamespacesCarriesTraffic() {
        try (TestNetns a = TestNetns.create(); TestNetns b = TestNetns.create()) {
            try (VethPair v = VethPair.builder().a("eth0", a).b("eth1", b).mtu(1400)
                    .addressA("10.77.0.1/24").addressB("10.77.0.2/24").create()) {
                LinkInfo ea = KernelState.requireLink(a.name(), "eth0");
                LinkInfo eb = KernelState.requireLink(b.name(), "eth1");
                assertEquals("veth", ea.kind());
                assertEquals(1400, ea.mtu());
                assertEquals(1400, eb.mtu());
                assertTrue(ea.isUp() && eb.isUp());
                assertEquals(ea.ifindex(), eb.linkIndex(), "peer ifindex");
                assertEquals("10.77.0.2", v.b().ip());
                a.exec("ping", "-c1", "-W2", "10.77.0.2");
            }
            assertFalse(KernelState.link(a.name(), "eth0").isPresent());
            assertFalse(KernelState.link(b.name(), "eth1").isPresent());
        }
    }

    @Test
    void ipv6AddressesAreUsableImmediately() {
        try (TestNetns a = TestNetns.create(); TestNetns b = TestNetns.create();
             VethPair v = VethPair.builder().a("eth0", a).b("eth0", b)
                     .addressA("fd00:77::1/64").addressB("fd00:77::2/64").create()) {
            a.exec("ping", "-6", "-c1", "-W2", v.b().ip());
        }
    }

    @Test
    void rootSideEndMustCarryThePrefixAndIsRemovedOnClose() {
        try (TestNetns ns = TestNetns.create()) {
            assertThrows(IllegalArgumentException.class, () -> VethPair.create("veth-bad", null, "eth0", ns.name()));
            String host = Names.unique("h");
            try (VethPair v = VethPair.create(host, null, "eth0", ns.name())) {
                assertTrue(NetnsLeakGuard.wtLinks().contains(v.a().name()));
                assertEquals("veth", KernelState.requireLink(null, host).kind());
            }
            assertFalse(KernelState.link(null, host).isPresent());
        }
    }

    @Test
    void closeToleratesAVanishedNamespace() {
        TestNetns a = TestNetns.create();
        try (TestNetns b = TestNetns.create()) {
            VethPair v = VethPair.create("eth0", a.name(), "eth0", b.name());
            a.close();
            v.close();
            v.close();
        } finally {
            a.close();
        }
    }
}
