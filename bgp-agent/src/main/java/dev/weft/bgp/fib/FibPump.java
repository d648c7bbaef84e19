package dev.weft.bgp.fib;

import dev.weft.bgp.trace.IngestTrace;
import dev.weft.net.Cidr;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands best-path changes to the kernel on a thread of their own ("weft-fib"), so the RIB thread
 * goes on deciding while the kernel installs: a full table's route inserts are system time spent
 * in the netlink send, and with one thread for both the two only ever took turns (bench/bgp-ingest).
 *
 * <p>Changes wait in a list in the order they were submitted; the FIB thread takes the whole
 * backlog at once and applies it in batches of {@value #MAX_BATCH}, each coalesced by prefix in
 * {@link KernelFib#applyInOrder} (only a prefix's latest change in a batch reaches the kernel, so a
 * flap of 10,000 updates costs a route write per batch). The kernel sees a prefix's changes in the
 * order they were submitted. A list, not a map by prefix: the map's entry per route and its
 * iteration were a fifth of the FIB thread's samples and a tenth of the RIB thread's during a full
 * table (bench/bgp-ingest profile). So that a flapping prefix cannot grow the list without bound
 * while the kernel is slow, it is cut to each prefix's latest change on reaching the larger of
 * {@value #MIN_COMPACT} and twice what the last cut kept, which bounds it (plus one submit).
 * {@link #afterPending} runs a task once every change submitted before it is in the kernel (the
 * initial-sync sweep must never delete an adopted route whose re-announcement is still queued).
 */
public final class FibPump implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FibPump.class);
    /** Changes applied per kernel batch; bounds the batch's own memory. */
    private static final int MAX_BATCH = 8192;
    /** The least backlog that is compacted: far above a full table's 100,000 (never compacted). */
    private static final int MIN_COMPACT = 1 << 18;

    private final KernelFib fib;
    private final Thread thread;
    private final Object lock = new Object();
    // guarded by lock
    private ArrayList<FibChange> pending = new ArrayList<>();
    private int compactAt = MIN_COMPACT;
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
            pending.addAll(changes);
            if (pending.size() >= compactAt) {
                compact();
            }
            lock.notifyAll();
        }
    }

    /** Keeps only each prefix's latest change, in order; under lock. */
    private void compact() {
        Set<Cidr> later = new HashSet<>();
        ArrayList<FibChange> kept = new ArrayList<>();
        for (int i = pending.size() - 1; i >= 0; i--) {
            FibChange c = pending.get(i);
            if (later.add(c.prefix())) {
                kept.add(c);
            }
        }
        Collections.reverse(kept);
        pending = kept;
        compactAt = Math.max(MIN_COMPACT, 2 * kept.size());
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
        while (true) {
            Runnable task;
            ArrayList<FibChange> taken;
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
                pending = new ArrayList<>();
                compactAt = MIN_COMPACT;
            }
            if (IngestTrace.ON) {
                IngestTrace.record(IngestTrace.Event.FIB_TAKE, 0, taken.size());
            }
            for (int from = 0; from < taken.size(); from += MAX_BATCH) {
                apply(taken.subList(from, Math.min(taken.size(), from + MAX_BATCH)));
            }
            if (task != null) {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.warn("fib: a task after the pending changes failed: {}", e.toString());
                }
            }
        }
    }

    /** Applies {@code batch} (submission order) in one kernel batch. */
    private void apply(List<FibChange> batch) {
        try {
            if (IngestTrace.ON) {
                IngestTrace.record(IngestTrace.Event.FIB_BATCH_OUT, 0, batch.size());
            }
            fib.applyInOrder(batch);
            if (IngestTrace.ON) {
                IngestTrace.record(IngestTrace.Event.FIB_BATCH_BACK, 0, batch.size());
            }
        } catch (RuntimeException e) {
            // KernelFib keeps what failed as desired and retries it; the pump itself goes on
            LOG.warn("fib: applying {} changes failed: {}", batch.size(), e.toString());
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
