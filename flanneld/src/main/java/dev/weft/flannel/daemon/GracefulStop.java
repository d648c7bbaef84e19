package dev.weft.flannel.daemon;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one stop of a weftd, however it is asked for: SIGTERM (the shutdown hook) or {@code weftctl
 * shutdown} (POST /shutdown on the local status socket, kubelet's preStop). Both release the same
 * latch, so the daemon's main thread runs the same steps; a request also says how the BGP sessions
 * end and gets the report of what was done. The first request's mode holds: a second request
 * while one runs waits for the same stop and gets the same report.
 */
final class GracefulStop {
    /** How the node's routes are left with its peers. */
    enum Mode {
        /** A restart (rolling update): graceful restart, the peers keep this node's routes as stale. */
        RESTART,
        /** The node leaves for good: Cease/administrative shutdown, the peers drop its routes at once. */
        WITHDRAW
    }

    private final CountDownLatch latch = new CountDownLatch(1);
    private final AtomicReference<Mode> requested = new AtomicReference<>();
    private final CompletableFuture<String> report = new CompletableFuture<>();

    /** Released by any stop; the main thread waits on it. */
    CountDownLatch latch() {
        return latch;
    }

    /** SIGTERM, or the daemon stopping by itself: a restart, with no one to report to. */
    void signal() {
        requested.compareAndSet(null, Mode.RESTART);
        latch.countDown();
    }

    /** weftctl shutdown: starts the stop, or joins the one under way; completes with the report. */
    CompletableFuture<String> request(Mode mode) {
        requested.compareAndSet(null, mode);
        latch.countDown();
        return report;
    }

    Mode mode() {
        Mode m = requested.get();
        return m == null ? Mode.RESTART : m;
    }

    /** The stop is done: every waiting request gets {@code line}. */
    void finished(String line) {
        report.complete(line);
    }
}
