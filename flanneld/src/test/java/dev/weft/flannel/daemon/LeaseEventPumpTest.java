package dev.weft.flannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.subnet.LeaseWatcher;
import dev.weft.flannel.subnet.Liveness;
import dev.weft.flannel.subnet.SubnetManager;
import dev.weft.flannel.subnet.SubnetManagerOptions;
import dev.weft.flannel.subnet.file.FileKvStore;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The event pump and readiness: a failing or stuck lease pipeline shows on /readyz and /metrics. */
class LeaseEventPumpTest {
    /** Readiness looked at from just past the stall bound, so no test has to wait that long. */
    private static final Clock PAST_THE_BOUND = Clock.offset(Clock.systemUTC(), Liveness.DEFAULT_BOUND.plusSeconds(5));

    static Lease lease(int n) {
        return new Lease(Cidr.parse("10.5." + n + ".0/24"), null,
                LeaseAttrs.of(IpAddress.parse("192.168.1." + n), "host-gw", null), 0, n);
    }

    /** A backend that records what it is handed, and can be made to throw or to hang. */
    static final class ScriptedBackend implements Backend {
        final List<LeaseEvent> handled = new CopyOnWriteArrayList<>();
        volatile boolean failing;
        volatile CountDownLatch hang;

        @Override
        public String type() {
            return "host-gw";
        }

        @Override
        public LeaseAttrs prepare() {
            return leaseAttrs();
        }

        @Override
        public LeaseAttrs leaseAttrs() {
            return LeaseAttrs.of(IpAddress.parse("192.168.1.1"), "host-gw", null);
        }

        @Override
        public void start(Lease ownLease) {
        }

        @Override
        public void handle(LeaseEvent event) {
            CountDownLatch h = hang;
            if (h != null) {
                try {
                    h.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (failing) {
                throw new IllegalStateException("netlink said no");
            }
            handled.add(event);
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public void close() {
        }
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void until(BooleanSupplier c, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void aThrowingBackendIsRetriedWithTheWholeSetAndShowsOnReadyz() throws Exception {
        ScriptedBackend backend = new ScriptedBackend();
        List<Lease> view = List.of(lease(1), lease(2));
        LeasePipeline pipeline = new LeasePipeline(PAST_THE_BOUND);
        try (LeaseEventPump pump = new LeaseEventPump(backend);
             HealthServer hs = new HealthServer("127.0.0.1", 0, pipeline::healthy, pipeline::metricsText)) {
            pump.start(() -> view);
            pipeline.running(null, pump);
            backend.failing = true;
            pump.accept(new LeaseEvent.Added(lease(2)));
            until(() -> pump.failures() >= 1, "a failure");
            assertEquals(503, get(hs.port(), "/readyz").statusCode());
            assertTrue(get(hs.port(), "/metrics").body().contains("weft_lease_event_failures_total "), "metrics");
            assertTrue(pump.healthy(java.time.Instant.now()), "failing, but not for long yet");
            backend.failing = false;
            until(() -> !backend.handled.isEmpty(), "a delivery once the backend recovers");
            LeaseEvent.Snapshot s = (LeaseEvent.Snapshot) backend.handled.get(0);
            assertEquals(view, s.leases(), "the lost event comes back as part of the whole set");
            // the pump marks its progress just after the backend returns: wait for that, then ask /readyz
            until(pipeline::healthy, "ready again");
            assertEquals(200, get(hs.port(), "/readyz").statusCode());
            // only the delivery that went through is timed; the failed ones are counted above
            until(() -> pump.applySeconds().count() == 1, "the successful delivery timed");
            assertTrue(get(hs.port(), "/metrics").body().contains("weft_dataplane_apply_seconds_count 1\n"), "apply histogram");
        }
    }

    @Test
    void aFullQueueDropsEventsWithoutBlockingAndResyncsTheWholeSet() {
        ScriptedBackend backend = new ScriptedBackend();
        backend.hang = new CountDownLatch(1);
        List<Lease> view = List.of(lease(1), lease(2), lease(3));
        try (LeaseEventPump pump = new LeaseEventPump(backend)) {
            pump.start(() -> view);
            pump.accept(new LeaseEvent.Added(lease(1)));
            until(() -> !pump.healthy(java.time.Instant.now().plus(Liveness.DEFAULT_BOUND).plusSeconds(5)), "the backend to hang");
            for (int i = 0; i < LeaseEventPump.CAPACITY + 100; i++) {
                pump.accept(new LeaseEvent.Added(lease(2)));
            }
            assertEquals(100, pump.overflows(), "all beyond the capacity");
            backend.hang.countDown();
            until(() -> backend.handled.stream().anyMatch(e -> e instanceof LeaseEvent.Snapshot s && s.leases().equals(view)),
                    "a resync from the whole set");
            until(() -> pump.healthy(java.time.Instant.now().plus(Liveness.DEFAULT_BOUND).plusSeconds(5)), "healthy again");
        }
    }

    @Test
    void aStuckWatcherMakesReadyzFalse(@TempDir Path dir) throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        LeasePipeline pipeline = new LeasePipeline(PAST_THE_BOUND);
        try (KvStore store = FileKvStore.open(dir.resolve("subnets.json"))) {
            store.put("/coreos.com/network/config", "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}", null);
            SubnetManager sm = new SubnetManager(store, SubnetManagerOptions.defaults());
            sm.getNetworkConfig();
            List<LeaseEvent> seen = new CopyOnWriteArrayList<>();
            try (LeaseWatcher w = sm.watchLeases(() -> null, e -> {
                seen.add(e);
                if (e instanceof LeaseEvent.Added) {
                    try {
                        release.await();
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                    }
                }
            }); HealthServer hs = new HealthServer("127.0.0.1", 0, pipeline::healthy, pipeline::metricsText)) {
                pipeline.running(w, null);
                until(() -> !seen.isEmpty(), "the first snapshot");
                until(() -> w.healthy(PAST_THE_BOUND.instant()), "the watcher to idle");
                assertEquals(200, get(hs.port(), "/readyz").statusCode());
                store.put("/coreos.com/network/subnets/10.5.7.0-24", lease(7).attrs().toJson(), Duration.ofHours(1));
                until(() -> seen.size() == 2, "the Added the listener hangs in");
                assertEquals(503, get(hs.port(), "/readyz").statusCode());
                assertFalse(w.healthy(PAST_THE_BOUND.instant()));
                release.countDown();
                until(() -> w.healthy(PAST_THE_BOUND.instant()), "the watcher to move again");
                assertEquals(200, get(hs.port(), "/readyz").statusCode());
            }
        }
    }
}
