package dev.weft.flannel.ipam;

import dev.weft.ipam.CniErrorCodes;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.blocks.AddressRelease;
import dev.weft.ipam.blocks.Allocation;
import dev.weft.ipam.blocks.Announcement;
import dev.weft.ipam.blocks.Attributes;
import dev.weft.ipam.blocks.BlockAllocator;
import dev.weft.ipam.blocks.Family;
import dev.weft.ipam.blocks.GoneNodeCheck;
import dev.weft.ipam.blocks.IpamTree;
import dev.weft.ipam.blocks.PoolConfig;
import dev.weft.ipam.blocks.Problem;
import dev.weft.ipam.socket.IpamClient;
import dev.weft.ipam.socket.IpamRequest;
import dev.weft.ipam.socket.IpamResponse;
import dev.weft.net.Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What weftd's IPAM does in the background, against a real etcd read back with etcdctl: the blocks
 * of nodes that are gone are released for others (empty ones only, safely when several nodes do it
 * at once, not when the node comes back), and an address borrowed from another node's block stops
 * being announced when it is released behind weftd's back.
 */
class BlockIpamUpkeepTest {
    private static final Duration GRACE = Duration.ofSeconds(10);
    @RegisterExtension
    static final IpamEtcd fx = new IpamEtcd();

    private static BlockAllocator open(String p, PoolConfig pools, String node) throws IpamException {
        return BlockAllocator.open(fx.client, p, pools, node, new BlockAllocator.Options(Duration.ofSeconds(5), 100));
    }

    private static void reserve(BlockAllocator a, int n) throws IpamException {
        a.allocate(NodeIpam.RESERVE_PREFIX + a.node() + "." + n, new Attributes(Map.of("type", "weftd-reserve")), Family.V4);
    }

    /**
     * Four /26 blocks with StrictAffinity, one each for node-e (empty: its pod was deleted), node-f (its
     * weftd reserve only: kept, as a node cut off from etcd hands its reserve out unseen), node-r and node-x. node-e and node-f never registered; node-r's
     * registration goes and comes back within the grace period. Two live nodes sweep with one clock.
     */
    @Test
    void emptyBlocksOfGoneNodesAreReleasedOnceAndOnlyThose() throws Exception {
        String p = IpamEtcd.prefix();
        String reg = p + "-nodes/";
        PoolConfig pools = IpamEtcd.pool("10.43.0.0/24", 26, true);
        for (String n : List.of("node-a", "node-b", "node-c", "node-r", "node-x")) {
            fx.etcd.put(reg + n, "{}");
        }
        BlockAllocator e = open(p, pools, "node-e");
        e.allocate("net.e1", Attributes.of("e1", "eth0", "default", "deleted"), Family.V4);
        assertTrue(e.release("net.e1"), "a pod of node-e deleted before the node went");
        BlockAllocator f = open(p, pools, "node-f");
        reserve(f, 0);
        reserve(f, 1);
        BlockAllocator r = open(p, pools, "node-r");
        reserve(r, 0);
        BlockAllocator x = open(p, pools, "node-x");
        x.allocate("net.x1", Attributes.none(), Family.V4);
        Cidr blockE = e.affineBlocks().get(0);
        Cidr blockF = f.affineBlocks().get(0);
        Cidr blockR = r.affineBlocks().get(0);
        BlockAllocator c = open(p, pools, "node-c");
        IpamException full = org.junit.jupiter.api.Assertions.assertThrows(IpamException.class,
                () -> c.allocate("net.c1", Attributes.none(), Family.V4));
        assertEquals(CniErrorCodes.INTERNAL, full.code(), "every block is claimed: " + full.getMessage());

        AtomicLong now = new AtomicLong();
        GoneNodeSweep sweepA = new GoneNodeSweep(open(p, pools, "node-a"), reg, GRACE, now::get);
        GoneNodeSweep sweepB = new GoneNodeSweep(open(p, pools, "node-b"), reg, GRACE, now::get);
        fx.etcd.etcdctl("del", reg + "node-r");
        assertEquals(List.of(), sweepA.run(), "first seen gone: nothing yet");
        assertEquals(List.of(), sweepB.run());
        assertEquals(Set.of("node-e", "node-f", "node-r"), open(p, pools, "node-a").unregisteredNodes(reg));
        now.set(GRACE.toNanos() / 2);
        assertEquals(List.of(), sweepA.run(), "within the grace period");
        fx.etcd.put(reg + "node-r", "{}"); // node-r comes back
        // ...and a release that raced its return: the registration must still be absent at the write
        assertEquals(List.of(), open(p, pools, "node-a").releaseBlocksOf("node-r", reg + "node-r",
                h -> h.startsWith(NodeIpam.RESERVE_PREFIX)).released(), "guarded by the registration's absence");

        now.set(GRACE.toNanos() + 1);
        List<Cidr> released = new CopyOnWriteArrayList<>();
        CyclicBarrier together = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (GoneNodeSweep s : List.of(sweepA, sweepB)) {
                done.add(pool.submit(() -> {
                    together.await();
                    released.addAll(s.run());
                    return null;
                }));
            }
            for (Future<?> d : done) {
                d.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(blockE), released, "node-e's block released once, by one of the two");

        List<String> keys = fx.keys(p + "/");
        assertFalse(keys.contains(p + "/assignment/ipv4/block/" + blockE.toKeyForm()), keys.toString());
        assertFalse(keys.contains(p + "/host/node-e/ipv4/block/" + blockE.toKeyForm()), keys.toString());
        for (String k : List.of("/assignment/ipv4/block/" + blockF.toKeyForm(), "/host/node-f/ipv4/block/" + blockF.toKeyForm(),
                "/handle/weftd-reserve.node-f.1", "/handle/weftd-reserve.node-f.0", "/assignment/ipv4/block/" + blockR.toKeyForm(),
                "/host/node-r/ipv4/block/" + blockR.toKeyForm(), "/handle/weftd-reserve.node-r.0")) {
            assertTrue(keys.contains(p + k), k + " stays: " + keys);
        }

        // weftctl ipam check's view: node-f's block is kept and shown with what holds it
        List<Problem> problems = new GoneNodeCheck(Set.of("node-a", "node-b", "node-c", "node-r", "node-x"),
                h -> false).run(IpamTree.read(fx.client.getKVClient(), p, Duration.ofSeconds(5)));
        assertEquals(1, problems.size(), problems.toString());
        assertEquals(Problem.Kind.GONE_NODE_BLOCK, problems.get(0).kind());
        assertEquals(p + "/assignment/ipv4/block/" + blockF.toKeyForm(), problems.get(0).key());
        assertTrue(problems.get(0).detail().contains("node node-f, which is not registered (gone); 2 address(es) in it are in use"
                + " (weftd-reserve.node-f.0, weftd-reserve.node-f.1), so it is kept"), problems.get(0).detail());

        // node-e's block is free for others now
        Allocation a = c.allocate("net.c1", Attributes.none(), Family.V4);
        assertEquals(blockE, a.block(), "node-c claims the released block");
        assertEquals("host:node-c", fx.affinityOf(p, a.hostCidr()));
        assertEquals(List.of(), sweepA.run(), "nothing more to release");
    }

