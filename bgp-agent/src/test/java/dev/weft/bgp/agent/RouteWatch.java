package dev.weft.bgp.agent;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Samples conditions (typically "this route is in that kernel") every 50 ms on a thread of its own
 * while a restart happens, and remembers every sample in which one did not hold: the proof that a
 * route was never removed, which a check before and after cannot give.
 */
final class RouteWatch implements AutoCloseable {
    private final List<String> names = new ArrayList<>();
    private final List<BooleanSupplier> checks = new ArrayList<>();
    private final List<String> misses = new ArrayList<>();
    private volatile boolean running = true;
    private int samples;
    private long startNanos;
    private Thread thread;

    RouteWatch watch(String name, BooleanSupplier holds) {
        names.add(name);
        checks.add(holds);
        return this;
    }

    RouteWatch start() {
        startNanos = System.nanoTime();
        thread = new Thread(this::loop, "wt-route-watch");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    private void loop() {
        while (running) {
            synchronized (this) {
                samples++;
                for (int i = 0; i < checks.size(); i++) {
                    if (!checks.get(i).getAsBoolean() && misses.size() < 100) {
                        misses.add(names.get(i) + " at " + (System.nanoTime() - startNanos) / 1_000_000 + " ms");
                    }
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Stops sampling; the samples taken and the misses seen. */
    synchronized String stopAndReport() {
        running = false;
        return samples + " samples, misses: " + misses;
    }

    synchronized List<String> misses() {
        return List.copyOf(misses);
    }

    synchronized int samples() {
        return samples;
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
