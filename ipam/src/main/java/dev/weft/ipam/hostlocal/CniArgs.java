package dev.weft.ipam.hostlocal;

import dev.weft.ipam.IpamException;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of CNI_ARGS host-local understands: {@code IP} (a requested address) and
 * {@code IgnoreUnknown}. Parsing mirrors the reference's {@code types.LoadArgs} into its
 * {@code IPAMEnvArgs} struct, messages included: keys are case-sensitive Go field names, a pair
 * without exactly one {@code =} is an error at once, unknown keys are an error at the end unless
 * {@code IgnoreUnknown} is 1/true (Kubernetes always sends it, with its K8S_POD_* keys).
 *
 * @param ip the requested address, or null
 */
record CniArgs(IpAddress ip) {

    static final CniArgs NONE = new CniArgs(null);

    static CniArgs parse(String raw) throws IpamException {
        if (raw == null || raw.isEmpty()) {
            return NONE;
        }
        IpAddress ip = null;
        boolean ignoreUnknown = false;
        List<String> unknown = new ArrayList<>();
        for (String pair : raw.split(";", -1)) {
            String[] kv = pair.split("=", -1);
            if (kv.length != 2) {
                throw invalid("ARGS: invalid pair " + GoText.quote(pair));
            }
            String value = kv[1];
            switch (kv[0]) {
                case "IP" -> {
                    if (value.isEmpty()) { // an empty value unmarshals to a nil IP: no request
                        ip = null;
                    } else {
                        ip = JsonFields.parseIp(value, valueError(pair, "invalid IP address " + value));
                    }
                }
                case "IgnoreUnknown" -> ignoreUnknown = parseBool(pair, value);
                // Go's reflection also finds the embedded struct by its type name, and cannot fill it.
                case "CommonArgs" -> throw invalid("ARGS: cannot unmarshal into field 'CommonArgs' - type "
                        + "'*types.CommonArgs' does not implement encoding.TextUnmarshaler");
                default -> unknown.add(pair);
            }
        }
        if (!unknown.isEmpty() && !ignoreUnknown) {
            throw invalid("ARGS: unknown args " + GoText.quoteList(unknown));
        }
        return new CniArgs(ip);
    }

    private static boolean parseBool(String pair, String value) throws IpamException {
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "1", "true" -> true;
            case "0", "false" -> false;
            default -> throw invalid(valueError(pair,
                    "boolean unmarshal error: invalid input " + value.toLowerCase(java.util.Locale.ROOT)));
        };
    }

    private static String valueError(String pair, String why) {
        return "ARGS: error parsing value of pair " + GoText.quote(pair) + ": " + why;
    }

    private static IpamException invalid(String msg) {
        return new IpamException(IpamException.INVALID_CONFIG, msg);
    }
}
