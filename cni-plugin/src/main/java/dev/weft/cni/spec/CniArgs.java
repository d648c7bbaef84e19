package dev.weft.cni.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CNI_ARGS ({@code K=V;K2=V2}). A plugin names the keys it understands; any other key is an error
 * unless {@code IgnoreUnknown} is 1 or true, which Kubernetes always sends along with its
 * K8S_POD_* keys.
 */
public record CniArgs(Map<String, String> values) {
    public static final CniArgs NONE = new CniArgs(Map.of());

    public static CniArgs parse(String raw, Set<String> known) {
        if (raw == null || raw.isEmpty()) {
            return NONE;
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (String pair : raw.split(";")) {
            String[] kv = pair.split("=", -1);
            if (kv.length != 2) {
                throw new CniError(CniError.INVALID_ENV, "ARGS: invalid pair \"" + pair + "\"");
            }
            m.put(kv[0], kv[1]);
        }
        String ignore = m.getOrDefault("IgnoreUnknown", "");
        boolean ignoreUnknown = ignore.equals("1") || ignore.equalsIgnoreCase("true");
        if (!ignoreUnknown) {
            List<String> unknown = new ArrayList<>();
            for (String k : m.keySet()) {
                if (!known.contains(k) && !k.equals("IgnoreUnknown")) {
                    unknown.add(k);
                }
            }
            if (!unknown.isEmpty()) {
                throw new CniError(CniError.INVALID_ENV, "ARGS: unknown args " + CniVersion.goQuotedList(unknown));
            }
        }
        return new CniArgs(Map.copyOf(m));
    }

    public String get(String key) {
        return values.get(key);
    }
}
