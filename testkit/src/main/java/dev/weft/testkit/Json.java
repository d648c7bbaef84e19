package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Small null-tolerant accessors for iproute2's JSON. */
final class Json {
    private Json() {}

    static String text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() || v.isMissingNode() ? null : v.asText();
    }

    static Integer integer(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isNumber()) {
            return v.asInt();
        }
        try {
            return Integer.valueOf(v.asText());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static Long longValue(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? null : v.asLong();
    }

    static Set<String> stringSet(JsonNode arr) {
        Set<String> s = new LinkedHashSet<>();
        if (arr != null && arr.isArray()) {
            arr.forEach(e -> s.add(e.asText()));
        }
        return Set.copyOf(s);
    }

    static List<String> stringList(JsonNode arr) {
        List<String> l = new ArrayList<>();
        if (arr != null && arr.isArray()) {
            arr.forEach(e -> l.add(e.asText()));
        } else if (arr != null && arr.isTextual()) {
            l.add(arr.asText());
        }
        return List.copyOf(l);
    }

    /** Keys whose value is boolean true. */
    static Set<String> trueKeys(JsonNode n) {
        Set<String> s = new LinkedHashSet<>();
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            if (e.getValue().isBoolean() && e.getValue().asBoolean()) {
                s.add(e.getKey());
            }
        }
        return Set.copyOf(s);
    }

    /** Keys (outside {@code known}) whose value is null or boolean true: iproute2's valueless markers. */
    static Set<String> markerKeys(JsonNode n, Set<String> known) {
        Set<String> s = new LinkedHashSet<>();
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            if (known.contains(e.getKey())) {
                continue;
            }
            JsonNode v = e.getValue();
            if (v.isNull() || (v.isBoolean() && v.asBoolean())) {
                s.add(e.getKey());
            }
        }
        return Set.copyOf(s);
    }
}
