package dev.weft.flannel.backend.vxlan;

import dev.weft.flannel.backend.LeaseFamily;
import dev.weft.flannel.backend.TestLeases;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The peer each vxlan side reads from a block route on block IPAM: an IPv6 block is the IPv6 side's
 * (on-link via the node's IPv6 tunnel address from BackendV6Data, FDB to its PublicIPv6) and
 * nothing for the IPv4 side; an IPv4 block the reverse.
 */
class VtepPeerTest {
    static final LeaseAttrs NODE = new LeaseAttrs(IpAddress.parse("192.168.1.2"), IpAddress.parse("fd00:1::2"), "vxlan",
            TestLeases.json("{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:00:04\",\"TunnelAddr\":\"10.244.0.3\"}"),
            TestLeases.json("{\"VNI\":1,\"VtepMAC\":\"02:00:00:00:00:06\",\"TunnelAddr\":\"fd00:244::3\"}"));

    @Test
    void anIpv6BlockIsTheIpv6SidesAloneViaTheIpv6TunnelAddress() {
        Lease v6 = Lease.ofV6(Cidr.parse("fd00:244::/125"), NODE, 0, 1);
        assertEquals(new VtepPeer(Cidr.parse("fd00:244::/125"), IpAddress.parse("fd00:244::3"), IpAddress.parse("fd00:1::2"),
                MacAddress.parse("02:00:00:00:00:06"), 1, false), VtepPeer.of(v6, LeaseFamily.V6));
        assertNull(VtepPeer.of(v6, LeaseFamily.V4), "no IPv4 half: nothing on flannel.1, and no error");

        Lease v4 = new Lease(Cidr.parse("10.244.0.8/29"), null, NODE, 0, 1);
        assertEquals(new VtepPeer(Cidr.parse("10.244.0.8/29"), IpAddress.parse("10.244.0.3"), IpAddress.parse("192.168.1.2"),
                MacAddress.parse("02:00:00:00:00:04"), 1, false), VtepPeer.of(v4, LeaseFamily.V4));
        assertNull(VtepPeer.of(v4, LeaseFamily.V6));
    }
}
