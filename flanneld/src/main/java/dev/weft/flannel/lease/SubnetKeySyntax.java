package dev.weft.flannel.lease;

/**
 * flannel's key pattern {@code (\d+\.\d+.\d+.\d+)-(\d+)(?:&([a-f\d:]+)-(\d+))?$}, searched
 * leftmost-first as {@code FindStringSubmatch} (and {@code Matcher.find}) does, without a regex
 * engine: a backtracking matcher takes polynomial time on a long run of digits, and keys come from
 * anyone who can write to etcd.
 *
 * <p>How the search reduces to a few backward scans: the match must reach the end of the text, so
 * its tail is either {@code -B} (after the last '-') or {@code -B&C-D}; that leaves at most two
 * places where the IPv4 group can end. The IPv4 group holds one literal '.' and two any-character
 * dots, so it starts right after one of the last three non-digits before its end. Of the matches,
 * the regex reports the leftmost start; at the same start it prefers the {@code -B} tail (its
 * greedy second digit run is longer there). Every scan is linear and bounded by the caller's cap.
 */
final class SubnetKeySyntax {
    /** The four capture groups; v6 and len6 are null without the {@code &} part. */
    record Parts(String v4, String len4, String v6, String len6) {
    }

    private SubnetKeySyntax() {
    }

    /** The groups of the leftmost match, or null when the pattern does not occur. */
    static Parts scan(CharSequence s) {
        int n = s.length();
        int dash = lastDash(s, n);
        if (dash < 0 || !allDigits(s, dash + 1, n)) {
            return null; // both tail forms end in "-<digits>"
        }
        int plainStart = isDigitAt(s, dash - 1) ? addressStart(s, dash) : -1;

        int ampStart = -1;
        int amp = -1;
        int dash2 = -1;
        int c = dash;
        while (c > 0 && isV6Char(s.charAt(c - 1))) {
            c--;
        }
        if (c < dash && c > 0 && s.charAt(c - 1) == '&') {
            amp = c - 1;
            int b = amp;
            while (b > 0 && isDigit(s.charAt(b - 1))) {
                b--;
            }
            if (b < amp && b > 0 && s.charAt(b - 1) == '-' && isDigitAt(s, b - 2)) {
                dash2 = b - 1;
                ampStart = addressStart(s, dash2);
            }
        }

        if (plainStart >= 0 && (ampStart < 0 || plainStart <= ampStart)) {
            return new Parts(text(s, plainStart, dash), text(s, dash + 1, n), null, null);
        }
        if (ampStart >= 0) {
            return new Parts(text(s, ampStart, dash2), text(s, dash2 + 1, amp), text(s, amp + 1, dash), text(s, dash + 1, n));
        }
        return null;
    }

    /**
     * The leftmost start of {@code \d+\.\d+.\d+.\d+} ending exactly at {@code end} (whose previous
     * character is a digit), or -1.
     */
    private static int addressStart(CharSequence s, int end) {
        int[] nonDigits = new int[3]; // nearest first
        int count = 0;
        for (int i = end - 1; i >= 0 && count < 3; i--) {
            if (!isDigit(s.charAt(i))) {
                nonDigits[count++] = i;
            }
        }
        // The literal '.' is one of them; the ones after it are the two wildcards (or fewer).
        for (int k = count - 1; k >= 0; k--) {
            int dot = nonDigits[k];
            if (s.charAt(dot) == '.' && isDigitAt(s, dot - 1) && lastThree(s, dot + 1, end, nonDigits, k)) {
                int start = dot - 1;
                while (start > 0 && isDigit(s.charAt(start - 1))) {
                    start--;
                }
                return start;
            }
        }
        return -1;
    }

    /**
     * Whether {@code s[from, to)} is {@code \d+.\d+.\d+}, given its {@code k} non-digits (the
     * first {@code k} entries of {@code nonDigits}, nearest the end first).
     */
    private static boolean lastThree(CharSequence s, int from, int to, int[] nonDigits, int k) {
        for (int i = 0; i < k; i++) {
            if (isLineTerminator(s.charAt(nonDigits[i]))) {
                return false; // '.' does not match these
            }
        }
        return switch (k) {
            case 0 -> to - from >= 5; // both wildcards are digits
            case 1 -> {
                int z = nonDigits[0];
                yield (z > from && to - z - 1 >= 3) || (z - from >= 3 && to > z + 1);
            }
            default -> {
                int x = nonDigits[1];
                int y = nonDigits[0];
                yield x > from && y > x + 1 && to > y + 1;
            }
        };
    }

    private static int lastDash(CharSequence s, int n) {
        for (int i = n - 1; i >= 0; i--) {
            if (s.charAt(i) == '-') {
                return i;
            }
        }
        return -1;
    }

    private static boolean allDigits(CharSequence s, int from, int to) {
        if (from >= to) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (!isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigitAt(CharSequence s, int i) {
        return i >= 0 && i < s.length() && isDigit(s.charAt(i));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isV6Char(char c) {
        return isDigit(c) || (c >= 'a' && c <= 'f') || c == ':';
    }

    /** What java.util.regex's '.' refuses without DOTALL. */
    private static boolean isLineTerminator(char c) {
        return c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029';
    }

    private static String text(CharSequence s, int from, int to) {
        return s.subSequence(from, to).toString();
    }
}
