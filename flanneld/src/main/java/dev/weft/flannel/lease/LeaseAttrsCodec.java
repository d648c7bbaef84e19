package dev.weft.flannel.lease;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.flannel.json.GoJsonWriter;
import dev.weft.flannel.json.GoObject;
import dev.weft.net.IpAddress;

/**
 * The lease value codec. Output follows Go's marshalling of flannel's struct: fields in declaration
 * order, {@code PublicIPv6} always present ({@code null} when unset, it is a pointer without
 * omitempty), {@code BackendType}/{@code BackendData}/{@code BackendV6Data} omitted when empty.
 * Input is read like Go reads it: keys case-insensitive, unknown keys ignored.
 */
public final class LeaseAttrsCodec {
    private LeaseAttrsCodec() {
    }

    public static String encode(LeaseAttrs a) {
        StringBuilder sb = new StringBuilder(160);
        sb.append("{\"PublicIP\":");
        GoJsonWriter.writeString(sb, a.publicIp().toString());
        sb.append(",\"PublicIPv6\":");
        if (a.publicIpV6() == null) {
            sb.append("null");
        } else {
            GoJsonWriter.writeString(sb, a.publicIpV6().toString());
        }
        if (!a.backendType().isEmpty()) {
            sb.append(",\"BackendType\":");
            GoJsonWriter.writeString(sb, a.backendType());
        }
        JsonNode data = a.backendData();
        if (data != null) {
            sb.append(",\"BackendData\":");
            GoJsonWriter.writeValue(sb, data);
        }
        JsonNode v6data = a.backendV6Data();
        if (v6data != null) {
            sb.append(",\"BackendV6Data\":");
            GoJsonWriter.writeValue(sb, v6data);
        }
        return sb.append('}').toString();
    }

    public static LeaseAttrs decode(String json) throws LeaseFormatException {
        GoObject o;
        try {
            o = GoObject.parse(json);
        } catch (JsonProcessingException e) {
            throw new LeaseFormatException("malformed lease JSON: " + e.getOriginalMessage(), e);
        } catch (GoObject.NotAnObjectException e) {
            throw new LeaseFormatException("lease value is not a JSON object: " + e.getMessage(), e);
        }
        // A missing PublicIP decodes to Go's zero value 0.0.0.0, which validation then rejects.
        IpAddress publicIp = address(o, "PublicIP", false);
        if (publicIp == null) {
            publicIp = IpAddress.V4_UNSPECIFIED;
        }
        IpAddress publicIpV6 = address(o, "PublicIPv6", true);
        JsonNode type = o.get("BackendType");
        if (type != null && !type.isTextual()) {
            throw new LeaseFormatException("BackendType: expected a string, got " + GoObject.describe(type));
        }
        return new LeaseAttrs(publicIp, publicIpV6, type == null ? "" : type.textValue(),
                o.get("BackendData"), o.get("BackendV6Data"));
    }

    private static IpAddress address(GoObject o, String key, boolean v6) throws LeaseFormatException {
        JsonNode n = o.get(key);
        if (n == null) {
            return null;
        }
        if (!n.isTextual()) {
            throw new LeaseFormatException(key + ": expected a string, got " + GoObject.describe(n));
        }
        IpAddress a;
        try {
            a = IpAddress.parse(n.textValue());
        } catch (IllegalArgumentException e) {
            throw new LeaseFormatException(key + ": " + e.getMessage(), e);
        }
        if (!v6) {
            a = a.unmap(); // Go's To4() accepts ::ffff:a.b.c.d
        }
        if (a.isV6() != v6) {
            throw new LeaseFormatException(key + ": expected an " + (v6 ? "IPv6" : "IPv4") + " address, got " + a);
        }
        return a;
    }
}
