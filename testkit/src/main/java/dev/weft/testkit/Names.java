package dev.weft.testkit;

import java.security.SecureRandom;

/** Unique, short, {@code wt-}-prefixed names for namespaces and links. */
public final class Names {
    private Names() {}

    /** Every namespace and root-namespace link the kit creates starts with this. */
    public static final String PREFIX = "wt-";
    /** Linux IFNAMSIZ - 1. */
    public static final int MAX_IFNAME = 15;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";

    /** {@code n} random base36 characters. */
    public static String random(int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(BASE36.charAt(RANDOM.nextInt(BASE36.length())));
        }
        return sb.toString();
    }

    /** {@code wt-} plus 7 random base36 chars (10 chars: fits an interface name). */
    public static String unique() {
        return PREFIX + random(7);
    }

    /**
     * {@code wt-} + 6 random chars + {@code -} + suffix; checked to fit an interface name (15 chars),
     * so the suffix may be at most 5 characters.
     */
    public static String unique(String suffix) {
        if (suffix == null || suffix.isEmpty()) {
            return unique();
        }
        return requireIfname(PREFIX + random(6) + "-" + suffix);
    }

    /** Throws unless {@code name} is a valid interface name (1..15 chars, no '/', ':' or whitespace). */
    public static String requireIfname(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_IFNAME) {
            throw new IllegalArgumentException("interface name must be 1.." + MAX_IFNAME + " chars: '" + name + "'");
        }
        for (char c : name.toCharArray()) {
            if (c == '/' || c == ':' || Character.isWhitespace(c)) {
                throw new IllegalArgumentException("invalid character in interface name '" + name + "'");
            }
        }
        return name;
    }

    /** Throws unless {@code name} carries the {@code wt-} prefix (safety rule for anything we create in shared places). */
    public static String requirePrefixed(String what, String name) {
        if (name == null || !name.startsWith(PREFIX)) {
            throw new IllegalArgumentException(what + " name must start with '" + PREFIX + "': '" + name + "'");
        }
        return name;
    }
}
