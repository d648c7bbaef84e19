package dev.weft.flannel.lease;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.flannel.json.GoObject;
import dev.weft.net.MacAddress;
import java.math.BigInteger;
import java.util.Optional;

/**
 * vxlan BackendData is {@code {"VNI":<uint32>,"VtepMAC":"xx:xx:xx:xx:xx:xx"}}, and in a node
 * registration (block IPAM) also {@code "TunnelAddr"} ({@link TunnelAddr}). The MAC becomes a
 * permanent neighbour and FDB entry on every peer, so it must be a real unicast address; so must
 * the tunnel address, which becomes the neighbour's address and the routes' gateway.
 */
public final class VxlanBackendDataCheck implements BackendDataCheck {
    private static final BigInteger MAX_UINT32 = BigInteger.valueOf(0xffff_ffffL);

    @Override
    public Optional<String> problem(JsonNode backendData, JsonNode backendV6Data) {
        if (backendData == null) {
            return Optional.of("vxlan lease has no BackendData");
        }
        Optional<String> p = check("BackendData", backendData);
        if (p.isPresent() || backendV6Data == null) {
            return p;
        }
        return check("BackendV6Data", backendV6Data);
    }

    private static Optional<String> check(String field, JsonNode data) {
        if (!data.isObject()) {
            return Optional.of(field + " is not an object: " + GoObject.describe(data));
        }
        GoObject o = GoObject.of(data);
        JsonNode vni = o.get("VNI");
        if (vni != null && (!vni.isIntegralNumber() || vni.bigIntegerValue().signum() < 0
                || vni.bigIntegerValue().compareTo(MAX_UINT32) > 0)) {
            return Optional.of(field + ".VNI is not a 32-bit unsigned integer: " + GoObject.describe(vni));
        }
        JsonNode mac = o.get("VtepMAC");
        if (mac == null) {
            return Optional.of(field + ".VtepMAC is missing");
        }
        if (!mac.isTextual()) {
            return Optional.of(field + ".VtepMAC is not a string: " + GoObject.describe(mac));
        }
        MacAddress m;
        try {
            m = MacAddress.parse(mac.textValue());
        } catch (IllegalArgumentException e) {
            return Optional.of(field + ".VtepMAC: " + e.getMessage());
        }
        if (m.isMulticast() || m.toLong() == 0) {
            return Optional.of(field + ".VtepMAC " + m + " is not a unicast address");
        }
        return TunnelAddr.problem(field, data, field.equals("BackendData"));
    }
}
