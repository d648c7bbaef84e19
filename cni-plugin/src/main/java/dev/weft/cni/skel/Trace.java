package dev.weft.cni.skel;

/**
 * Start-up and phase timings on stderr when WEFT_TRACE is set: the tool for keeping a plugin's
 * run short. Costs one volatile read per mark when off.
 */
public final class Trace {
    private static final boolean ON = System.getenv("WEFT_TRACE") != null;
    private static final long T0 = System.nanoTime();
    private static long last = T0;

    private Trace() {
    }

    public static void mark(String phase) {
        if (ON) {
            long now = System.nanoTime();
            System.err.printf("weft-trace %-28s +%6.1f ms  (%6.1f ms since main)%n", phase, (now - last) / 1e6, (now - T0) / 1e6);
            last = now;
        }
    }
}
