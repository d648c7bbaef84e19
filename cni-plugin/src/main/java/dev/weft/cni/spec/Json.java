package dev.weft.cni.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.json.JsonTree;
import java.io.IOException;

/**
 * JSON for a plugin process: Jackson's tree model through {@link JsonTree} (streaming parser and
 * generator, no ObjectMapper: see there why), with the CNI's error codes for what it reads.
 */
public final class Json {
    private Json() {
    }

    /** Parses stdin; malformed JSON is code 6 (decode failure), as the spec defines it. */
    public static JsonNode parse(byte[] bytes, String what) {
        try {
            return read(bytes);
        } catch (IOException e) {
            throw new CniError(CniError.DECODE_FAILURE, "error parsing " + what, e.getMessage());
        }
    }

    /** Parses bytes into a tree; IOException on anything that is not exactly one JSON value. */
    public static JsonNode read(byte[] bytes) throws IOException {
        return JsonTree.read(bytes);
    }

    public static ObjectNode object() {
        return JsonTree.object();
    }

    public static ArrayNode array() {
        return JsonTree.array();
    }

    /** Compact JSON text of a tree, keys in insertion order. */
    public static String write(JsonNode n) {
        return JsonTree.write(n);
    }

    /** A string field, or null when absent or JSON null; a non-string value is an invalid config. */
    public static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new CniError(CniError.INVALID_CONFIG, "invalid config: \"" + field + "\" must be a string");
        }
        return v.asText();
    }

    public static boolean bool(JsonNode n, String field, boolean dflt) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw new CniError(CniError.INVALID_CONFIG, "invalid config: \"" + field + "\" must be a boolean");
        }
        return v.asBoolean();
    }

    public static int integer(JsonNode n, String field, int dflt) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new CniError(CniError.INVALID_CONFIG, "invalid config: \"" + field + "\" must be an integer");
        }
        return v.asInt();
    }
}
