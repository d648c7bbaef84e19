package dev.weft.flannel.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A JSON object's members in document order, looked up the way Go's {@code encoding/json} fills a
 * struct: a key matches a field name ignoring case, and when several keys match, the last one in
 * the document wins (Go assigns each in turn). Duplicates are kept, which a Jackson tree would
 * collapse, so {@code {"Network":"a","network":"b"}} yields "b" exactly as flanneld sees it.
 */
public final class GoObject {
    /** Strict JSON (trailing garbage rejected, as Go does); decimals kept exact for re-encoding. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();
    /** For values inside a document being streamed: the trailing-token check belongs to the whole document. */
    private static final ObjectReader NESTED = MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final List<Map.Entry<String, JsonNode>> members;

    private GoObject(List<Map.Entry<String, JsonNode>> members) {
        this.members = members;
    }

    /**
     * Parses a document whose top level must be an object; {@code null} counts as an empty object
     * because Go leaves the struct untouched for it.
     *
     * @throws JsonProcessingException for malformed JSON
     * @throws NotAnObjectException    when the top level is another kind of value
     */
    public static GoObject parse(String json) throws JsonProcessingException {
        try (JsonParser p = MAPPER.createParser(json)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new NotAnObjectException("empty document");
            }
            if (first == JsonToken.VALUE_NULL) {
                requireEnd(p);
                return new GoObject(List.of());
            }
            if (first != JsonToken.START_OBJECT) {
                throw new NotAnObjectException("expected a JSON object, found " + describe(first));
            }
            List<Map.Entry<String, JsonNode>> list = new ArrayList<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                JsonNode value = NESTED.readTree(p);
                list.add(Map.entry(name, value));
            }
            requireEnd(p);
            return new GoObject(List.copyOf(list));
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException("reading from a String cannot fail", e);
        }
    }

    private static void requireEnd(JsonParser p) throws IOException {
        JsonToken t = p.nextToken();
        if (t != null) {
            throw new com.fasterxml.jackson.core.JsonParseException(p, "unexpected data after the top-level value");
        }
    }

    /** Wraps an already parsed object node (nested objects; Jackson has merged exact duplicate keys there). */
    public static GoObject of(JsonNode node) {
        if (node == null || node.isNull()) {
            return new GoObject(List.of());
        }
        if (!node.isObject()) {
            throw new NotAnObjectException("expected a JSON object, found " + node.getNodeType().name().toLowerCase());
        }
        return new GoObject(List.copyOf(node.properties()));
    }

    /**
     * The value Go would decode into a field called {@code name}, or {@code null} when no key
     * matches. A JSON {@code null} is returned as null too: Go leaves the field at its default.
     */
    public JsonNode get(String name) {
        JsonNode found = null;
        for (Map.Entry<String, JsonNode> m : members) {
            if (m.getKey().equalsIgnoreCase(name)) {
                found = m.getValue();
            }
        }
        return found == null || found.isNull() ? null : found;
    }

    public List<Map.Entry<String, JsonNode>> members() {
        return members;
    }

    /** A short name for a JSON token or node type, for error messages. */
    public static String describe(JsonToken t) {
        switch (t) {
            case START_ARRAY: return "an array";
            case START_OBJECT: return "an object";
            case VALUE_STRING: return "a string";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT: return "a number";
            case VALUE_TRUE:
            case VALUE_FALSE: return "a boolean";
            case VALUE_NULL: return "null";
            default: return t.name();
        }
    }

    /** A short description of a node for error messages: its kind and (shortened) text. */
    public static String describe(JsonNode n) {
        String text = n.toString();
        if (text.length() > 40) {
            text = text.substring(0, 37) + "...";
        }
        String kind;
        if (n.isTextual()) {
            kind = "string";
        } else if (n.isNumber()) {
            kind = "number";
        } else if (n.isBoolean()) {
            kind = "boolean";
        } else if (n.isArray()) {
            kind = "array";
        } else if (n.isObject()) {
            kind = "object";
        } else {
            kind = n.getNodeType().name().toLowerCase();
        }
        return kind + " " + text;
    }

    /** The document (or a nested value) is valid JSON but not an object. */
    public static final class NotAnObjectException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public NotAnObjectException(String message) {
            super(message);
        }
    }
}
