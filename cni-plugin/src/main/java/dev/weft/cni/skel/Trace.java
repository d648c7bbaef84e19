package dev.weft.cni.skel;

/**
 * Start-up and phase timings on stderr when WEFT_TRACE is set: the tool for keeping a plugin's
 * run short. A mark only stores a timestamp; {@link #print()} formats them all at the end, so the
 * trace does not pay for (and hide) the formatting code it would otherwise load mid-run.
 */
public final class Trace {
    private static final boolean ON = System.getenv("WEFT_TRACE") != null;
    private static final int MAX = 64;
    private static final String[] PHASES = new String[MAX];
    private static final long[] TIMES = new long[MAX];
    private static int count;
    private static long mainWallMillis;

    private Trace() {
    }

    public static void mark(String phase) {
        if (ON) {
            long now = System.nanoTime();
            synchronized (Trace.class) {
                if (count == 0) {
                    mainWallMillis = System.currentTimeMillis();
                }
                if (count < MAX) {
                    PHASES[count] = phase;
                    TIMES[count] = now;
                    count++;
                }
            }
        }
    }

    /** Writes the marks to stderr: each phase's own time and the time since the first mark. */
    public static void print() {
        if (!ON) {
            return;
        }
        StringBuilder s = new StringBuilder();
        synchronized (Trace.class) {
            if (count > 0) {
                // Millisecond resolution only, but it shows what the JVM costs before main runs.
                long jvmStart = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
                s.append("weft-trace jvm start -> first mark: ").append(mainWallMillis - jvmStart).append(" ms\n");
            }
            for (int i = 0; i < count; i++) {
                s.append("weft-trace ").append(PHASES[i]);
                for (int pad = PHASES[i].length(); pad < 28; pad++) {
                    s.append(' ');
                }
                s.append(" +").append(millis(TIMES[i] - TIMES[i == 0 ? 0 : i - 1]))
                        .append(" ms  (").append(millis(TIMES[i] - TIMES[0])).append(" ms since first mark)\n");
            }
            count = 0;
        }
        System.err.print(s);
        System.err.flush();
    }

    private static String millis(long nanos) {
        long tenths = nanos / 100_000;
        return tenths / 10 + "." + tenths % 10;
    }
}
