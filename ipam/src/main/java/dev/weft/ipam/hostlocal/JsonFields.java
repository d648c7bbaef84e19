package dev.weft.ipam.hostlocal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.Map;

/**
 * Reads the stdin JSON the way Go's encoding/json fills the reference's structs: keys match
 * case-insensitively when there is no exact match, and an explicit {@code null} is the same as
 * an absent key. Type mismatches are config errors naming the path.
 */
final class JsonFields {
    private JsonFields() {}

    /** The member named {@code name} (exact first, then case-insensitive), or null if absent or null. */
    static JsonNode field(JsonNode obj, String name) {
        if (obj == null || !obj.isObject()) {
            return null;
        }
        JsonNode exact = obj.get(name);
        if (exact != null) {
            return exact.isNull() ? null : exact;
        }
        for (Map.Entry<String, JsonNode> e : obj.properties()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue().isNull() ? null : e.getValue();
            }
        }
        return null;
    }

    static JsonNode object(JsonNode obj, String name, String path) throws IpamException {
        JsonNode n = field(obj, name);
        if (n != null && !n.isObject()) {
            throw typeError(path, "an object", n);
        }
        return n;
    }

    static JsonNode array(JsonNode obj, String name, String path) throws IpamException {
        JsonNode n = field(obj, name);
        if (n != null && !n.isArray()) {
            throw typeError(path, "an array", n);
        }
        return n;
    }

    static String string(JsonNode obj, String name, String path) throws IpamException {
        JsonNode n = field(obj, name);
        if (n == null) {
            return null;
        }
        if (!n.isTextual()) {
            throw typeError(path, "a string", n);
        }
        return n.textValue();
    }

    static Integer integer(JsonNode obj, String name, String path) throws IpamException {
        JsonNode n = field(obj, name);
        if (n == null) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw typeError(path, "an integer", n);
        }
        return n.intValue();
    }

    /** A {@code net.IP} field: Go rejects a bad literal with "invalid IP address: X". */
    static IpAddress ip(JsonNode obj, String name, String path) throws IpamException {
        String s = string(obj, name, path);
        if (s == null || s.isEmpty()) { // Go decodes "" to a nil IP, i.e. "not given"
            return null;
        }
        return parseIp(s, "invalid IP address: " + s);
    }

    /** A subnet: Go's ParseCIDR keeps the host bits, so validation can report them. */
    static Cidr cidr(JsonNode obj, String name, String path) throws IpamException {
        String s = string(obj, name, path);
        if (s == null) {
            return null;
        }
        try {
            return Cidr.parse(s);
        } catch (IllegalArgumentException e) {
            throw new IpamException(IpamException.INVALID_CONFIG, "invalid CIDR address: " + s);
        }
    }

    static IpAddress parseIp(String s, String error) throws IpamException {
        try {
            return IpAddress.parse(s);
        } catch (IllegalArgumentException e) {
            throw new IpamException(IpamException.INVALID_CONFIG, error);
        }
    }

    static IpamException typeError(String path, String expected, JsonNode got) {
        return new IpamException(IpamException.INVALID_CONFIG,
                "invalid IPAM config: " + path + " must be " + expected + ", got " + got.getNodeType().name().toLowerCase());
    }
}