    /**
     * node-b borrows from node-a's block (one /28 for both); the announcement follows: a DEL
     * withdraws its /32 at once, an address released by hand (what {@code weftctl ipam release --ip}
     * does, from another process) within the upkeep's tick.
     */
    @Test
    void aBorrowedAddressReleasedByHandIsNoLongerAnnounced(@TempDir Path dir) throws Exception {
        String p = IpamEtcd.prefix();
        PoolConfig one = IpamEtcd.pool("10.44.0.0/28", 28, false);
        BlockAllocator a = open(p, one, "node-a");
        Allocation own = a.allocate("net.a1", Attributes.none(), Family.V4);
        try (BlockIpam b = fx.start(p, one, "node-b", dir, 0)) {
            List<Announcement> heard = new CopyOnWriteArrayList<>();
            b.onAnnouncementChange(heard::add);
            IpamClient client = new IpamClient(b.socket());
            Cidr x = client.call(new IpamRequest.Allocate("net.x", "x", "eth0", "default", "x", List.of())).ips().get(0);
            Cidr y = client.call(new IpamRequest.Allocate("net.y", "y", "eth0", "default", "y", List.of())).ips().get(0);
            assertTrue(own.block().contains(x.address()) && own.block().contains(y.address()), x + " " + y + " borrowed");
            assertEquals(new Announcement(List.of(), List.of(x, y)), last(heard));

            assertTrue(client.call(new IpamRequest.Release("net.x")).isOk());
            assertEquals(new Announcement(List.of(), List.of(y)), last(heard), "a DEL withdraws the /32 at once");

            new AddressRelease(fx.client.getKVClient(), p, Duration.ofSeconds(5)).release(y.address(), h -> { });
            long t0 = System.nanoTime();
            while (!last(heard).equals(Announcement.NONE) && System.nanoTime() - t0 < 5_000_000_000L) {
                Thread.sleep(50);
            }
            assertEquals(Announcement.NONE, last(heard), "released by hand: no longer announced");
            System.out.printf("block IPAM: a borrowed address released by hand was withdrawn after %d ms%n",
                    (System.nanoTime() - t0) / 1_000_000);
            IpamResponse again = client.call(new IpamRequest.Allocate("net.z", "z", "eth0", "default", "z", List.of()));
            assertTrue(again.isOk(), again.toString());
            assertEquals(new Announcement(List.of(), List.of(again.ips().get(0))), last(heard), "borrowing again is announced");
        }
    }

    private static Announcement last(List<Announcement> heard) {
        return heard.get(heard.size() - 1);
    }
}
