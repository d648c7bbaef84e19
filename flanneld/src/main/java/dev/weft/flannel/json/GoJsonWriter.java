package dev.weft.flannel.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * Compact JSON written with Go's {@code json.Marshal} rules, so a value we put into etcd is the
 * same byte string flanneld would put there: no whitespace, {@code <>&} written as Unicode
 * escapes (Go's default HTML-safe escaping), U+2028/U+2029 escaped, the short escapes for
 * backspace, form feed, newline, return and tab (Go 1.22+), other control characters as
 * lowercase four-digit Unicode escapes.
 */
public final class GoJsonWriter {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private GoJsonWriter() {
    }

    public static String toJson(JsonNode node) {
        StringBuilder sb = new StringBuilder();
        writeValue(sb, node);
        return sb.toString();
    }

    /** Writes a value; objects keep their member order (Go compacts a RawMessage without reordering). */
    public static void writeValue(StringBuilder sb, JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            sb.append("null");
        } else if (node.isTextual()) {
            writeString(sb, node.textValue());
        } else if (node.isBoolean()) {
            sb.append(node.booleanValue());
        } else if (node.isBigDecimal()) {
            sb.append(node.decimalValue().toString());
        } else if (node.isNumber()) {
            sb.append(node.asText());
        } else if (node.isArray()) {
            sb.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                writeValue(sb, node.get(i));
            }
            sb.append(']');
        } else if (node.isObject()) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<String, JsonNode> m : node.properties()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                writeString(sb, m.getKey());
                sb.append(':');
                writeValue(sb, m.getValue());
            }
            sb.append('}');
        } else {
            throw new IllegalArgumentException("cannot write JSON node of type " + node.getNodeType());
        }
    }

    /** Writes a quoted string with Go's escaping. Unpaired surrogates become U+FFFD as Go does for bad UTF-8. */
    public static void writeString(StringBuilder sb, String s) {
        sb.append('"');
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(i + 1));
                i += 2;
                continue;
            }
            i++;
            if (Character.isSurrogate(c)) {
                sb.append("\\ufffd");
                continue;
            }
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\b': sb.append("\\b"); break;
                case '\f': sb.append("\\f"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                case '<': case '>': case '&': case '\u2028': case '\u2029':
                    unicodeEscape(sb, c);
                    break;
                default:
                    if (c < 0x20) {
                        unicodeEscape(sb, c);
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }

    private static void unicodeEscape(StringBuilder sb, char c) {
        sb.append("\\u").append(HEX[(c >> 12) & 0xf]).append(HEX[(c >> 8) & 0xf])
                .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
    }
}
