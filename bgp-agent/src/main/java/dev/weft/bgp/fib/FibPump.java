package dev.weft.bgp.fib;

import dev.weft.net.Cidr;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands best-path changes to the kernel on a thread of their own ("weft-fib"), so the RIB thread
 * goes on deciding while the kernel installs: a full table's route inserts are system time spent
 * in the netlink send, and with one thread for both the two only ever took turns (bench/bgp-ingest).
 *
 * <p>Changes are coalesced by prefix: only the latest of a prefix waits (a flap of 10,000 updates
 * costs one route write, and the backlog never exceeds the number of prefixes). The kernel sees a
 * prefix's changes in the order they were submitted, since only the last one is ever applied.
 * {@link #afterPending} runs a task once every change submitted before it is in the kernel (the
 * initial-sync sweep must never delete an adopted route whose re-announcement is still queued).
 */
public final class FibPump implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FibPump.class);
    /** Changes applied per kernel batch; bounds the batch's own memory. */
    private static final int MAX_BATCH = 8192;

    private final KernelFib fib;
    private final Thread thread;
    private final Object lock = new Object();
    // guarded by lock
    private LinkedHashMap<Cidr, FibChange> pending = new LinkedHashMap<>();
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean closing;
    private boolean busy;

    private FibPump(KernelFib fib) {
        this.fib = fib;
        this.thread = new Thread(this::run, "weft-fib");
        thread.setDaemon(true);
    }

    public static FibPump start(KernelFib fib) {
        FibPump p = new FibPump(fib);
        p.thread.start();
        return p;
    }

    /** Queues changes (later ones of a prefix replace earlier ones still waiting). Any thread. */
    public void submit(List<? extends FibChange> changes) {
        if (changes.isEmpty()) {
            return;
        }
        synchronized (lock) {
            if (closing) {
                return;
            }
            for (FibChange c : changes) {
                // remove first: a re-submitted prefix moves to the end, after what came before it
                pending.remove(c.prefix());
                pending.put(c.prefix(), c);
            }
            lock.notifyAll();
        }
    }

    /** Runs {@code task} on the FIB thread once every change submitted so far is applied. */
    public <T> CompletableFuture<T> afterPending(java.util.function.Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        synchronized (lock) {
            if (closing) {
                f.completeExceptionally(new IllegalStateException("the FIB pump is closed"));
                return f;
            }
            tasks.add(() -> {
                try {
                    f.complete(task.get());
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
            lock.notifyAll();
        }
        return f;
    }

    /** Whether nothing waits and nothing is being applied (for tests and status). */
    public boolean idle() {
        synchronized (lock) {
            return pending.isEmpty() && tasks.isEmpty() && !busy;
        }
    }

    private void run() {
        List<FibChange> batch = new ArrayList<>();
        while (true) {
            Runnable task = null;
            synchronized (lock) {
                busy = false;
                lock.notifyAll();
                while (pending.isEmpty() && tasks.isEmpty() && !closing) {
                    waitQuietly();
                }
                if (pending.isEmpty() && tasks.isEmpty()) {
                    return; // closing, and everything submitted is done
                }
                busy = true;
                task = tasks.poll();
                // a task waits for everything submitted before it, however much that is
                take(batch, task != null ? Integer.MAX_VALUE : MAX_BATCH);
            }
            try {
                if (!batch.isEmpty()) {
                    fib.apply(batch);
                }
                if (task != null) {
                    task.run();
                }
            } catch (RuntimeException e) {
                // KernelFib keeps what failed as desired and retries it; the pump itself goes on
                LOG.warn("fib: applying {} changes failed: {}", batch.size(), e.toString());
            }
            batch.clear();
        }
    }

    /** Moves up to {@code max} of the oldest pending changes into {@code batch}. Under lock. */
    private void take(List<FibChange> batch, int max) {
        if (pending.isEmpty()) {
            return;
        }
        if (pending.size() <= max) {
            batch.addAll(pending.values());
            pending = new LinkedHashMap<>();
            return;
        }
        var it = pending.values().iterator();
        while (batch.size() < max) {
            batch.add(it.next());
            it.remove();
        }
    }

    private void waitQuietly() {
        try {
            lock.wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closing = true;
        }
    }

    /** Applies what is still waiting, runs the queued tasks, and stops the thread. */
    @Override
    public void close() {
        synchronized (lock) {
            closing = true;
            lock.notifyAll();
        }
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("fib: the FIB thread did not finish its backlog within 30 s");
        }
    }
}
