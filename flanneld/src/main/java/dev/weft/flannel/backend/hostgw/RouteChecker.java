package dev.weft.flannel.backend.hostgw;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * flannel's route check loop: every interval (10 s by default) it runs {@code check}, which puts
 * back host-gw routes someone deleted.
 */
final class RouteChecker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RouteChecker.class);

    private final Duration interval;
    private final Runnable check;
    private final Object sleeper = new Object();
    private volatile boolean running;
    private Thread thread;

    RouteChecker(Duration interval, Runnable check) {
        this.interval = interval;
        this.check = check;
    }

    synchronized void start() {
        if (thread != null) {
            return;
        }
        running = true;
        thread = new Thread(this::loop, "weft-hostgw-route-check");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        while (running) {
            synchronized (sleeper) {
                try {
                    sleeper.wait(Math.max(1, interval.toMillis()));
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (!running) {
                return;
            }
            try {
                check.run();
            } catch (RuntimeException e) {
                LOG.error("error fetching route list, will automatically retry: {}", e.toString());
            }
        }
    }

    @Override
    public synchronized void close() {
        if (thread == null) {
            return;
        }
        running = false;
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread = null;
    }
}
