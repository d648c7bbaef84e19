package dev.weft.flannel.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.backend.hostgw.HostGwBackend;
import dev.weft.flannel.backend.vxlan.VxlanBackend;
import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.net.IpAddress;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Choosing a backend by the net-conf's Type; new types plug in without touching the core. */
class BackendRegistryTest {
    static final ExternalInterface ETH0 = ExternalInterface.v4("eth0", 2, IpAddress.parse("192.168.1.10"), 1500);

    static BackendContext ctx(String conf) {
        return BackendContext.of(NetworkConfig.parse(conf), ETH0);
    }

    @Test
    void standardRegistryKnowsVxlanAndHostGw() {
        BackendRegistry r = BackendRegistry.standard();
        assertTrue(r.types().containsAll(Set.of("vxlan", "host-gw")));
        assertInstanceOf(VxlanBackend.class, r.create(ctx("{\"Network\":\"10.244.0.0/16\"}"))); // default type
        assertInstanceOf(VxlanBackend.class, r.create(ctx("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"VXLAN\"}}")));
        assertInstanceOf(HostGwBackend.class, r.create(ctx("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"type\":\"host-gw\"}}")));
    }

    @Test
    void unknownTypeIsRefusedAndNewTypesPlugIn() {
        assertTrue(BackendRegistry.standard().types().contains("udp"), "the standard registry knows udp");
        BackendRegistry r = new BackendRegistry(); // empty: udp is unknown to it
        BackendContext udp = ctx("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"udp\"}}");
        BackendException e = assertThrows(BackendException.class, () -> r.create(udp));
        assertTrue(e.getMessage().startsWith("unknown backend type: udp"), e.getMessage());

        Backend fake = new Backend() {
            public String type() { return "udp"; }
            public LeaseAttrs prepare() { return leaseAttrs(); }
            public LeaseAttrs leaseAttrs() { return LeaseAttrs.of(ETH0.extAddr(), "", null); }
            public void start(Lease ownLease) { }
            public void handle(LeaseEvent event) { }
            public int mtu() { return 1472; }
            public void close() { }
        };
        r.register(new BackendFactory() {
            public String type() { return "UDP"; }
            public Backend create(BackendContext c) { return fake; }
        });
        assertSame(fake, r.create(udp));
    }

    @Test
    void externalInterfaceDefaultsPublicIpToItsAddress() {
        assertEquals(ETH0.ifaceAddr(), ETH0.extAddr());
        ExternalInterface nat = ETH0.withPublicIp(IpAddress.parse("203.0.113.1"));
        assertEquals(IpAddress.parse("203.0.113.1"), nat.extAddr());
        assertThrows(IllegalArgumentException.class, () -> ETH0.withPublicIp(IpAddress.parse("fd00::1")));
        BackendException e = assertThrows(BackendException.class, () -> new HostGwBackend(
                BackendContext.of(NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}"), nat)));
        assertEquals(HostGwBackend.NAT_MESSAGE, e.getMessage());
    }

    @Test
    void vxlanNeedsAnIpv6AddressWhenIpv6IsEnabled() {
        BackendContext c = ctx("{\"EnableIPv6\":true,\"Network\":\"10.244.0.0/16\",\"IPv6Network\":\"fd00:244::/56\"}");
        assertThrows(BackendException.class, () -> BackendRegistry.standard().create(c));
    }
}
