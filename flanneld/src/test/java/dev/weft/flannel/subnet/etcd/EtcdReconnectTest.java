package dev.weft.flannel.subnet.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvEvent;
import dev.weft.flannel.subnet.kv.KvException;
import dev.weft.flannel.subnet.kv.KvWatch;
import dev.weft.flannel.subnet.kv.KvWatchListener;
import dev.weft.testkit.EtcdServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * etcd killed (SIGKILL) and restarted on the same port and data dir after a long outage: weftd's
 * store writes, runs a transaction, grants a lease and hears its watch again within a few seconds
 * of etcd answering, and while etcd was down its client tried to connect about once a second,
 * never more than 2.5 s apart.
 *
 * <p>The outage is 9 s, not the 30 s the problem was found with: gRPC's wait between attempts
 * grows with the number of failed ones (1, 1.6, 2.6, 4.1, 6.6, 10.5 s... each ±20 %), so by 9 s
 * it already exceeds the bound here, and etcd is restarted right after an attempt the test saw, the
 * worst moment, rather than at a random one that may fall just before an attempt.
 * {@code -Dweft.reconnect.outage=PT30S} runs the long one.
 */
class EtcdReconnectTest {
    private static final Duration OUTAGE = Duration.parse(System.getProperty("weft.reconnect.outage", "PT9S"));
    /** From etcd answering to weftd's first write going through. */
    private static final long BOUND_MS = 3_000;

    @Test
    void afterALongOutageWeftdWorksAgainWithinSecondsOfEtcdAndNeverHammeredIt() throws Exception {
        try (EtcdServer etcd = EtcdServer.launch();
             EtcdKvStore store = EtcdKvStore.connect(EtcdOptions.of(etcd.endpoint()).withRequestTimeout(Duration.ofSeconds(2)))) {
            KvEntry before = store.put("/reconnect/before", "1", null); // connected
            Watched lost = new Watched();
            try (KvWatch w = store.watch("/reconnect/", true, before.modRevision() + 1, lost)) {
                KvEntry ping = store.put("/reconnect/ping", "0", null);
                assertEquals("/reconnect/ping", lost.next(10_000).entry().key(), "the watch is established");
                etcd.kill();
                long down = System.nanoTime();
                assertTrue(lost.disconnected(10_000), "the watch hears that etcd is gone");

                List<Long> attempts;
                Watched resumed = new Watched();
                KvWatch rewatch;
                try (ConnectAttempts door = ConnectAttempts.on(etcd.clientPort())) {
                    // as ResilientWatch does after a loss: a new watch from the next revision, opened in the outage
                    rewatch = store.watch("/reconnect/", true, ping.modRevision() + 1, resumed);
                    // (gRPC's own wait can reach 120 s: waited for, so that a run without the fix measures it)
                    assertTrue(door.awaitAttemptAfter(down + OUTAGE.toNanos(), OUTAGE.toMillis() + 130_000),
                            "a connection attempt after " + OUTAGE + " of outage; seen: " + sinceKill(door.times(), down));
                    attempts = door.times();
                }
                etcd.start(); // returns once etcd answers etcdctl
                long up = System.nanoTime();
                long outageMs = (up - down) / 1_000_000;

                KvEntry after = null;
                KvException last = null;
                while (after == null && System.nanoTime() - up < 60_000_000_000L) {
                    try {
                        after = store.put("/reconnect/after", "2", Duration.ofSeconds(60)); // a lease grant and a put
                    } catch (KvException e) {
                        last = e;
                    }
                }
                long writeMs = (System.nanoTime() - up) / 1_000_000;
                assertTrue(after != null, "no write within 60 s of etcd answering: " + last);
                Optional<KvEntry> created = store.createIfAbsent("/reconnect/txn", "3", null);
                long txnMs = (System.nanoTime() - up) / 1_000_000;
                KvEvent heard = resumed.next(10_000);
                long watchMs = (System.nanoTime() - up) / 1_000_000;
                List<Long> tried = sinceKill(attempts, down);
                double perSecond = 1000.0 * (tried.size() - 1) / Math.max(1, tried.get(tried.size() - 1) - tried.get(0));
                System.out.printf("etcd reconnect: SIGKILL outage %d ms; client's connection attempts (ms after the kill): %s"
                                + " (%.2f a second); after etcd answered: put with lease %d ms, txn %d ms, watch event %d ms%n",
                        outageMs, tried, perSecond, writeMs, txnMs, watchMs);
                rewatch.close();

                for (int i = 1; i < tried.size(); i++) {
                    long gap = tried.get(i) - tried.get(i - 1);
                    assertTrue(gap <= 2_500, "attempts " + gap + " ms apart, backing off: " + tried);
                }
                assertTrue(perSecond <= 1.5, perSecond + " attempts a second, hammering: " + tried);
                assertTrue(writeMs <= BOUND_MS, "first write " + writeMs + " ms after etcd answered (bound " + BOUND_MS + ")");
                assertTrue(created.isPresent(), "the transaction creates the key");
                assertTrue(txnMs <= BOUND_MS, "txn done " + txnMs + " ms after etcd answered");
                assertEquals("/reconnect/after", heard.entry().key(),
                        "the watch opened during the outage resumes at the next revision: " + heard);
                assertEquals(after.modRevision(), heard.entry().modRevision());
                assertTrue(watchMs <= BOUND_MS, "watch event " + watchMs + " ms after etcd answered");
                assertEquals(Optional.of("2"), etcd.get("/reconnect/after"));
            }
        }
    }

    /** Attempt times in ms after {@code from}. */
    private static List<Long> sinceKill(List<Long> times, long from) {
        List<Long> out = new ArrayList<>();
        for (long t : times) {
            out.add((t - from) / 1_000_000);
        }
        return out;
    }

    /** A watch listener that queues what it hears. */
    private static final class Watched implements KvWatchListener {
        private final LinkedBlockingQueue<Object> heard = new LinkedBlockingQueue<>();

        @Override
        public void onEvents(List<KvEvent> events, long revision) {
            heard.addAll(events);
        }

        @Override
        public void onCompacted(long compactRevision) {
            heard.add("compacted at " + compactRevision);
        }

        @Override
        public void onDisconnected(Throwable cause) {
            heard.add(cause);
        }

        boolean disconnected(long timeoutMs) throws InterruptedException {
            return heard.poll(timeoutMs, TimeUnit.MILLISECONDS) instanceof Throwable;
        }

        KvEvent next(long timeoutMs) throws InterruptedException {
            Object o = heard.poll(timeoutMs, TimeUnit.MILLISECONDS);
            if (!(o instanceof KvEvent e)) {
                throw new AssertionError("expected a watch event within " + timeoutMs + " ms, got " + o);
            }
            return e;
        }
    }
}
