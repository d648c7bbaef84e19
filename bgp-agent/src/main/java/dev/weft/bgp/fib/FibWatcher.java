package dev.weft.bgp.fib;

import dev.weft.netlink.Rt;
import dev.weft.netlink.RtEvent;
import dev.weft.netlink.RtEvents;
import dev.weft.netns.Namespace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FIB's thread: reads link, address and route events of the namespace, hands each burst to
 * {@link KernelFib#onEvents} at once (a burst, not one call per event: installing 100,000 routes
 * echoes 100,000 events), and resyncs when the timer is due.
 */
final class FibWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FibWatcher.class);
    /** Events read before the FIB looks at them; bounds the memory a burst takes. */
    private static final int BURST = 4096;
    /** How long a burst may keep coming before the FIB acts on it. */
    private static final Duration SETTLE = Duration.ofMillis(50);

    private final KernelFib fib;
    private final RtEvents events;
    private final Duration resyncEvery;
    private final Thread thread;
    private volatile boolean closed;

    private FibWatcher(KernelFib fib, RtEvents events, Duration resyncEvery) {
        this.fib = fib;
        this.events = events;
        this.resyncEvery = resyncEvery;
        this.thread = new Thread(this::run, "weft-fib-watch");
        thread.setDaemon(true);
    }

    static FibWatcher start(KernelFib fib, Namespace ns, Duration resyncEvery) {
        RtEvents ev = ns.subscribe(Rt.RTNLGRP_LINK, Rt.RTNLGRP_IPV4_IFADDR, Rt.RTNLGRP_IPV6_IFADDR,
                Rt.RTNLGRP_IPV4_ROUTE, Rt.RTNLGRP_IPV6_ROUTE)
                // the echoes of our own installs: KernelFib only acts on our routes' deletion
                .ignoringRouteAddsOf(KernelFib.BGP_PROTOCOL);
        FibWatcher w = new FibWatcher(fib, ev, resyncEvery);
        w.thread.start();
        return w;
    }

    private void run() {
        long nextResync = System.nanoTime() + resyncEvery.toNanos();
        List<RtEvent> burst = new ArrayList<>();
        while (!closed) {
            try {
                long wait = Math.max(1, Math.min(1000, (nextResync - System.nanoTime()) / 1_000_000));
                Optional<RtEvent> first = events.next(Duration.ofMillis(wait));
                if (first.isPresent()) {
                    burst.add(first.get());
                    Optional<RtEvent> more;
                    while (burst.size() < BURST && (more = events.next(SETTLE)).isPresent()) {
                        burst.add(more.get());
                    }
                    fib.onEvents(burst);
                    burst.clear();
                }
                if (System.nanoTime() - nextResync >= 0) {
                    fib.resync();
                    nextResync = System.nanoTime() + resyncEvery.toNanos();
                }
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                // A failed netlink call or resync must not end the watch: log, pause, go on.
                LOG.warn("fib watcher: {}", e.toString());
                burst.clear();
                sleepQuietly();
            }
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        events.close();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
