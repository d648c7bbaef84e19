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
 * address of tunl0, and the udp backend one for its TUN device ({@code udp-tunnel-addr-<node>}).
 * With IPv6 blocks the vxlan backend's IPv6 device takes an IPv6 one
 * ({@code vxlan-v6-tunnel-addr-<node>}, as Calico's), published in BackendV6Data.
 */
public final class TunnelAddr {
    public static final String FIELD = "TunnelAddr";

    /** Which device a node's tunnel address is for: its IPAM handle and attribute type, as Calico names them. */
    public enum Kind {
        /** A vxlan device (the vxlan backend's, or the bgp backend's with Encap VXLAN). */
        VXLAN("vxlan-tunnel-addr-", "vxlanTunnelAddress", "the vxlan device"),
        /** The vxlan backend's IPv6 device (flannel-v6.&lt;VNI&gt;), on block IPAM with IPv6 blocks: an IPv6 address. */
        VXLAN_V6("vxlan-v6-tunnel-addr-", "vxlanV6TunnelAddress", "the IPv6 vxlan device"),
        /** tunl0 (the bgp backend with Encap IPIP). */
        IPIP("ipip-tunnel-addr-", "ipipTunnelAddress", "tunl0"),
        /** The udp backend's TUN device, flannel0 (Weft's own: Calico has no udp mode). */
        UDP("udp-tunnel-addr-", "udpTunnelAddress", "the udp backend's TUN device");

        private final String handlePrefix;
        private final String attributeType;
        private final String device;

        Kind(String handlePrefix, String attributeType, String device) {
            this.handlePrefix = handlePrefix;
            this.attributeType = attributeType;
            this.device = device;
        }

        /** The IPAM handle of the node's tunnel address of this kind. */
        public String handle(String node) {
            return handlePrefix + node;
        }

        /** The allocation's {@code type} attribute. */
        public String attributeType() {
            return attributeType;
        }

        /** The device that takes the address, for messages. */
        public String device() {
            return device;
        }
    }

    private TunnelAddr() {
    }

    /** Whether {@code handle} is a tunnel address's (never a pod's). */
    public static boolean isHandle(String handle) {
        for (Kind k : Kind.values()) {
            if (handle.startsWith(k.handlePrefix)) {
                return true;
            }
        }
        return false;
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
        return new LeaseAttrs(attrs.publicIp(), attrs.publicIpV6(), attrs.backendType(), with(attrs.backendData(), tunnel),
                attrs.backendV6Data());
    }

    /** {@code attrs} with BackendV6Data carrying the IPv6 {@code tunnel}. */
    public static LeaseAttrs intoV6(LeaseAttrs attrs, IpAddress tunnel) {
        return new LeaseAttrs(attrs.publicIp(), attrs.publicIpV6(), attrs.backendType(), attrs.backendData(),
                with(attrs.backendV6Data(), tunnel));
    }

    /** {@code had} (a copy, or null) with the tunnel address field set. */
    private static ObjectNode with(JsonNode had, IpAddress tunnel) {
        ObjectNode data = had != null && had.isObject() ? (ObjectNode) had : JsonNodeFactory.instance.objectNode();
        data.put(FIELD, tunnel.toString());
        return data;
    }
}
