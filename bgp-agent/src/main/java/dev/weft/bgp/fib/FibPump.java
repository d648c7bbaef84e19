package dev.weft.bgp.fib;

import dev.weft.bgp.trace.IngestTrace;
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
 * costs a route write per batch the FIB thread takes meanwhile, and the backlog never exceeds twice
 * the number of prefixes: what waits, and what the FIB thread took). The kernel sees a prefix's
 * changes in the order they were submitted. The FIB thread takes the whole backlog at once and
 * applies it in batches of {@value #MAX_BATCH}: taking part of a map meant removing its entries
 * one by one, a fifth of the thread's time while a full table arrived (bench/bgp-ingest).
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
                // a re-submitted prefix moves to the end, after what came before it
                if (pending.put(c.prefix(), c) != null) {
                    pending.remove(c.prefix());
                    pending.put(c.prefix(), c);
                }
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
            Runnable task;
            LinkedHashMap<Cidr, FibChange> taken;
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
                // a task waits for everything submitted before it: all of it is taken here
                task = tasks.poll();
                taken = pending;
                pending = new LinkedHashMap<>();
            }
            if (IngestTrace.ON) {
                IngestTrace.record(IngestTrace.Event.FIB_TAKE, 0, taken.size());
            }
            for (FibChange c : taken.values()) {
                batch.add(c);
                if (batch.size() == MAX_BATCH) {
                    apply(batch);
                }
            }
            apply(batch);
            if (task != null) {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.warn("fib: a task after the pending changes failed: {}", e.toString());
                }
            }
        }
    }

    /** Applies and empties {@code batch}, whose prefixes are distinct (they come from one map). */
    private void apply(List<FibChange> batch) {
        if (batch.isEmpty()) {
            return;
        }
        try {
            if (IngestTrace.ON) {
                IngestTrace.record(IngestTrace.Event.FIB_BATCH_OUT, 0, batch.size());
            }
            fib.applyDistinct(batch);
            if (IngestTrace.ON) {
                IngestTrace.record(IngestTrace.Event.FIB_BATCH_BACK, 0, batch.size());
            }
        } catch (RuntimeException e) {
            // KernelFib keeps what failed as desired and retries it; the pump itself goes on
            LOG.warn("fib: applying {} changes failed: {}", batch.size(), e.toString());
        }
        batch.clear();
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
