package dev.weft.flannel.cli;

/** "23h59m", "4m05s", "12s": how long, at a glance. */
final class Durations {
    private Durations() {
    }

    static String human(long seconds) {
        long s = Math.max(0, seconds);
        if (s >= 86_400) {
            return s / 86_400 + "d" + String.format("%02dh", s % 86_400 / 3600);
        }
        if (s >= 3600) {
            return s / 3600 + "h" + String.format("%02dm", s % 3600 / 60);
        }
        if (s >= 60) {
            return s / 60 + "m" + String.format("%02ds", s % 60);
        }
        return s + "s";
    }
}
