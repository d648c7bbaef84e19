package dev.weft.flannel.backend.vxlan;

import dev.weft.flannel.backend.BackendContext;
import dev.weft.netlink.Link;
import dev.weft.netlink.RtEvent;
import dev.weft.netlink.RtEvents;
import dev.weft.netlink.Rt;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches link events for the backend's devices and has a deleted one recreated (and its peers
 * reprogrammed) at once; a failed attempt is retried after 1 s, doubling up to 30 s, as flannel's
 * watcher does. Lost events (socket overflow) and a slow periodic check are covered by looking the
 * devices up by name.
 */
final class LinkWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LinkWatcher.class);
    private static final long MIN_BACKOFF_MS = 1_000;
    private static final long MAX_BACKOFF_MS = 30_000;
    private static final long CHECK_EVERY_MS = 5_000;

    private final BackendContext ctx;
    private final List<String> names;
    private final ToIntFunction<String> currentIndex;
    private final Predicate<String> present;
    private final Consumer<String> recreate;
    private final Map<String, Long> dueAt = new HashMap<>();
    private final Map<String, Long> backoff = new HashMap<>();
    private volatile boolean running;
    private RtEvents events;
    private Thread thread;

    /**
     * @param names        the devices to watch
     * @param currentIndex a device's index as the backend knows it
     * @param present      whether a device exists (looked up by name)
     * @param recreate     recreates a device and reprograms its peers; throws when that failed
     */
    LinkWatcher(BackendContext ctx, List<String> names, ToIntFunction<String> currentIndex, Predicate<String> present,
                Consumer<String> recreate) {
        this.ctx = ctx;
        this.names = List.copyOf(names);
        this.currentIndex = currentIndex;
        this.present = present;
        this.recreate = recreate;
    }

    synchronized void start() {
        if (thread != null) {
            return;
        }
        events = ctx.subscribe(Rt.RTNLGRP_LINK);
        running = true;
        thread = new Thread(this::loop, "weft-vxlan-link-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        long nextCheck = System.currentTimeMillis() + CHECK_EVERY_MS;
        while (running) {
            try {
                long now = System.currentTimeMillis();
                // sleeps until the next check or retry: close() wakes it, so no idle polling
                long wait = Math.max(1, nextCheck - now);
                for (long due : dueAt.values()) {
                    wait = Math.min(wait, Math.max(1, due - now));
                }
                Optional<RtEvent> ev = events.next(Duration.ofMillis(wait));
                if (!running) {
                    break;
                }
                if (ev.isPresent()) {
                    onEvent(ev.get());
                }
                now = System.currentTimeMillis();
                if (now >= nextCheck) {
                    nextCheck = now + CHECK_EVERY_MS;
                    checkAll();
                }
                recreateDue(now);
            } catch (RuntimeException e) {
                if (!running) {
                    break;
                }
                LOG.error("link watcher: {}", e.toString());
                sleepQuietly(MIN_BACKOFF_MS);
            }
        }
    }

    private void onEvent(RtEvent ev) {
        if (ev instanceof RtEvent.LinkChange) {
            RtEvent.LinkChange c = (RtEvent.LinkChange) ev;
            Link l = c.link();
            if (c.removed() && names.contains(l.name()) && l.index() == currentIndex.applyAsInt(l.name())) {
                LOG.warn("device {} (#{}) was deleted; recreating it", l.name(), l.index());
                dueAt.putIfAbsent(l.name(), 0L);
            }
        } else if (ev instanceof RtEvent.Overflow) {
            LOG.warn("link events were lost (socket overflow); checking the devices");
            checkAll();
        }
    }

    private void checkAll() {
        for (String n : names) {
            if (!dueAt.containsKey(n) && !present.test(n)) {
                LOG.warn("device {} is missing; recreating it", n);
                dueAt.put(n, 0L);
            }
        }
    }

    private void recreateDue(long now) {
        for (String n : names) {
            Long due = dueAt.get(n);
            if (due == null || due > now || !running) {
                continue;
            }
            try {
                recreate.accept(n);
                dueAt.remove(n);
                backoff.remove(n);
                LOG.info("device {} recreated", n);
            } catch (RuntimeException e) {
                long b = Math.min(MAX_BACKOFF_MS, backoff.getOrDefault(n, MIN_BACKOFF_MS / 2) * 2);
                backoff.put(n, b);
                dueAt.put(n, now + b);
                LOG.error("recreating device {} failed (next try in {} ms): {}", n, b, e.toString());
            }
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the thread (woken at once) and closes the subscription. */
    @Override
    public synchronized void close() {
        if (thread == null) {
            return;
        }
        running = false;
        events.wakeUp();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        events.close();
        thread = null;
    }
}
