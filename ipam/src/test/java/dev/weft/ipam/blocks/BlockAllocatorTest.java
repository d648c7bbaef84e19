package dev.weft.ipam.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The block allocator against a real etcd. */
class BlockAllocatorTest {
    private static final Cidr POOL = Cidr.parse("10.10.0.0/24"); // four /26 blocks
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

    private static PoolConfig pools(boolean strict, int maxBlocks) {
        return new PoolConfig(List.of(new Pool(POOL, 26), new Pool(Cidr.parse("fd00:10::/120"), 122)), strict, maxBlocks);
    }

    private static Attributes pod(String id) {
        return Attributes.of(id, "eth0", "default", "pod-" + id);
    }

    private static List<Allocation> fill(BlockAllocator a, String handlePrefix, int n) throws IpamException {
        List<Allocation> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(a.allocate(handlePrefix + i, pod(handlePrefix + i), Family.V4));
        }
        return out;
    }

    @Test
    void storesCalicosKeysAndValues() throws Exception {
        String p = EtcdFixture.prefix();
        BlockAllocator a = fx.open(p, pools(false, 20), "node-a");
        Allocation x = a.allocate("k8s-pod-network.c1", pod("c1"), Family.V4);
        Cidr block = x.block();
        assertTrue(POOL.contains(block) && block.prefixLength() == 26, block.toString());
        assertEquals(block.networkAddress(), x.address(), "the first address of a new block goes first");
        assertFalse(x.borrowed());

        assertEquals("{\"auto_allocate_blocks\":true,\"maxBlocksPerHost\":20}", fx.value(p + "/config"));
        assertEquals("{\"state\":\"confirmed\",\"deleted\":false}", fx.value(p + "/host/node-a/ipv4/block/" + block.toKeyForm()));
        assertEquals("{\"block\":{\"" + block + "\":1},\"deleted\":false}", fx.value(p + "/handle/k8s-pod-network.c1"));
        String blockJson = fx.value(p + "/assignment/ipv4/block/" + block.toKeyForm());
        assertTrue(blockJson.startsWith("{\"cidr\":\"" + block + "\",\"affinity\":\"host:node-a\",\"allocations\":[0,null,"), blockJson);
        assertTrue(blockJson.contains("\"attributes\":[{\"handle_id\":\"k8s-pod-network.c1\",\"secondary\":{\"containerID\":\"c1\","
                + "\"ifname\":\"eth0\",\"namespace\":\"default\",\"node\":\"node-a\",\"pod\":\"pod-c1\"}}]"), blockJson);
        assertEquals(List.of(p + "/assignment/ipv4/block/" + block.toKeyForm(), p + "/config",
                p + "/handle/k8s-pod-network.c1", p + "/host/node-a/ipv4/block/" + block.toKeyForm()), fx.keys(p));
        assertEquals(List.of(block), a.affineBlocks());
        assertEquals(List.of(), a.check());
    }

    @Test
    void ownBlocksFirstThenANewBlockThenBorrowing() throws Exception {
        String p = EtcdFixture.prefix();
        BlockAllocator a = fx.open(p, pools(false, 2), "node-a");
        BlockAllocator b = fx.open(p, pools(false, 2), "node-b");

        List<Allocation> first = fill(a, "a", 64);
        assertEquals(1, a.affineBlocks().size());
        assertEquals(64, first.stream().map(Allocation::address).distinct().count());
        assertTrue(first.stream().allMatch(x -> x.block().equals(a.affineBlocks().get(0))), "one block until it is full");

        Allocation next = a.allocate("a64", pod("a64"), Family.V4);
        assertEquals(2, a.affineBlocks().size(), "a full block makes the node claim another");
        assertEquals(a.affineBlocks().stream().filter(c -> !c.equals(first.get(0).block())).findFirst().orElseThrow(), next.block());

        Allocation fromB = b.allocate("b0", pod("b0"), Family.V4);
        assertEquals(1, b.affineBlocks().size());
        assertFalse(a.affineBlocks().contains(fromB.block()));

        fill(a, "a-more", 63); // a's second block is now full too, and it may hold no third
        Allocation borrowed = a.allocate("borrowed", pod("borrowed"), Family.V4);
        assertTrue(borrowed.borrowed());
        assertFalse(a.affineBlocks().contains(borrowed.block()));
        assertEquals(2, a.affineBlocks().size());
        assertTrue(a.handles().contains("borrowed"), "a borrowed address counts as this node's for GC");
        assertFalse(b.handles().contains("borrowed"));

        // strict affinity: the same situation refuses instead of borrowing
        BlockAllocator strict = fx.open(p, pools(true, 2), "node-a");
        IpamException e = assertThrows(IpamException.class, () -> strict.allocate("refused", pod("refused"), Family.V4));
        assertEquals(IpamException.INTERNAL, e.code());
        assertTrue(e.getMessage().contains("StrictAffinity forbids borrowing"), e.getMessage());
        assertTrue(fx.etcd.get(p + "/handle/refused").isEmpty(), "a refused allocation writes nothing");
        assertEquals(List.of(), a.check());
    }

    @Test
    void aFullPoolIsAClearError() throws Exception {
        String p = EtcdFixture.prefix();
        PoolConfig tiny = new PoolConfig(List.of(new Pool(Cidr.parse("10.11.0.0/29"), 30)), false, 20);
        BlockAllocator a = fx.open(p, tiny, "node-a");
        Set<IpAddress> got = new HashSet<>();
        for (int i = 0; i < 8; i++) {
            got.add(a.allocate("h" + i, Attributes.none(), Family.V4).address());
        }
        assertEquals(8, got.size(), "every address of a block is usable (pods get /32s)");
        assertTrue(got.contains(a.allocate("h3", Attributes.none(), Family.V4).address()), "a repeated ADD in a full pool");
        IpamException e = assertThrows(IpamException.class, () -> a.allocate("h8", Attributes.none(), Family.V4));
        assertEquals(IpamException.INTERNAL, e.code());
        assertEquals("no free ipv4 address left in any pool ([10.11.0.0/29])", e.getMessage());
    }

    @Test
    void releasedAddressesGoToTheBackOfTheQueue() throws Exception {
        String p = EtcdFixture.prefix();
        BlockAllocator a = fx.open(p, pools(false, 20), "node-a");
        IpAddress first = a.allocate("h0", Attributes.none(), Family.V4).address();
        a.allocate("h1", Attributes.none(), Family.V4);
        assertTrue(a.release("h0"));
        assertFalse(a.release("h0"), "a second release finds nothing");
        assertTrue(fx.etcd.get(p + "/handle/h0").isEmpty());
        // the other 62 free addresses come first, then the released one
        for (int i = 2; i < 64; i++) {
            assertNotEquals(first, a.allocate("h" + i, Attributes.none(), Family.V4).address(), "h" + i);
        }
        Allocation again = a.allocate("h64", Attributes.none(), Family.V4);
        assertEquals(first, again.address());
        assertEquals(1, a.affineBlocks().size());
    }

    @Test
    void aHandleKeepsItsAddressPerFamilyAndReleasesAll() throws Exception {
        String p = EtcdFixture.prefix();
        BlockAllocator a = fx.open(p, pools(false, 20), "node-a");
        Allocation v4 = a.allocate("k8s-pod-network.dual", pod("dual"), Family.V4);
        Allocation v6 = a.allocate("k8s-pod-network.dual", pod("dual"), Family.V6);
        assertTrue(Cidr.parse("fd00:10::/120").contains(v6.block()) && v6.block().prefixLength() == 122, v6.block().toString());
        assertEquals(v4.address(), a.allocate("k8s-pod-network.dual", pod("dual"), Family.V4).address(), "a repeated ADD");
        assertEquals(v6.address(), a.allocate("k8s-pod-network.dual", pod("dual"), Family.V6).address());
        assertEquals("{\"block\":{\"" + v4.block() + "\":1,\"" + v6.block() + "\":1},\"deleted\":false}",
                fx.value(p + "/handle/k8s-pod-network.dual"));
        assertEquals(Set.of("k8s-pod-network.dual"), a.handles());

        assertTrue(a.release("k8s-pod-network.dual"));
        assertEquals(Set.of(), a.handles());
        AllocationBlock b4 = BlockCodec.decode(v4.block(), fx.value(p + "/assignment/ipv4/block/" + v4.block().toKeyForm()));
        AllocationBlock b6 = BlockCodec.decode(v6.block(), fx.value(p + "/assignment/ipv6/block/" + v6.block().toKeyForm()));
        assertTrue(b4.isEmpty() && b6.isEmpty());
        assertEquals(List.of(), a.check());
    }

    @Test
    void transferMovesAddressesWithoutFreeingThemAndReleaseAddressTakesOne() throws Exception {
        String p = EtcdFixture.prefix();
        BlockAllocator a = fx.open(p, pools(false, 20), "node-a");
        Allocation r = a.allocate("weftd-reserve.node-a.0", Attributes.none(), Family.V4);
        Allocation v6 = a.allocate("net.pod", pod("pod"), Family.V6);
        AllocationBlock before = BlockCodec.decode(r.block(), fx.value(p + "/assignment/ipv4/block/" + r.block().toKeyForm()));

        assertTrue(a.transfer("weftd-reserve.node-a.0", "net.pod", pod("pod")));
        assertFalse(a.transfer("weftd-reserve.node-a.0", "net.pod", pod("pod")), "a second hand-over is a no-op");
        AllocationBlock after = BlockCodec.decode(r.block(), fx.value(p + "/assignment/ipv4/block/" + r.block().toKeyForm()));
        assertEquals(before.freeCount(), after.freeCount(), "the address never went through the free list");
        assertEquals(List.of(before.ordinalOf(r.address())), after.ordinalsOf("net.pod"));
        assertEquals(List.of(), after.ordinalsOf("weftd-reserve.node-a.0"));
        assertEquals(1, after.attributes().size(), "the reservation's attribute entry is gone: " + after.attributes());
        assertFalse(fx.etcd.get(p + "/handle/weftd-reserve.node-a.0").isPresent());
        assertEquals("{\"block\":{\"" + r.block() + "\":1,\"" + v6.block() + "\":1},\"deleted\":false}",
                fx.value(p + "/handle/net.pod"), "merged into the pod's existing handle");
        assertEquals(List.of(r.address(), v6.address()), a.addressesOf("net.pod").stream().map(Allocation::address).toList());

        Allocation extra = a.allocate("net.pod2", pod("pod2"), Family.V4);
        assertTrue(a.releaseAddress("net.pod", a.addressesOf("net.pod").get(0)));
        assertFalse(a.releaseAddress("net.pod", r), "already released");
        assertEquals(List.of(v6.address()), a.addressesOf("net.pod").stream().map(Allocation::address).toList());
        assertEquals("{\"block\":{\"" + v6.block() + "\":1},\"deleted\":false}", fx.value(p + "/handle/net.pod"));
        assertEquals(List.of(extra.address()), a.addressesOf("net.pod2").stream().map(Allocation::address).toList());
        assertTrue(a.releaseAddress("net.pod", a.addressesOf("net.pod").get(0)));
        assertFalse(fx.etcd.get(p + "/handle/net.pod").isPresent(), "the last address takes the handle record with it");
        assertEquals(List.of(), a.check());
    }

    @Test
    void twoNodesRacingForOneFreeBlock() throws Exception {
        String p = EtcdFixture.prefix();
        BlockAllocator a = fx.open(p, pools(false, 20), "node-a");
        BlockAllocator b = fx.open(p, pools(false, 20), "node-b");
        CyclicBarrier bothPending = new CyclicBarrier(2);
        for (BlockAllocator x : List.of(a, b)) {
            x.claimFromPoolStart(true); // both aim at the pool's first block
            AtomicBoolean firstClaim = new AtomicBoolean(true);
            x.onClaimPhase(block -> {
                if (!firstClaim.getAndSet(false)) {
                    return; // the loser's second claim
                }
                try {
                    bothPending.await(10, TimeUnit.SECONDS); // both have written their pending affinity
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Allocation> fa = pool.submit(() -> a.allocate("ha", Attributes.none(), Family.V4));
            Future<Allocation> fb = pool.submit(() -> b.allocate("hb", Attributes.none(), Family.V4));
            Allocation xa = fa.get(20, TimeUnit.SECONDS);
            Allocation xb = fb.get(20, TimeUnit.SECONDS);
            assertEquals(Set.of(Cidr.parse("10.10.0.0/26"), Cidr.parse("10.10.0.64/26")), Set.of(xa.block(), xb.block()),
                    "one node won the first block, the other took the next");
            assertEquals(List.of(xa.block()), a.affineBlocks());
            assertEquals(List.of(xb.block()), b.affineBlocks());
        } finally {
            pool.shutdownNow();
        }
        List<String> affinities = fx.keys(p + "/host/");
        assertEquals(2, affinities.size(), "no half-claimed affinity left: " + affinities);
        for (String k : affinities) {
            assertEquals("{\"state\":\"confirmed\",\"deleted\":false}", fx.value(k));
        }
        assertEquals(List.of(), a.check());
    }

    @Test
    void aCrashAfterThePendingPhaseIsAdoptedOrCleanedUp() throws Exception {
        String p = EtcdFixture.prefix();
        Cidr first = Cidr.parse("10.10.0.0/26");
        // node-a "crashes" after writing its pending affinity; the block is still free
        BlockAllocator crashing = fx.open(p, pools(false, 20), "node-a");
        crashing.claimFromPoolStart(true);
        crashing.onClaimPhase(block -> {
            throw new IllegalStateException("simulated crash after phase 1");
        });
        assertThrows(IllegalStateException.class, () -> crashing.allocate("h", Attributes.none(), Family.V4));
        assertEquals("{\"state\":\"pending\",\"deleted\":false}", fx.value(p + "/host/node-a/ipv4/block/10.10.0.0-26"));
        assertTrue(fx.keys(p + "/assignment/").isEmpty());
        List<Problem> problems = fx.open(p, pools(false, 20), "node-x").check();
        assertEquals(List.of(Problem.Kind.PENDING_AFFINITY), problems.stream().map(Problem::kind).toList());

        // node-b crashes the same way on the same block...
        BlockAllocator crashingB = fx.open(p, pools(false, 20), "node-b");
        crashingB.claimFromPoolStart(true);
        crashingB.onClaimPhase(block -> {
            throw new IllegalStateException("simulated crash after phase 1");
        });
        assertThrows(IllegalStateException.class, () -> crashingB.allocate("h", Attributes.none(), Family.V4));

        // ...node-a restarts and adopts its claim: the block is created and confirmed
        BlockAllocator a = fx.open(p, pools(false, 20), "node-a");
        assertEquals(List.of(), a.affineBlocks(), "a pending affinity is not a block of the node yet");
        Allocation x = a.allocate("h", Attributes.none(), Family.V4);
        assertEquals(first, x.block());
        assertEquals("{\"state\":\"confirmed\",\"deleted\":false}", fx.value(p + "/host/node-a/ipv4/block/10.10.0.0-26"));

        // ...node-b restarts: its pending claim lost, it is removed, and node-b takes another block
        BlockAllocator b = fx.open(p, pools(false, 20), "node-b");
        b.claimFromPoolStart(true);
        Allocation y = b.allocate("hb", Attributes.none(), Family.V4);
        assertEquals(Cidr.parse("10.10.0.64/26"), y.block());
        assertTrue(fx.etcd.get(p + "/host/node-b/ipv4/block/10.10.0.0-26").isEmpty());
        assertEquals(List.of(), a.check());
    }

    @Test
    void corruptAndOversizedBlocksAreSkippedReportedAndNeverWritten() throws Exception {
        String p = EtcdFixture.prefix();
        String corruptKey = p + "/assignment/ipv4/block/10.10.0.0-26";
        String hugeKey = p + "/assignment/ipv4/block/10.10.0.64-26";
        String corrupt = "{\"cidr\":\"10.10.0.0/26\",\"allocations\":[";
        String huge = "{\"cidr\":\"10.10.0.64/26\",\"pad\":\"" + "x".repeat(BlockCodec.maxChars(64) + 1) + "\"}";
        fx.etcd.put(corruptKey, corrupt);
        fx.etcd.put(hugeKey, huge);
        // both claim to be node-a's blocks
        fx.etcd.put(p + "/host/node-a/ipv4/block/10.10.0.0-26", "{\"state\":\"confirmed\",\"deleted\":false}");
        fx.etcd.put(p + "/host/node-a/ipv4/block/10.10.0.64-26", "{\"state\":\"confirmed\",\"deleted\":false}");

        BlockAllocator a = fx.open(p, pools(false, 1), "node-a");
        assertEquals(List.of(), a.affineBlocks(), "corrupt blocks are not allocated from");
        Allocation x = a.allocate("h", Attributes.none(), Family.V4);
        assertFalse(Set.of(Cidr.parse("10.10.0.0/26"), Cidr.parse("10.10.0.64/26")).contains(x.block()));

        List<Problem> problems = a.check();
        assertEquals(List.of(corruptKey, hugeKey), problems.stream()
                .filter(pr -> pr.kind() == Problem.Kind.CORRUPT_BLOCK).map(Problem::key).toList(), problems.toString());
        assertTrue(problems.get(1).detail().contains("more than"), problems.get(1).detail());
        assertEquals(corrupt, fx.value(corruptKey));
        assertEquals(huge, fx.value(hugeKey));

        // borrowing (node-b may hold only one block, already full) also skips them
        BlockAllocator b = fx.open(p, pools(false, 1), "node-b");
        fill(b, "b", 64);
        Allocation borrowed = b.allocate("b64", Attributes.none(), Family.V4);
        assertTrue(borrowed.borrowed());
        assertEquals(x.block(), borrowed.block());
        assertEquals(corrupt, fx.value(corruptKey));
    }

    @Test
    void emptyBlocksOfAGoneNodeAreReleased() throws Exception {
        String p = EtcdFixture.prefix();
        BlockAllocator gone = fx.open(p, pools(false, 20), "node-gone");
        Allocation kept = gone.allocate("kept", Attributes.none(), Family.V4);
        Allocation freed = gone.allocate("freed", Attributes.none(), Family.V6);
        assertTrue(gone.release("freed"));

        BlockAllocator a = fx.open(p, pools(false, 20), "node-a");
        assertThrows(IllegalArgumentException.class, () -> a.releaseBlocksOf("node-a"));
        assertEquals(1, a.releaseBlocksOf("node-gone"));
        assertTrue(fx.etcd.get(p + "/assignment/ipv6/block/" + freed.block().toKeyForm()).isEmpty());
        assertTrue(fx.etcd.get(p + "/host/node-gone/ipv6/block/" + freed.block().toKeyForm()).isEmpty());
        assertTrue(fx.etcd.get(p + "/assignment/ipv4/block/" + kept.block().toKeyForm()).isPresent(), "a block in use stays");
        assertEquals(List.of(), a.check());
    }

    @Test
    void anAllocationCostsOneEtcdWrite() throws Exception {
        String p = EtcdFixture.prefix();
        BlockAllocator a = fx.open(p, pools(false, 20), "node-a");
        long before = a.etcdWrites();
        int n = 192; // three blocks
        fill(a, "w", n);
        long writes = a.etcdWrites() - before;
        System.out.printf("block IPAM: %d allocations, %d etcd write transactions (%.3f per allocation, claims included), %d conflicts%n",
                n, writes, (double) writes / n, a.etcdConflicts());
        assertEquals(n + 3 * 2, writes, "one per allocation, two per claimed block");
        long rb = a.etcdWrites();
        for (int i = 0; i < 10; i++) {
            a.release("w" + i);
        }
        assertEquals(10, a.etcdWrites() - rb, "one per release");
    }

    @Test
    void aStaleCacheCostsOneRetryAndNoExtraRead() throws Exception {
        String p = EtcdFixture.prefix();
        PoolConfig two = new PoolConfig(List.of(new Pool(Cidr.parse("10.12.0.0/25"), 26)), false, 1);
        BlockAllocator a = fx.open(p, two, "node-a");
        BlockAllocator b = fx.open(p, two, "node-b");
        Allocation first = a.allocate("a0", Attributes.none(), Family.V4);
        fill(b, "b", 64);
        Allocation borrowed = b.allocate("b64", Attributes.none(), Family.V4); // changes node-a's block behind its cache
        assertTrue(borrowed.borrowed());
        assertEquals(first.block(), borrowed.block());

        long writes = a.etcdWrites();
        Allocation second = a.allocate("a1", Attributes.none(), Family.V4);
        assertEquals(1, a.etcdConflicts(), "the cached revision was stale once");
        assertEquals(1, a.etcdWrites() - writes);
        assertEquals(Set.of(first.address(), borrowed.address(), second.address()).size(), 3);
        assertEquals(List.of(), a.check());
    }

    @Test
    void aCorruptHandleRecordIsStillReleased() throws Exception {
        String p = EtcdFixture.prefix();
        BlockAllocator a = fx.open(p, pools(false, 20), "node-a");
        Allocation x = a.allocate("h", Attributes.none(), Family.V4);
        fx.etcd.put(p + "/handle/h", "{\"block\":");
        assertEquals(List.of(Problem.Kind.CORRUPT_HANDLE), a.check().stream().map(Problem::kind).toList());
        assertTrue(a.release("h"), "found by searching the blocks");
        assertTrue(fx.etcd.get(p + "/handle/h").isEmpty());
        assertTrue(BlockCodec.decode(x.block(), fx.value(p + "/assignment/ipv4/block/" + x.block().toKeyForm())).isEmpty());
        assertEquals(List.of(), a.check());
    }

    @Test
    void badArgumentsAreRefused() throws Exception {
        String p = EtcdFixture.prefix();
        BlockAllocator a = fx.open(p, pools(false, 20), "node-a");
        assertThrows(IllegalArgumentException.class, () -> a.allocate("a/b", Attributes.none(), Family.V4));
        assertThrows(IllegalArgumentException.class, () -> a.allocate("x".repeat(513), Attributes.none(), Family.V4));
        assertThrows(IllegalArgumentException.class, () -> new Attributes(Map.of("k", "v".repeat(1100))));
        assertThrows(IllegalArgumentException.class, () -> fx.open(p, pools(false, 20), "bad/node"));
        assertEquals(List.of(p + "/config"), fx.keys(p));
    }
}
