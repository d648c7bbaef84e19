package dev.weft.flannel.subnet;

import dev.weft.flannel.subnet.file.FileKvStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** A watched prefix decodes each key once per write: a listing all of them, an event only the keys it names. */
class DecodedPrefixTest {
    @Test
    void anEventDecodesOnlyTheKeysItNames(@TempDir Path dir) throws Exception {
        try (FileKvStore store = FileKvStore.open(dir.resolve("store.json"))) {
            for (int i = 0; i < 5; i++) {
                store.put("/p/k" + i, "v" + i, Duration.ofHours(1));
            }
            List<String> decoded = new ArrayList<>();
            LinkedBlockingQueue<List<String>> changes = new LinkedBlockingQueue<>();
            ScheduledThreadPoolExecutor ex = SingleThread.named("test-decoded-prefix");
            DecodedPrefix<String>[] p = new DecodedPrefix[1];
            p[0] = new DecodedPrefix<>(store, "/p/", e -> {
                decoded.add(e.key());
                return e.value().startsWith("skip") ? null : e.value();
            }, () -> changes.add(List.copyOf(p[0].values())));
            try (ResilientWatch w = new ResilientWatch(store, "/p/", true, ex, p[0], new Liveness())) {
                w.start(0);
                assertEquals(List.of("v0", "v1", "v2", "v3", "v4"), changes.poll(10, TimeUnit.SECONDS));
                assertEquals(5, decoded.size());
                store.put("/p/k2", "w2", Duration.ofHours(1));
                assertEquals(List.of("v0", "v1", "w2", "v3", "v4"), changes.poll(10, TimeUnit.SECONDS));
                assertEquals(List.of("/p/k2"), decoded.subList(5, decoded.size()), "only the written key decoded again");
                store.put("/p/k9", "skip me", Duration.ofHours(1)); // not kept, not kept before: no change
                store.delete("/p/k0");
                List<String> next = changes.poll(10, TimeUnit.SECONDS);
                assertNotNull(next);
                assertEquals(List.of("v1", "w2", "v3", "v4"), next);
                assertEquals(List.of("/p/k2", "/p/k9"), decoded.subList(5, decoded.size()));
            } finally {
                SingleThread.stop(ex);
            }
        }
    }

    /** With keepLastGood, a write that does not decode leaves the last good value; only a DELETE drops a key. */
    @Test
    void aCorruptWriteKeepsTheLastGoodValueWhenAsked(@TempDir Path dir) throws Exception {
        try (FileKvStore store = FileKvStore.open(dir.resolve("store.json"))) {
            store.put("/p/a", "good-a", Duration.ofHours(1));
            store.put("/p/b", "good-b", Duration.ofHours(1));
            LinkedBlockingQueue<List<String>> changes = new LinkedBlockingQueue<>();
            ScheduledThreadPoolExecutor ex = SingleThread.named("test-decoded-prefix-keep");
            DecodedPrefix<String>[] p = new DecodedPrefix[1];
            p[0] = new DecodedPrefix<>(store, "/p/", e -> e.value().startsWith("good") ? e.value() : null,
                    () -> changes.add(List.copyOf(p[0].values())), true);
            try (ResilientWatch w = new ResilientWatch(store, "/p/", true, ex, p[0], new Liveness())) {
                w.start(0);
                assertEquals(List.of("good-a", "good-b"), changes.poll(10, TimeUnit.SECONDS));
                store.put("/p/a", "garbage", Duration.ofHours(1)); // kept as it was: no change reported
                store.put("/p/b", "good-b2", Duration.ofHours(1));
                assertEquals(List.of("good-a", "good-b2"), changes.poll(10, TimeUnit.SECONDS));
                ex.submit(p[0]::resync).get(10, TimeUnit.SECONDS); // a listing (on the watch's executor, as the watch runs it)
                assertEquals(List.of("good-a", "good-b2"), changes.poll(10, TimeUnit.SECONDS), "a listing too keeps it");
                store.delete("/p/a");
                assertEquals(List.of("good-b2"), changes.poll(10, TimeUnit.SECONDS));
            } finally {
                SingleThread.stop(ex);
            }
        }
    }
}
