package dev.weft.ipam.blocks;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Group commit for one node's requests: callers that arrive while a batch is being written wait,
 * and the first of them then writes all that queued up meanwhile as the next batch. Nothing waits
 * for company: a lone caller runs its batch of one at once, so the batching costs no latency and
 * grows exactly with the concurrency (each etcd transaction is an fsync on the etcd side; a batch
 * shares it).
 *
 * <p>Waiting is not interruptible: a caller whose request is in a batch being written must take
 * its outcome (an address already written to etcd), so an interrupt is kept for after.
 *
 * @param <Q> a request
 */
final class CommitQueue<Q> {
    /** One caller's request and, once its batch is written, the outcome. Guarded by the queue. */
    private static final class Slot<Q> {
        final Q request;
        Object outcome;
        boolean done;
        boolean lead;

        Slot(Q request) {
            this.request = request;
        }
    }

    private final int maxBatch;
    /** Writes a batch; returns one outcome per request, in order. */
    private final Function<List<Q>, List<Object>> writer;
    private final ArrayDeque<Slot<Q>> waiting = new ArrayDeque<>();
    /** True while some caller writes a batch (the queue's head then waits for its turn). */
    private boolean leading;

    CommitQueue(int maxBatch, Function<List<Q>, List<Object>> writer) {
        this.maxBatch = maxBatch;
        this.writer = writer;
    }

    /**
     * Queues {@code request} and returns its outcome, as the writer gave it; a writer that threw
     * gives the throwable as every outcome of its batch.
     */
    Object submit(Q request) {
        Slot<Q> me = new Slot<>(request);
        boolean interrupted = false;
        synchronized (this) {
            waiting.add(me);
            if (!leading) {
                leading = true; // the queue was empty: this caller writes at once
                me.lead = true;
            }
            while (!me.done && !me.lead) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (!me.done) {
            write(); // the leader is the queue's head, so its own request is in this batch
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            return me.outcome;
        }
    }

    private void write() {
        List<Slot<Q>> batch = new ArrayList<>();
        synchronized (this) {
            while (!waiting.isEmpty() && batch.size() < maxBatch) {
                batch.add(waiting.poll());
            }
        }
        List<Q> requests = new ArrayList<>(batch.size());
        for (Slot<Q> s : batch) {
            requests.add(s.request);
        }
        List<Object> outcomes = null;
        Throwable failed = null;
        try {
            outcomes = writer.apply(requests);
        } catch (RuntimeException | Error e) {
            failed = e;
        }
        synchronized (this) {
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).outcome = failed != null ? failed : outcomes.get(i);
                batch.get(i).done = true;
            }
            Slot<Q> next = waiting.peek();
            if (next == null) {
                leading = false;
            } else {
                next.lead = true; // it came while this batch was written: it writes the next one
            }
            notifyAll();
        }
    }
}
