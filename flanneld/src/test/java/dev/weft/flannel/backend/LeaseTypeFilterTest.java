package dev.weft.flannel.backend;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import org.junit.jupiter.api.Test;

class LeaseTypeFilterTest {
    @Test
    void foreignTypesAreRememberedBoundedly() {
        LeaseTypeFilter f = new LeaseTypeFilter("vxlan");
        Cidr subnet = Cidr.parse("10.5.1.0/24");
        for (int i = 0; i < 3 * LeaseTypeFilter.REMEMBERED; i++) {
            // anyone who can write to etcd can rewrite one lease with a new type forever
            assertFalse(f.accepts(new Lease(subnet, null, LeaseAttrs.of(IpAddress.parse("10.0.0.2"), "t" + i, null), 0, i)));
            assertTrue(f.remembered() <= LeaseTypeFilter.REMEMBERED, "remembered " + f.remembered());
        }
        assertTrue(f.accepts(new Lease(subnet, null, LeaseAttrs.of(IpAddress.parse("10.0.0.2"), "vxlan", null), 0, 1)));
    }

    @Test
    void anIpv6BlockRouteIsJudgedByItsTypeAndIsNeverTheOwnLease() {
        LeaseTypeFilter f = new LeaseTypeFilter("host-gw");
        f.setOwnSubnet(Cidr.parse("192.168.1.1/32")); // a node on block IPAM: its own lease is its address
        LeaseAttrs a = new LeaseAttrs(IpAddress.parse("192.168.1.2"), IpAddress.parse("fd00:1::2"), "host-gw", null, null);
        assertTrue(f.accepts(Lease.ofV6(Cidr.parse("fd00:244::/122"), a, 0, 1)));
        LeaseAttrs other = new LeaseAttrs(IpAddress.parse("192.168.1.2"), IpAddress.parse("fd00:1::2"), "vxlan", null, null);
        assertFalse(f.accepts(Lease.ofV6(Cidr.parse("fd00:244::/122"), other, 0, 1)));
    }
}
