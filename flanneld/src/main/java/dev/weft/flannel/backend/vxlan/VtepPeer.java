package dev.weft.flannel.backend.vxlan;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.flannel.backend.LeaseFamily;
import dev.weft.flannel.json.GoObject;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.TunnelAddr;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;
import java.util.Optional;

/**
 * What one remote node's lease asks of this node's vxlan device, for one address family.
 *
 * @param subnet   the remote node's pod subnet S (or, on block IPAM, one of its blocks or borrowed addresses)
 * @param gateway  the remote device's address: S0, flannel's, or the node's {@link TunnelAddr} on block IPAM;
 *                 the neighbour entry and the on-link gateway
 * @param publicIp the remote VTEP (its PublicIP)
 * @param mac      the remote VtepMAC
 * @param vni      the VNI it announced
 * @param direct   reached by a plain route via {@code publicIp} (DirectRouting, same L2) instead of vxlan
 */
record VtepPeer(Cidr subnet, IpAddress gateway, IpAddress publicIp, MacAddress mac, long vni, boolean direct) {

    VtepPeer withDirect(boolean d) {
        return new VtepPeer(subnet, gateway, publicIp, mac, vni, d);
    }

    /**
     * Reads a lease's half for one family.
     *
     * @return null when the lease has no half of this family (no v6 subnet; on block IPAM, no v4 subnet in
     *         the route to an IPv6 block)
     * @throws IllegalArgumentException when BackendData is unusable, or the half has no PublicIP(v6) (the message says why)
     */
    static VtepPeer of(Lease lease, LeaseFamily family) {
        Cidr subnet = family.subnet(lease);
        if (subnet == null) {
            return null;
        }
        IpAddress publicIp = family.publicIp(lease.attrs());
        if (publicIp == null) {
            if (family == LeaseFamily.V4) {
                throw new IllegalArgumentException("no PublicIP"); // (LeaseAttrs never lacks one)
            }
            return null; // a v6 half with no PublicIPv6 has no VTEP to reach (weftd's block routes never make one)
        }
        String field = family == LeaseFamily.V4 ? "BackendData" : "BackendV6Data";
        JsonNode data = family.backendData(lease.attrs());
        if (data == null || !data.isObject()) {
            throw new IllegalArgumentException(field + " is " + (data == null ? "missing" : "not an object: "
                    + GoObject.describe(data)));
        }
        GoObject o = GoObject.of(data);
        JsonNode vni = o.get("VNI");
        if (vni == null) {
            throw new IllegalArgumentException(field + ".VNI is missing");
        }
        if (!vni.isIntegralNumber() || !vni.canConvertToLong() || vni.longValue() < 0 || vni.longValue() > 0xffff_ffffL) {
            throw new IllegalArgumentException(field + ".VNI is not a 32-bit unsigned integer: " + GoObject.describe(vni));
        }
        JsonNode m = o.get("VtepMAC");
        if (m == null || !m.isTextual()) {
            throw new IllegalArgumentException(field + ".VtepMAC is " + (m == null ? "missing" : "not a string: "
                    + GoObject.describe(m)));
        }
        MacAddress mac;
        try {
            mac = MacAddress.parse(m.textValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ".VtepMAC: " + e.getMessage(), e);
        }
        if (mac.isMulticast() || mac.toLong() == 0) {
            throw new IllegalArgumentException(field + ".VtepMAC " + mac + " is not a unicast address");
        }
        Optional<String> bad = TunnelAddr.problem(field, data, family == LeaseFamily.V4);
        if (bad.isPresent()) {
            throw new IllegalArgumentException(bad.get());
        }
        IpAddress tunnel = TunnelAddr.of(data);
        return new VtepPeer(subnet.network(), tunnel != null ? tunnel : subnet.networkAddress(), publicIp, mac, vni.longValue(), false);
    }
}
