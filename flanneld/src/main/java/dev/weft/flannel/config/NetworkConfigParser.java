package dev.weft.flannel.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.flannel.json.GoObject;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.math.BigInteger;

/**
 * Decodes net-conf JSON into typed values the way Go's {@code encoding/json} fills flannel's
 * {@code subnet.Config}: keys match case-insensitively, unknown keys are ignored, {@code null}
 * leaves a default, and a value of the wrong JSON type is an error naming the key.
 */
final class NetworkConfigParser {
    private static final BigInteger MAX_UINT64 = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private NetworkConfigParser() {
    }

    static NetworkConfig parse(String json) {
        GoObject o = object(json);
        boolean enableIPv4 = bool(o, "EnableIPv4", true);
        boolean enableIPv6 = bool(o, "EnableIPv6", false);
        boolean enableNFTables = bool(o, "EnableNFTables", false);

        Cidr network = cidr(o, "Network", false);
        long subnetLen = uint(o, "SubnetLen");
        IpAddress subnetMin = address(o, "SubnetMin", false);
        IpAddress subnetMax = address(o, "SubnetMax", false);
        Cidr ipv6Network = cidr(o, "IPv6Network", true);
        long ipv6SubnetLen = uint(o, "IPv6SubnetLen");
        IpAddress ipv6SubnetMin = address(o, "IPv6SubnetMin", true);
        IpAddress ipv6SubnetMax = address(o, "IPv6SubnetMax", true);

        JsonNode backend = o.get("Backend");
        String backendType = backendType(backend);

        if (!enableIPv4 && !enableIPv6) {
            throw new ConfigException("EnableIPv4", "EnableIPv4 and EnableIPv6 are both false: no network to configure");
        }
        SubnetRange v4 = enableIPv4 ? FamilyRules.IPV4.resolve(network, subnetLen, subnetMin, subnetMax) : null;
        SubnetRange v6 = enableIPv6
                ? FamilyRules.IPV6.resolve(ipv6Network, ipv6SubnetLen, ipv6SubnetMin, ipv6SubnetMax) : null;
        return new NetworkConfig(enableIPv4, enableIPv6, v4, v6, enableNFTables, backend, backendType);
    }

    private static GoObject object(String json) {
        if (json == null) {
            throw new ConfigException(null, "network config is missing");
        }
        try {
            return GoObject.parse(json);
        } catch (JsonProcessingException e) {
            throw new ConfigException(null, "malformed network config JSON: " + e.getOriginalMessage()
                    + locationOf(e), e);
        } catch (GoObject.NotAnObjectException e) {
            throw new ConfigException(null, "network config must be a JSON object: " + e.getMessage(), e);
        }
    }

    private static String locationOf(JsonProcessingException e) {
        var loc = e.getLocation();
        return loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }

    private static boolean bool(GoObject o, String key, boolean dflt) {
        JsonNode n = o.get(key);
        if (n == null) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw typeError(key, "true or false", n);
        }
        return n.booleanValue();
    }

    /** A Go {@code uint}: a JSON integer 0..2^64-1. Values beyond int range are clamped (they fail later checks). */
    private static long uint(GoObject o, String key) {
        JsonNode n = o.get(key);
        if (n == null) {
            return 0;
        }
        if (!n.isIntegralNumber() || n.bigIntegerValue().signum() < 0 || n.bigIntegerValue().compareTo(MAX_UINT64) > 0) {
            throw typeError(key, "a non-negative integer", n);
        }
        BigInteger v = n.bigIntegerValue();
        return v.bitLength() < 31 ? v.longValue() : Integer.MAX_VALUE;
    }

    private static String string(GoObject o, String key) {
        JsonNode n = o.get(key);
        if (n == null) {
            return null;
        }
        if (!n.isTextual()) {
            throw typeError(key, "a string", n);
        }
        return n.textValue();
    }

    private static Cidr cidr(GoObject o, String key, boolean v6) {
        String s = string(o, key);
        if (s == null) {
            return null;
        }
        String family = v6 ? "IPv6" : "IPv4";
        Cidr c;
        try {
            c = Cidr.parse(s);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, key + ": invalid " + family + " CIDR format \"" + s + "\"", e);
        }
        if (c.isV6() != v6) {
            throw new ConfigException(key, key + ": invalid " + family + " CIDR format \"" + s + "\" (wrong address family)");
        }
        // Go's net.ParseCIDR returns the masked network, so "10.244.1.7/16" means 10.244.0.0/16.
        return c.network();
    }

    private static IpAddress address(GoObject o, String key, boolean v6) {
        String s = string(o, key);
        if (s == null) {
            return null;
        }
        String family = v6 ? "IPv6" : "IPv4";
        IpAddress a;
        try {
            a = IpAddress.parse(s);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, key + ": invalid " + family + " address \"" + s + "\"", e);
        }
        if (a.isV6() != v6) {
            throw new ConfigException(key, key + ": invalid " + family + " address \"" + s + "\" (wrong address family)");
        }
        return a;
    }

    private static String backendType(JsonNode backend) {
        if (backend == null) {
            return BackendTypes.DEFAULT;
        }
        if (!backend.isObject()) {
            throw new ConfigException("Backend", "error decoding Backend property of config: expected an object, got "
                    + GoObject.describe(backend));
        }
        JsonNode type = GoObject.of(backend).get("Type");
        if (type == null) {
            return BackendTypes.DEFAULT;
        }
        if (!type.isTextual()) {
            throw typeError("Backend.Type", "a string", type);
        }
        if (type.textValue().isEmpty()) {
            return BackendTypes.DEFAULT;
        }
        return BackendTypes.check(type.textValue());
    }

    private static ConfigException typeError(String key, String expected, JsonNode got) {
        return new ConfigException(key, key + ": expected " + expected + ", got " + GoObject.describe(got));
    }
}
