package dev.weft.flannel.lease;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.net.IpAddress;
import java.util.Objects;

/**
 * What a node publishes about itself in its lease (flannel's {@code lease.LeaseAttrs}).
 *
 * @param publicIp      the node's IPv4 underlay address (PublicIP)
 * @param publicIpV6    its IPv6 underlay address, or null (PublicIPv6)
 * @param backendType   "vxlan", "host-gw", ...; empty for udp, which flannel writes without one
 * @param backendData   backend-specific object (vxlan: VNI and VtepMAC), or null
 * @param backendV6Data the same for the IPv6 side of a dual-stack vxlan, or null
 */
public record LeaseAttrs(IpAddress publicIp, IpAddress publicIpV6, String backendType,
                         JsonNode backendData, JsonNode backendV6Data) {

    public LeaseAttrs {
        Objects.requireNonNull(publicIp, "publicIp");
        if (!publicIp.isV4()) {
            throw new IllegalArgumentException("PublicIP must be IPv4, got " + publicIp);
        }
        if (publicIpV6 != null && !publicIpV6.isV6()) {
            throw new IllegalArgumentException("PublicIPv6 must be IPv6, got " + publicIpV6);
        }
        backendType = backendType == null ? "" : backendType;
        backendData = copyOrNull(backendData);
        backendV6Data = copyOrNull(backendV6Data);
    }

    /** Attrs of a single-stack node. */
    public static LeaseAttrs of(IpAddress publicIp, String backendType, JsonNode backendData) {
        return new LeaseAttrs(publicIp, null, backendType, backendData, null);
    }

    private static JsonNode copyOrNull(JsonNode n) {
        // A JSON null is "no data": Go's omitempty drops an empty RawMessage the same way.
        return n == null || n.isNull() || n.isMissingNode() ? null : n.deepCopy();
    }

    @Override
    public JsonNode backendData() {
        return backendData == null ? null : backendData.deepCopy();
    }

    @Override
    public JsonNode backendV6Data() {
        return backendV6Data == null ? null : backendV6Data.deepCopy();
    }

    /** flanneld's exact bytes for these attrs, e.g. {@code {"PublicIP":"192.168.64.3","PublicIPv6":null,...}}. */
    public String toJson() {
        return LeaseAttrsCodec.encode(this);
    }

    /** Decodes a lease value as Go would (keys case-insensitive). Does not judge plausibility: see {@link LeaseValidator}. */
    public static LeaseAttrs fromJson(String json) throws LeaseFormatException {
        return LeaseAttrsCodec.decode(json);
    }
}
