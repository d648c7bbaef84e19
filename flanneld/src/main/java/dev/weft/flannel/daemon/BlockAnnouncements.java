package dev.weft.flannel.daemon;

import dev.weft.flannel.backend.BlockAnnouncer;
import dev.weft.ipam.blocks.Announcement;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries the allocator's announcement changes to the backend on a thread of its own: the
 * allocator calls under its lock, and a pod ADD must not wait for BGP. Changes that arrive while
 * one is being applied collapse into the latest (each is the complete set); a failed apply is
 * tried again a second later with whatever is latest then.
 */
final class BlockAnnouncements implements Consumer<Announcement>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlockAnnouncements.class);
    private static final long RETRY_MS = 1000;

    private final BlockAnnouncer backend;
    private final AtomicReference<Announcement> latest = new AtomicReference<>();
    private final ScheduledThreadPoolExecutor thread = dev.weft.flannel.subnet.SingleThread.named("weftd-announce");

    BlockAnnouncements(BlockAnnouncer backend) {
        this.backend = backend;
    }

    @Override
    public void accept(Announcement a) {
        if (latest.getAndSet(a) == null) {
            submit(0);
        }
    }

    private void submit(long delayMs) {
        try {
            thread.schedule(this::apply, delayMs, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // closed
        }
    }

    private void apply() {
        Announcement a = latest.getAndSet(null);
        if (a == null) {
            return;
        }
        try {
            backend.announce(a);
        } catch (RuntimeException e) {
            LOG.warn("announcing blocks {} and borrowed {} failed ({}); retrying in {} ms", a.blocks(), a.borrowed(),
                    e.getMessage(), RETRY_MS);
            if (latest.compareAndSet(null, a)) {
                submit(RETRY_MS);
            }
        }
    }

    @Override
    public void close() {
        dev.weft.flannel.subnet.SingleThread.stop(thread);
    }
}
