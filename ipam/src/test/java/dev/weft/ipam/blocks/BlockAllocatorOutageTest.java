package dev.weft.ipam.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** etcd unreachable: calls fail with CNI code 11 (try again later) within the request timeout, and work again afterwards. */
class BlockAllocatorOutageTest {

    @Test
    void anOutageIsTryAgainLaterAndNothingIsLost() throws Exception {
        try (EtcdFixture fx = new EtcdFixture()) {
            String p = EtcdFixture.prefix();
            PoolConfig config = new PoolConfig(List.of(new Pool(Cidr.parse("10.30.0.0/24"), 26)), false, 20);
            fx.open(p, config, "node-warm"); // the client's first connection, within the fixture's 5 s (a loaded CI machine)
            BlockAllocator a = BlockAllocator.open(fx.client, p, config, "node-a",
                    new BlockAllocator.Options(Duration.ofSeconds(1), 100));
            Allocation before = a.allocate("h0", Attributes.none(), Family.V4);

            fx.etcd.kill();
            long t0 = System.nanoTime();
            IpamException e = assertThrows(IpamException.class, () -> a.allocate("h1", Attributes.none(), Family.V4));
            long waited = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(IpamException.TRY_AGAIN_LATER, e.code());
            assertTrue(e.getMessage().startsWith("etcd allocate in " + before.block() + " timed out after 1000 ms"), e.getMessage());
            assertTrue(waited < 5_000, "bounded by the request timeout: " + waited + " ms");
            assertEquals(IpamException.TRY_AGAIN_LATER,
                    assertThrows(IpamException.class, () -> a.release("h0")).code());

            fx.etcd.start();
            Allocation after = null;
            for (int i = 0; i < 20 && after == null; i++) { // the client reconnects with a back-off
                try {
                    after = a.allocate("h1", Attributes.none(), Family.V4);
                } catch (IpamException retry) {
                    assertEquals(IpamException.TRY_AGAIN_LATER, retry.code());
                }
            }
            assertNotEquals(null, after, "allocations work again once etcd is back");
            assertNotEquals(before.address(), after.address());
            assertEquals(List.of(), a.check());
            // The release sent during the outage went out as one transaction with no read first; its
            // request may have reached etcd once it was back (false then: nothing left to release).
            a.release("h0");
            assertTrue(fx.etcd.get(p + "/handle/h0").isEmpty(), "h0 is released");
            assertEquals(List.of(), a.check());
        }
    }

    /**
     * weftd reloads its blocks periodically, also while etcd is away: a reload that fails midway
     * keeps the cached blocks and what is announced, so an outage never withdraws the node's
     * routes from its BGP peers.
     */
    @Test
    void aReloadThatFailsKeepsTheBlocksAndTheAnnouncement() throws Exception {
        try (EtcdFixture fx = new EtcdFixture()) {
            String p = EtcdFixture.prefix();
            PoolConfig config = new PoolConfig(List.of(new Pool(Cidr.parse("10.31.0.0/24"), 26)), false, 20);
            fx.open(p, config, "node-warm");
            BlockAllocator a = BlockAllocator.open(fx.client, p, config, "node-a",
                    new BlockAllocator.Options(Duration.ofSeconds(1), 100));
            Allocation first = a.allocate("h0", Attributes.none(), Family.V4);
            Announcement announced = a.announcement();
            assertEquals(List.of(first.block()), announced.blocks());
            List<Announcement> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
            a.onAnnouncementChange(heard::add);
            heard.clear();

            fx.etcd.kill();
            assertEquals(IpamException.TRY_AGAIN_LATER, assertThrows(IpamException.class, a::reload).code());
            assertEquals(announced, a.announcement(), "the failed reload kept the block");
            assertEquals(List.of(), heard, "nothing withdrawn");
            assertEquals(List.of(first.block()), a.affineBlocks(), "still allocating from the cached block");
            fx.etcd.start();
        }
    }
}
