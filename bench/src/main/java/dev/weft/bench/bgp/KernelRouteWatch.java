package dev.weft.bench.bgp;

import dev.weft.libc.Linux;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtEvent;
import dev.weft.netlink.RtEvents;
import dev.weft.netns.Namespace;
import dev.weft.net.Cidr;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Follows the IPv4 routes of one protocol in a namespace's main table by their rtnetlink events
 * and tells when the first and the last of the expected number arrived.
 *
 * <p>Why events and not a dump every few ms: with 100,000 routes every dump walks and copies the
 * whole table, and at a 10 ms period the counting kept both cores of the bench machine busy
 * besides the speakers it measures (the target and the announcers compete with it for CPU, and
 * the multi-threaded target loses most). An event costs the kernel one small message when the
 * route changes, and the count is the set of prefixes seen added and not deleted since. A lost
 * event (the socket's queue overflowed) is recovered by one filtered dump; the final count is
 * always confirmed by a dump, so the result never rests on the events alone.
 */
final class KernelRouteWatch implements AutoCloseable {
    /** Room for a 100,000-route burst that the bench thread reads late (each event ~1 KB of skb). */
    private static final int BUFFER_BYTES = 256 << 20;

    private final Namespace ns;
    private final int protocol;
    private final RtEvents events;
    private final Set<Cidr> held = new HashSet<>();
    private int overflows;

    /** Subscribes before the routes come, so that none is missed. */
    KernelRouteWatch(Namespace ns, int protocol) {
        this.ns = ns;
        this.protocol = protocol;
        RtEvents e = ns.subscribe(Rt.RTNLGRP_IPV4_ROUTE);
        try {
            e.withBufferSize(BUFFER_BYTES);
            this.events = e;
            resync();
        } catch (RuntimeException ex) {
            e.close();
            throw ex;
        }
    }

    /**
     * Waits until exactly {@code expected} routes are held and returns when the first and when the
     * last arrived. Fails after {@code timeout}, or after {@code upTimeout} if none has come, with
     * {@code why} appended to the message.
     */
    Instant[] await(int expected, Duration timeout, Duration upTimeout, Supplier<String> why) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long upDeadline = System.nanoTime() + upTimeout.toNanos();
        Instant first = held.isEmpty() ? null : Instant.now();
        while (true) {
            Optional<RtEvent> e = events.next(Duration.ofMillis(50));
            if (e.isPresent()) {
                apply(e.get());
            }
            if (first == null && !held.isEmpty()) {
                first = Instant.now();
            }
            if (held.size() >= expected) {
                Instant last = Instant.now();
                int dumped = resync();
                if (dumped > expected) {
                    throw new IllegalStateException("target holds " + dumped + " routes, expected " + expected);
                }
                if (dumped == expected) {
                    return new Instant[] {first, last};
                }
            }
            long t = System.nanoTime();
            if (t > deadline || (held.isEmpty() && t > upDeadline)) {
                throw new IllegalStateException("target holds " + held.size() + " of " + expected + " routes after "
                        + (held.isEmpty() ? upTimeout : timeout) + "; " + why.get());
            }
        }
    }

    /** How often the event queue overflowed and a dump had to stand in (0 in a clean run). */
    int overflows() {
        return overflows;
    }

    private void apply(RtEvent e) {
        if (e instanceof RtEvent.RouteChange c && ours(c.route())) {
            if (c.removed()) {
                held.remove(c.route().dst());
            } else {
                held.add(c.route().dst());
            }
        } else if (e instanceof RtEvent.Overflow) {
            overflows++;
            resync();
        }
    }

    private boolean ours(Route r) {
        return r.protocol() == protocol && r.table() == Rt.RT_TABLE_MAIN && r.dst().isV4();
    }

    /** Replaces the set with a dump of the table; returns its size. */
    private int resync() {
        held.clear();
        for (Route r : ns.netlink().routes(Linux.AF_INET, Rt.RT_TABLE_MAIN, protocol)) {
            held.add(r.dst());
        }
        return held.size();
    }

    @Override
    public void close() {
        events.close();
    }
}
