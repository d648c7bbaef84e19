package dev.weft.bgp.status.cli;

/** Elapsed time as gobgp prints it: "00:04:05" under a day, "3d 04:05:06" beyond, "never" for 0. */
final class Durations {
    private Durations() {
    }

    static String since(long nowMillis, long thenMillis) {
        if (thenMillis <= 0) {
            return "never";
        }
        long s = Math.max(0, nowMillis - thenMillis) / 1000;
        long days = s / 86400;
        String hms = String.format(java.util.Locale.ROOT, "%02d:%02d:%02d", s / 3600 % 24, s / 60 % 60, s % 60);
        return days > 0 ? days + "d " + hms : hms;
    }
}
