package dev.weft.flannel.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.blockroutes.BlockRoutes;
import dev.weft.flannel.blockroutes.BlockWatcher;
import dev.weft.flannel.subnet.file.FileKvStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readiness on block IPAM follows the block watch as it follows the lease watch: a block watch
 * stuck in its work (here: the route delivery it makes waits) for longer than the 60 s bound turns
 * the pipeline unhealthy, and healthy again once that work completes. The clock of one pipeline
 * runs 61 s ahead, so nothing waits a minute.
 */
class LeasePipelineTest {
    @Test
    void aStuckBlockWatchMakesThePipelineUnhealthyAfterItsBoundAndHealthyOnceItMovesOn(@TempDir Path dir) throws Exception {
        CountDownLatch delivering = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BlockRoutes routes = new BlockRoutes("n1", e -> {
            delivering.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        });
        routes.nodes(Map.of());
        try (FileKvStore store = FileKvStore.open(dir.resolve("store.json"));
             BlockWatcher w = routes.watchBlocks(store, "/wt/ipam/v2")) {
            assertTrue(delivering.await(10, TimeUnit.SECONDS), "the block watch listed and delivers");
            LeasePipeline now = new LeasePipeline(Clock.systemUTC());
            now.alsoWatch(w::healthy);
            LeasePipeline later = new LeasePipeline(Clock.offset(Clock.systemUTC(), Duration.ofSeconds(61)));
            later.alsoWatch(w::healthy);
            assertTrue(now.healthy(), "stuck for less than the bound");
            assertFalse(later.healthy(), "stuck for longer than the bound");
            release.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!later.healthy() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(later.healthy(), "healthy again once the delivery completed");
        }
    }
}
