package dev.weft.flannel.lease;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.flannel.json.GoObject;
import dev.weft.net.IpAddress;
import java.util.Optional;

/**
 * A node's tunnel address, for a node on block IPAM: with no subnet of its own, its vxlan device
 * cannot take the subnet's first address as flannel's does, so it takes an address allocated from
 * the pool (handle {@code vxlan-tunnel-addr-<node>}, as Calico's) and publishes it in its
 * registration's BackendData as {@code "TunnelAddr"}. Peers use it as the on-link gateway and
 * neighbour of that node's blocks. A subnet lease has none (its gateway is the subnet's first
 * address). The bgp backend with Encap IPIP takes one too ({@code ipip-tunnel-addr-<node>}), as the
 * address of tunl0.
 */
public final class TunnelAddr {
    public static final String FIELD = "TunnelAddr";
    /** The IPAM handles of a node's tunnel addresses, as Calico names them. */
    public static final String VXLAN_HANDLE_PREFIX = "vxlan-tunnel-addr-";
    public static final String IPIP_HANDLE_PREFIX = "ipip-tunnel-addr-";

    private TunnelAddr() {
    }

    /** The IPAM handle of the node's tunnel address for {@code vxlan} or IPIP. */
    public static String handle(boolean vxlan, String node) {
        return (vxlan ? VXLAN_HANDLE_PREFIX : IPIP_HANDLE_PREFIX) + node;
    }

    /** Whether {@code handle} is a tunnel address's (never a pod's). */
    public static boolean isHandle(String handle) {
        return handle.startsWith(VXLAN_HANDLE_PREFIX) || handle.startsWith(IPIP_HANDLE_PREFIX);
    }

    /** Why {@code data}'s TunnelAddr (when present) is unusable as an IPv4 ({@code v4}) or IPv6 gateway, or empty. */
    public static Optional<String> problem(String field, JsonNode data, boolean v4) {
        JsonNode t = GoObject.of(data).get(FIELD);
        if (t == null) {
            return Optional.empty();
        }
        if (!t.isTextual() || t.textValue().length() > 45) {
            return Optional.of(field + "." + FIELD + " is not an address: " + GoObject.describe(t));
        }
        IpAddress a;
        try {
            a = IpAddress.parse(t.textValue());
        } catch (IllegalArgumentException e) {
            return Optional.of(field + "." + FIELD + ": " + e.getMessage());
        }
        if (a.isV4() != v4 || !LeaseValidator.usableUnicast(a)) {
            return Optional.of(field + "." + FIELD + " " + a + " is not a unicast " + (v4 ? "IPv4" : "IPv6") + " address");
        }
        return Optional.empty();
    }

    /** The TunnelAddr of checked BackendData, or null when it has none. */
    public static IpAddress of(JsonNode data) {
        JsonNode t = data == null || !data.isObject() ? null : GoObject.of(data).get(FIELD);
        return t == null ? null : IpAddress.parse(t.textValue());
    }

    /** {@code attrs} with BackendData carrying {@code tunnel}. */
    public static LeaseAttrs into(LeaseAttrs attrs, IpAddress tunnel) {
        JsonNode had = attrs.backendData(); // a copy
        ObjectNode data = had != null && had.isObject() ? (ObjectNode) had : JsonNodeFactory.instance.objectNode();
        data.put(FIELD, tunnel.toString());
        return new LeaseAttrs(attrs.publicIp(), attrs.publicIpV6(), attrs.backendType(), data, attrs.backendV6Data());
    }
}
