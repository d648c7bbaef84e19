package dev.weft.cni.spec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The one ObjectMapper of a plugin process, and small helpers for reading config JSON. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    /** Parses stdin; malformed JSON is code 6 (decode failure), as the spec defines it. */
    public static JsonNode parse(byte[] bytes, String what) {
        try {
            JsonNode n = MAPPER.readTree(bytes);
            if (n == null || n.isMissingNode()) {
                throw new CniError(CniError.DECODE_FAILURE, "error parsing " + what, "empty input");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new CniError(CniError.DECODE_FAILURE, "error parsing " + what, e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new CniError(CniError.IO_FAILURE, "error reading " + what, e.getMessage());
        }
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static String write(JsonNode n) {
        try {
            return MAPPER.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
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
