package dev.weft.cni.spec;

/**
 * A JSON string literal written by hand, for the paths that must not load Jackson: the error of
 * last resort ({@code LastWords}) and the thick plugin's shim.
 */
public final class JsonString {
    private JsonString() {
    }

    /** Appends {@code v} quoted, with '"', '\' and control characters escaped. */
    public static void quote(StringBuilder s, String v) {
        s.append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"' || c == '\\') {
                s.append('\\').append(c);
            } else if (c < 0x20) {
                s.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            } else {
                s.append(c);
            }
        }
        s.append('"');
    }
}
