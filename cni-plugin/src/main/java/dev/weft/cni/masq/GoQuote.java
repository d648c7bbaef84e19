package dev.weft.cni.masq;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Go's {@code %q} for strings ({@code strconv.Quote}) and its inverse. The reference writes the
 * iptables comment {@code name: %q id: %q}; to produce the same bytes, and to read the owner back
 * from a comment during GC, we need Go's exact escaping, not Java's.
 */
final class GoQuote {
    private GoQuote() {
    }

    /** {@code "..."} with Go's escapes: \a \b \f \n \r \t \v, \xNN, \\uNNNN, \\UNNNNNNNN. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '"' || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
            } else if (Character.isSurrogate((char) cp) && Character.charCount(cp) == 1) {
                // A lone surrogate cannot be UTF-8 encoded; Go would have seen U+FFFD there.
                sb.append('\uFFFD');
            } else if (isPrint(cp)) {
                sb.appendCodePoint(cp);
            } else {
                appendEscape(sb, cp);
            }
        }
        return sb.append('"').toString();
    }

    private static void appendEscape(StringBuilder sb, int cp) {
        switch (cp) {
            case 0x07 -> sb.append("\\a");
            case 0x08 -> sb.append("\\b");
            case 0x0c -> sb.append("\\f");
            case 0x0a -> sb.append("\\n");
            case 0x0d -> sb.append("\\r");
            case 0x09 -> sb.append("\\t");
            case 0x0b -> sb.append("\\v");
            default -> {
                if (cp < 0x20 || cp == 0x7f) {
                    sb.append(String.format("\\x%02x", cp));
                } else if (cp < 0x10000) {
                    sb.append(String.format("\\u%04x", cp));
                } else {
                    sb.append(String.format("\\U%08x", cp));
                }
            }
        }
    }

    /** Close to Go's {@code unicode.IsPrint}: graphic characters plus the ASCII space only. */
    private static boolean isPrint(int cp) {
        if (cp == ' ') {
            return true;
        }
        if (cp < 0x20 || cp == 0x7f) {
            return false;
        }
        switch (Character.getType(cp)) {
            case Character.UNASSIGNED, Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE,
                    Character.SURROGATE, Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR:
                return false;
            default:
                return true;
        }
    }

    /** A quoted string found at {@code start} and where it ended (index after the closing quote). */
    record Unquoted(String value, int end) {
    }

    /**
     * Reads the Go-quoted string that starts at {@code s[start]}; null when there is none or it is
     * malformed. Accepts every escape {@code strconv.Unquote} does for double-quoted strings.
     */
    static Unquoted unquoteAt(String s, int start) {
        if (start >= s.length() || s.charAt(start) != '"') {
            return null;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int i = start + 1;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '"') {
                return new Unquoted(bytes.toString(StandardCharsets.UTF_8), i + 1);
            }
            if (c != '\\') {
                int cp = s.codePointAt(i);
                writeUtf8(bytes, cp);
                i += Character.charCount(cp);
                continue;
            }
            if (i + 1 >= s.length()) {
                return null;
            }
            char e = s.charAt(i + 1);
            i += 2;
            switch (e) {
                case 'a' -> bytes.write(0x07);
                case 'b' -> bytes.write(0x08);
                case 'f' -> bytes.write(0x0c);
                case 'n' -> bytes.write(0x0a);
                case 'r' -> bytes.write(0x0d);
                case 't' -> bytes.write(0x09);
                case 'v' -> bytes.write(0x0b);
                case '\\', '"' -> bytes.write(e);
                case 'x', 'u', 'U' -> {
                    int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    Integer v = hex(s, i, n);
                    if (v == null) {
                        return null;
                    }
                    i += n;
                    if (e == 'x') {
                        bytes.write(v);   // a raw byte, as in Go
                    } else {
                        writeUtf8(bytes, v);
                    }
                }
                default -> {
                    if (e >= '0' && e <= '7' && i + 1 < s.length()) {
                        Integer v = octal(s, i - 1);
                        if (v == null) {
                            return null;
                        }
                        bytes.write(v);
                        i += 2;
                    } else {
                        return null;
                    }
                }
            }
        }
        return null;
    }

    private static Integer hex(String s, int from, int n) {
        if (from + n > s.length()) {
            return null;
        }
        try {
            long v = Long.parseLong(s.substring(from, from + n), 16);
            return v > Character.MAX_CODE_POINT && n > 2 ? null : (int) v;
        } catch (NumberFormatException ex) {
            return null;
        }
    }

    private static Integer octal(String s, int from) {
        int v = 0;
        for (int k = 0; k < 3; k++) {
            char c = s.charAt(from + k);
            if (c < '0' || c > '7') {
                return null;
            }
            v = v * 8 + (c - '0');
        }
        return v > 0xff ? null : v;
    }

    private static void writeUtf8(ByteArrayOutputStream out, int cp) {
        byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
    }
}
