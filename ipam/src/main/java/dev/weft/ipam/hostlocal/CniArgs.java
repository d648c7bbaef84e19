package dev.weft.ipam.hostlocal;

import dev.weft.ipam.IpamException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * CNI_ARGS ({@code K=V;K2=V2}), parsed as the reference plugins' {@code types.LoadArgs} parses it
 * into a plugin's args struct, messages included: pairs are taken in order, a pair without exactly
 * one {@code =} (an empty one too, as after a trailing {@code ;}) is an error at once, a known
 * key's value is checked as it comes, and unknown pairs are an error at the end unless
 * {@code IgnoreUnknown} is 1/true (Kubernetes always sends it, with its K8S_POD_* keys). Keys are
 * case-sensitive. The one parser for every Weft plugin, host-local's {@code IP} included.
 *
 * @param values every pair's value by key, in order (unknown ones too)
 */
public record CniArgs(Map<String, String> values) {
    public static final CniArgs NONE = new CniArgs(Map.of());

    /** Checks a known key's value as Go's UnmarshalText would; throws its error. */
    @FunctionalInterface
    public interface ValueCheck {
        void check(String key, String value, String pair) throws IpamException;
    }

    /** {@link #parse(String, Set, ValueCheck)} with no value checks. */
    public static CniArgs parse(String raw, Set<String> known) throws IpamException {
        return parse(raw, known, null);
    }

    /** Parses {@code raw}; {@code known} are the keys the plugin has fields for (IgnoreUnknown always). */
    public static CniArgs parse(String raw, Set<String> known, ValueCheck check) throws IpamException {
        if (raw == null || raw.isEmpty()) {
            return NONE;
        }
        Map<String, String> values = new LinkedHashMap<>();
        List<String> unknown = new java.util.ArrayList<>();
        boolean ignoreUnknown = false;
        for (String pair : raw.split(";", -1)) {
            String[] kv = pair.split("=", -1);
            if (kv.length != 2) {
                throw invalid("ARGS: invalid pair " + GoText.quote(pair));
            }
            String key = kv[0];
            String value = kv[1];
            values.put(key, value);
            if (key.equals("IgnoreUnknown")) {
                ignoreUnknown = parseBool(pair, value);
            } else if (!known.contains(key)) {
                unknown.add(pair);
            } else if (check != null) {
                check.check(key, value, pair);
            }
        }
        if (!unknown.isEmpty() && !ignoreUnknown) {
            throw invalid("ARGS: unknown args " + GoText.quoteList(unknown));
        }
        return new CniArgs(Collections.unmodifiableMap(values));
    }

    public String get(String key) {
        return values.get(key);
    }

    /** The error Go reports for a value its field cannot take. */
    public static IpamException valueError(String pair, String why) {
        return invalid("ARGS: error parsing value of pair " + GoText.quote(pair) + ": " + why);
    }

    private static boolean parseBool(String pair, String value) throws IpamException {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "1", "true" -> true;
            case "0", "false" -> false;
            default -> throw valueError(pair, "boolean unmarshal error: invalid input " + value.toLowerCase(Locale.ROOT));
        };
    }

    private static IpamException invalid(String msg) {
        return new IpamException(IpamException.INVALID_CONFIG, msg);
    }
}
