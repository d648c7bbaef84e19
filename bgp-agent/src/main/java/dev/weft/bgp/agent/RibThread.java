package dev.weft.bgp.agent;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Hands work to the agent's single RIB thread; separate so BgpAgent reads as BGP, not as futures plumbing. */
final class RibThread {
    private RibThread() {
    }

    static CompletableFuture<Void> submit(ExecutorService ribThread, Runnable task) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        ribThread.execute(() -> {
            try {
                task.run();
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    /** Runs {@code task} on the RIB thread and waits for it, at most {@code timeout}. */
    static <T> T call(ExecutorService ribThread, Callable<T> task, Duration timeout) {
        try {
            return ribThread.submit(task).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("RIB thread did not answer in " + timeout, e);
        }
    }
}
