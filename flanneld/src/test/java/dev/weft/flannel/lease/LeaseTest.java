package dev.weft.flannel.lease;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A lease with an IPv6 half only exists as a route target on block IPAM: it has a key of its own
 * (never a subnet key) and no subnet key; a lease of etcd's subnets/ keeps its IPv4 subnet.
 */
class LeaseTest {
    static final LeaseAttrs ATTRS = new LeaseAttrs(IpAddress.parse("192.168.1.2"), IpAddress.parse("fd00:1::2"), "host-gw", null, null);

    @Test
    void anIpv6RouteTargetHasNoIpv4HalfAndNoSubnetKey() {
        Lease l = Lease.ofV6(Cidr.parse("fd00:244::40/122"), ATTRS, 5, 7);
        assertNull(l.subnet());
        assertEquals(Cidr.parse("fd00:244::40/122"), l.subnetV6());
        assertEquals(Cidr.parse("fd00:244::40/122"), l.anySubnet());
        assertEquals("fd00:244::40-122", l.key());
        assertThrows(IllegalStateException.class, l::subnetKey, "never written to etcd, so no subnet key");
        assertTrue(l.sameContent(Lease.ofV6(Cidr.parse("fd00:244::40/122"), ATTRS, 9, 9)), "a renewal is the same route");
        assertFalse(l.sameContent(Lease.ofV6(Cidr.parse("fd00:244::80/122"), ATTRS, 5, 7)));
        assertFalse(l.sameContent(new Lease(Cidr.parse("10.0.0.0/26"), Cidr.parse("fd00:244::40/122"), ATTRS, 5, 7)));
        assertFalse(new Lease(Cidr.parse("10.0.0.0/26"), Cidr.parse("fd00:244::40/122"), ATTRS, 5, 7).sameContent(l));
    }

    @Test
    void aLeaseNeedsAnIpv4SubnetOrAnIpv6OneAlone() {
        assertThrows(IllegalArgumentException.class, () -> new Lease(null, null, ATTRS, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Lease(null, Cidr.parse("10.0.0.0/26"), ATTRS, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Lease(Cidr.parse("fd00::/64"), null, ATTRS, 0, 0));
        Lease dual = new Lease(Cidr.parse("10.0.0.0/24"), Cidr.parse("fd00::/64"), ATTRS, 0, 0);
        assertEquals("10.0.0.0-24&fd00::-64", dual.key(), "a subnet lease's key is flannel's, as before");
        assertEquals(dual.subnetKey().toString(), dual.key());
    }
}
