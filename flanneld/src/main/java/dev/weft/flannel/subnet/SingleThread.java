package dev.weft.flannel.subnet;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The one-thread executors the renewer and watcher run on. */
public final class SingleThread {
    private SingleThread() {
    }

    public static ScheduledThreadPoolExecutor named(String name) {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        // On shutdown, drop pending timers (a renewal due in 23 h) but finish queued work (closing watches).
        e.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    public static void stop(ScheduledThreadPoolExecutor e) {
        e.shutdown();
        try {
            if (!e.awaitTermination(2, TimeUnit.SECONDS)) {
                e.shutdownNow();
            }
        } catch (InterruptedException ie) {
            e.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
