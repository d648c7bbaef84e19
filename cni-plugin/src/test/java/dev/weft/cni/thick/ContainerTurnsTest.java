package dev.weft.cni.thick;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One invocation per container at a time, in arrival order, with the wait bounded in time and in waiters. */
class ContainerTurnsTest {
    private static final long LONG = TimeUnit.SECONDS.toNanos(30);

    @Test
    void aSecondInvocationOfTheContainerRunsAfterTheFirstOthersAtOnce() throws Exception {
        ContainerTurns turns = new ContainerTurns(2);
        List<String> order = new CopyOnWriteArrayList<>();
        ContainerTurns.Held add = turns.await("c1", LONG);
        assertNotNull(add);
        assertTrue(turns.busy("c1"), "c1 runs (weftd stopping answers its DEL code 11, not a decline)");
        assertTrue(!turns.busy("c2"));
        CompletableFuture<Void> del = CompletableFuture.runAsync(() -> {
            try (ContainerTurns.Held t = turns.await("c1", LONG)) {
                order.add("DEL");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        awaitWaiting(turns, 1);
        try (ContainerTurns.Held other = turns.await("c2", 0)) {
            assertNotNull(other, "another container does not wait");
        }
        try (ContainerTurns.Held none = turns.await("", 0)) {
            assertNotNull(none, "GC and STATUS name no container and never wait");
        }
        order.add("ADD");
        add.close();
        del.get(30, TimeUnit.SECONDS);
        assertEquals(List.of("ADD", "DEL"), order);
        assertTrue(!turns.busy("c1"), "nothing of c1 runs or waits");
        try (ContainerTurns.Held again = turns.await("c1", 0)) {
            assertNotNull(again, "free again once both are done");
        }
    }

    @Test
    void theWaitIsBoundedInTimeAndInWaiters() throws Exception {
        ContainerTurns turns = new ContainerTurns(1);
        ContainerTurns.Held held = turns.await("c1", LONG);
        assertNotNull(held);
        {
            long t0 = System.nanoTime();
            assertNull(turns.await("c1", TimeUnit.MILLISECONDS.toNanos(100)), "not within the time");
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(100));
            CompletableFuture<Boolean> waiter = CompletableFuture.supplyAsync(() -> {
                try (ContainerTurns.Held t = turns.await("c1", LONG)) {
                    return t != null;
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitWaiting(turns, 1);
            long t1 = System.nanoTime();
            assertNull(turns.await("c1", LONG), "a second waiter is refused at once, not queued");
            assertTrue(System.nanoTime() - t1 < TimeUnit.SECONDS.toNanos(5));
            held.close();
            assertTrue(waiter.get(30, TimeUnit.SECONDS), "the one waiting gets its turn");
        }
        assertEquals(0, turns.waiting());
    }

    private static void awaitWaiting(ContainerTurns turns, int n) throws InterruptedException {
        for (int i = 0; i < 3000 && turns.waiting() != n; i++) {
            Thread.sleep(1);
        }
        assertEquals(n, turns.waiting());
    }
}
