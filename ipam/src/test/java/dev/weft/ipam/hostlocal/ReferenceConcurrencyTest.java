package dev.weft.ipam.hostlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.lock.Flock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weft threads and reference processes allocating from one nearly-full store at the same time.
 * The lock is what keeps each one's duplicate check, round-robin state and release consistent
 * with the others'; the final store must agree exactly with what every caller was told.
 */
class ReferenceConcurrencyTest {
    @TempDir
    Path dataDir;

    private static final int WORKERS_EACH = 4;
    private static final int ADDS_PER_WORKER = 8; // 64 of 66 addresses

    /** 10.9.0.10 - 10.9.0.75: 66 candidates (the gateway .1 is outside the range). */
    private JsonNode config() {
        return Configs.ranges("race", dataDir,
                "[[{\"subnet\":\"10.9.0.0/24\",\"rangeStart\":\"10.9.0.10\",\"rangeEnd\":\"10.9.0.75\"}]]");
    }

    @Test
    void sixtyFourConcurrentAddsNeverShareAnAddress() throws Exception {
        JsonNode cfg = config();
        Map<String, String> told = new ConcurrentHashMap<>(); // containerId -> address
        runWorkers(cfg, told, (worker, kind) -> {
            for (int i = 0; i < ADDS_PER_WORKER; i++) {
                add(cfg, kind, kind + worker + "-" + i, told);
            }
        });
        assertEquals(2 * WORKERS_EACH * ADDS_PER_WORKER, told.size());
        assertStoreMatches(told);
    }

    @Test
    void concurrentAddsAndDelsStayConsistent() throws Exception {
        JsonNode cfg = config();
        Map<String, String> told = new ConcurrentHashMap<>();
        HostLocalAllocator ours = new HostLocalAllocator(l -> { });
        runWorkers(cfg, told, (worker, kind) -> {
            // hold at most ADDS_PER_WORKER at a time, so 8 workers never need more than 64 of 66
            List<String> mine = new ArrayList<>();
            for (int i = 0; i < 3 * ADDS_PER_WORKER; i++) {
                if (mine.size() == ADDS_PER_WORKER) {
                    String id = mine.remove(0);
                    if (kind.equals("ref")) {
                        ReferenceHostLocal.del(cfg, id);
                    } else {
                        ours.release(Configs.request(cfg, id));
                    }
                    told.remove(id);
                }
                String id = kind + worker + "-" + i;
                add(cfg, kind, id, told);
                mine.add(id);
            }
        });
        assertEquals(2 * WORKERS_EACH * ADDS_PER_WORKER, told.size());
        assertStoreMatches(told);
    }

    @Test
    void ourLockHoldsOffTheReference() throws Exception {
        JsonNode cfg = config();
        HostLocalStore store = HostLocalStore.open(dataDir, "race", l -> { });
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<List<String>> theirs;
            try (Flock held = store.lock()) {
                assertTrue(held.path().endsWith("race/lock"));
                theirs = pool.submit(() -> ReferenceHostLocal.add(cfg, "blocked"));
                Thread.sleep(700);
                assertFalse(theirs.isDone(), "reference ADD must wait for our flock");
                assertEquals(Map.of(), StoreTree.reservations(store.dir()));
            }
            assertEquals(List.of("10.9.0.10/24"), theirs.get(10, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    private interface Worker {
        void run(int worker, String kind) throws Exception;
    }

    private void runWorkers(JsonNode cfg, Map<String, String> told, Worker body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2 * WORKERS_EACH);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        try {
            for (int w = 0; w < WORKERS_EACH; w++) {
                for (String kind : List.of("ref", "weft")) {
                    int worker = w;
                    done.add(pool.submit((Callable<Void>) () -> {
                        go.await();
                        body.run(worker, kind);
                        return null;
                    }));
                }
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static final HostLocalAllocator OURS = new HostLocalAllocator(l -> { });

    private static void add(JsonNode cfg, String kind, String id, Map<String, String> told) throws Exception {
        String address = kind.equals("ref")
                ? ReferenceHostLocal.add(cfg, id).get(0)
                : OURS.allocate(Configs.request(cfg, id)).get(0).address().toString();
        String prev = told.put(id, address.substring(0, address.indexOf('/')));
        assertEquals(null, prev);
    }

    /** One file per address told, holding exactly the container it was told to; nothing else. */
    private void assertStoreMatches(Map<String, String> told) throws Exception {
        Map<String, String> files = StoreTree.reservations(dataDir.resolve("race"));
        Map<String, String> expected = new HashMap<>();
        told.forEach((id, ip) -> expected.put(ip, id + "\r\neth0"));
        assertEquals(told.size(), new HashSet<>(told.values()).size(), "an address was handed out twice");
        assertEquals(expected, files);
        Set<String> contents = new HashSet<>(files.values());
        assertEquals(files.size(), contents.size(), "every file's content is unique");
        assertTrue(Files.exists(dataDir.resolve("race/last_reserved_ip.0")));
    }
}
