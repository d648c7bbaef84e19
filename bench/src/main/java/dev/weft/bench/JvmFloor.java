package dev.weft.bench;

/**
 * A main that only sleeps: run with weftd's java and flags, its footprint is the JVM's own, the
 * floor under weftd's figures in {@link FootprintBench}.
 */
public final class JvmFloor {
    private JvmFloor() {
    }

    public static void main(String[] args) throws InterruptedException {
        Thread.sleep(Long.MAX_VALUE);
    }
}
