package dev.weft.flannel.daemon;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go's duration syntax as flannel's flags take it: "24h", "90s", "1h30m", "500ms". */
public final class GoDuration {
    /** Longer than any sensible duration ("1h30m15s500ms" is 13): refused before the pattern runs. */
    private static final int MAX_CHARS = 32;
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    private GoDuration() {
    }

    public static Duration parse(String s) {
        if (s == null || s.isBlank()) {
            throw new IllegalArgumentException("empty duration");
        }
        if (s.length() > MAX_CHARS) {
            throw new IllegalArgumentException("invalid duration: longer than " + MAX_CHARS + " characters");
        }
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = PART.matcher(s);
        int pos = 0;
        double nanos = 0;
        while (m.find() && m.start() == pos) {
            double v = Double.parseDouble(m.group(1));
            nanos += v * switch (m.group(2)) {
                case "ns" -> 1d;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            pos = m.end();
        }
        if (pos != s.length()) {
            throw new IllegalArgumentException("invalid duration \"" + s + "\" (use e.g. 24h, 90s, 1h30m)");
        }
        return Duration.ofNanos((long) nanos);
    }
}
