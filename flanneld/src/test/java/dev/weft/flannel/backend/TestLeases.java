package dev.weft.flannel.backend;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.flannel.json.GoObject;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.List;

/** Leases as another node would publish them. */
public final class TestLeases {
    private TestLeases() {
    }

    public static JsonNode json(String s) {
        try {
            return GoObject.MAPPER.readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    public static Lease vxlan(String subnet, String publicIp, String mac) {
        return lease(subnet, publicIp, "vxlan", "{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}");
    }

    /** A lease with raw BackendData (null for none). */
    public static Lease lease(String subnet, String publicIp, String type, String backendData) {
        LeaseAttrs a = LeaseAttrs.of(IpAddress.parse(publicIp), type, backendData == null ? null : json(backendData));
        return new Lease(Cidr.parse(subnet), null, a, System.currentTimeMillis() + 86_400_000L, 1);
    }

    public static Lease hostGw(String subnet, String publicIp) {
        return lease(subnet, publicIp, "host-gw", null);
    }

    /** The node's own lease (attrs as the backend published them). */
    public static Lease own(String subnet, LeaseAttrs attrs) {
        return new Lease(Cidr.parse(subnet), null, attrs, System.currentTimeMillis() + 86_400_000L, 1);
    }

    public static Lease ownDual(String subnet, String subnetV6, LeaseAttrs attrs) {
        return new Lease(Cidr.parse(subnet), Cidr.parse(subnetV6), attrs, System.currentTimeMillis() + 86_400_000L, 1);
    }

    public static LeaseEvent.Added added(Lease l) {
        return new LeaseEvent.Added(l);
    }

    public static LeaseEvent.Removed removed(Lease l) {
        return new LeaseEvent.Removed(l);
    }

    public static LeaseEvent.Snapshot snapshot(List<Lease> leases) {
        return new LeaseEvent.Snapshot(leases, leases, List.of());
    }
}
