package dev.weft.flannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.TestLeases;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.net.IpAddress;
import org.junit.jupiter.api.Test;

class UdpOptionsTest {
    @Test
    void portDefaultsTo8285AndKeysIgnoreCase() {
        assertEquals(8285, UdpOptions.parse(null).port());
        assertEquals(8285, UdpOptions.parse(TestLeases.json("{\"Type\":\"udp\"}")).port());
        assertEquals(9000, UdpOptions.parse(TestLeases.json("{\"Type\":\"udp\",\"port\":9000}")).port());
        assertEquals(9001, UdpOptions.parse(TestLeases.json("{\"Type\":\"udp\",\"PORT\":9001}")).port());
        assertThrows(BackendException.class, () -> UdpOptions.parse(TestLeases.json("{\"Port\":\"x\"}")));
        assertThrows(BackendException.class, () -> UdpOptions.parse(TestLeases.json("{\"Port\":70000}")));
        assertEquals(1472, UdpOptions.deviceMtu(1500));
    }

    @Test
    void leaseAttrsCarryNoBackendTypeLikeFlannel() {
        LeaseAttrs a = new LeaseAttrs(IpAddress.parse("192.168.64.3"), null, "", null, null);
        assertEquals("{\"PublicIP\":\"192.168.64.3\",\"PublicIPv6\":null}", a.toJson());
    }
}
