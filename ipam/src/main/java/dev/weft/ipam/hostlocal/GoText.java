package dev.weft.ipam.hostlocal;

import java.util.List;

/**
 * The two bits of Go string behaviour the on-disk format and the error messages depend on.
 * Java's {@code strip()} disagrees with Go's {@code strings.TrimSpace} on a few code points
 * (U+001C..U+001F, U+00A0, U+2007, U+202F), and reservation matching compares trimmed contents.
 */
final class GoText {
    private GoText() {}

    /** Go's {@code strings.TrimSpace}: strips Unicode White_Space from both ends. */
    static String trimSpace(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && isSpace(s.charAt(from))) {
            from++;
        }
        while (to > from && isSpace(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(from, to);
    }

    /** Go's {@code unicode.IsSpace} (every White_Space code point is in the BMP). */
    static boolean isSpace(char c) {
        return switch (c) {
            case '\t', '\n', '\u000b', '\f', '\r', ' ', '\u0085', '\u00a0', '\u1680',
                 '\u2028', '\u2029', '\u202f', '\u205f', '\u3000' -> true;
            default -> c >= '\u2000' && c <= '\u200a';
        };
    }

    /** Go's {@code %q} of a {@code []string}: {@code ["a" "b"]}. */
    static String quoteList(List<String> items) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(quote(items.get(i)));
        }
        return sb.append(']').toString();
    }

    /** Go's {@code %q} of a string, for the printable ASCII that CNI_ARGS realistically holds. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
