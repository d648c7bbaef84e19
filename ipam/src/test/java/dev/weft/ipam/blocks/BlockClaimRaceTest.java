package dev.weft.ipam.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Block claims interrupted by kill -9 between their two phases: each claiming node is a process of
 * its own ({@link PendingClaimChild}) that stops once its pending affinity is in etcd, and is then
 * killed with SIGKILL. Whatever happens next, no half-claimed affinity is left: a node that comes
 * back adopts its claim if the block is still free and drops it if another node took the block;
 * two nodes that come back at once with pending claims on the same block end with one block each;
 * and the pending claim of a node that never comes back goes with its other keys.
 */
class BlockClaimRaceTest {
    private static final Cidr POOL = Cidr.parse("10.30.0.0/24");
    private static final String PENDING = "{\"state\":\"pending\",\"deleted\":false}";
    private static final String CONFIRMED = "{\"state\":\"confirmed\",\"deleted\":false}";
    private static EtcdFixture fx;

    @BeforeAll
    static void launch() {
        fx = new EtcdFixture();
    }

    @AfterAll
    static void shutdown() {
        if (fx != null) {
            fx.close();
        }
    }

    private static PoolConfig pools() {
        return new PoolConfig(List.of(new Pool(POOL, 26)), false, 20);
    }

    /** Starts a node in its own JVM, waits until its phase 1 is in etcd, kills it with -9; returns the block. */
    private static Cidr killedBetweenPhases(String prefix, String node) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), PendingClaimChild.class.getName(), fx.etcd.endpoint(), prefix, node,
                POOL.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
                try {
                    for (String l; (l = out.readLine()) != null; ) {
                        if (l.startsWith("PENDING ")) {
                            return l.substring(8);
                        }
                    }
                    return null;
                } catch (java.io.IOException e) {
                    return null;
                }
            });
            String block = line.get(60, TimeUnit.SECONDS);
            assertTrue(block != null, node + " exited before its pending claim");
            return Cidr.parse(block);
        } finally {
            p.destroyForcibly(); // SIGKILL: nothing of the claim's phase 2 runs
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertEquals(128 + 9, p.exitValue(), node + " died of SIGKILL");
        }
    }

    private static Map<String, String> affinities(String prefix) {
        Map<String, String> out = new TreeMap<>();
        for (String k : fx.keys(prefix + "/host/")) {
            out.put(k.substring(prefix.length() + "/host/".length()), fx.value(k));
        }
        return out;
    }

    @Test
    void aKilledClaimIsAdoptedOrDroppedAndANodeThatNeverReturnsLeavesNothing() throws Exception {
        String p = EtcdFixture.prefix();
        Cidr first = Cidr.parse("10.30.0.0/26");
        assertEquals(first, killedBetweenPhases(p, "node-a"));
        assertEquals(Map.of("node-a/ipv4/block/10.30.0.0-26", PENDING), affinities(p));
        assertEquals(List.of(), fx.keys(p + "/assignment/"), "phase 2 never ran: no block");
        BlockAllocator observer = fx.open(p, pools(), "node-x");
        assertEquals(List.of(Problem.Kind.PENDING_AFFINITY), observer.check().stream().map(Problem::kind).toList());

        // node-b claims the same free block meanwhile and wins it
        BlockAllocator b = fx.open(p, pools(), "node-b");
        b.claimFromPoolStart(true);
        assertEquals(first, b.allocate("hb", Attributes.none(), Family.V4).block());

        // node-a comes back: its pending claim lost, it is dropped, and node-a takes the next block
        BlockAllocator a = fx.open(p, pools(), "node-a");
        a.claimFromPoolStart(true);
        assertEquals(Cidr.parse("10.30.0.64/26"), a.allocate("ha", Attributes.none(), Family.V4).block());
        assertEquals(Map.of("node-a/ipv4/block/10.30.0.64-26", CONFIRMED, "node-b/ipv4/block/10.30.0.0-26", CONFIRMED),
                affinities(p));

        // node-c is killed between the phases and never comes back: its pending claim goes with it
        assertEquals(Cidr.parse("10.30.0.128/26"), killedBetweenPhases(p, "node-c"));
        assertEquals(PENDING, affinities(p).get("node-c/ipv4/block/10.30.0.128-26"));
        assertEquals(0, b.releaseBlocksOf("node-c"), "no block was created for it");
        assertEquals(Set.of("node-a/ipv4/block/10.30.0.64-26", "node-b/ipv4/block/10.30.0.0-26"), affinities(p).keySet());
        assertEquals(List.of(), observer.check());
    }

    @Test
    void twoNodesKilledClaimingTheSameBlockEndWithOneBlockEach() throws Exception {
        String p = EtcdFixture.prefix();
        Cidr first = Cidr.parse("10.30.0.0/26");
        assertEquals(first, killedBetweenPhases(p, "node-a"));
        assertEquals(first, killedBetweenPhases(p, "node-b"));
        assertEquals(Map.of("node-a/ipv4/block/10.30.0.0-26", PENDING, "node-b/ipv4/block/10.30.0.0-26", PENDING), affinities(p));

        // both come back at once: both find the block free and try to adopt it; one creates it
        BlockAllocator a = fx.open(p, pools(), "node-a");
        BlockAllocator b = fx.open(p, pools(), "node-b");
        a.claimFromPoolStart(true);
        b.claimFromPoolStart(true);
        CompletableFuture<Allocation> fa = CompletableFuture.supplyAsync(() -> allocate(a, "ha"));
        CompletableFuture<Allocation> fb = CompletableFuture.supplyAsync(() -> allocate(b, "hb"));
        Allocation xa = fa.get(30, TimeUnit.SECONDS);
        Allocation xb = fb.get(30, TimeUnit.SECONDS);
        assertEquals(Set.of(first, Cidr.parse("10.30.0.64/26")), Set.of(xa.block(), xb.block()),
                "one adopted the block, the other dropped its claim and took the next");
        List<String> left = new ArrayList<>(affinities(p).values());
        assertEquals(List.of(CONFIRMED, CONFIRMED), left, "no half-claimed affinity left: " + affinities(p));
        assertEquals(List.of(xa.block()), a.affineBlocks());
        assertEquals(List.of(xb.block()), b.affineBlocks());
        assertEquals(List.of(), a.check());
    }

    private static Allocation allocate(BlockAllocator x, String handle) {
        try {
            return x.allocate(handle, Attributes.none(), Family.V4);
        } catch (dev.weft.ipam.IpamException e) {
            throw new IllegalStateException(e);
        }
    }
}
