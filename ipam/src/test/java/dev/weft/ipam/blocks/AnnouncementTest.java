package dev.weft.ipam.blocks;

import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What a node announces (bgp.md §2.3), as the allocator reports it: its confirmed blocks, and the
 * addresses it borrowed from another node's block; each change reported once, and a reopened
 * allocator (a weftd restart) finds its borrowed addresses again in etcd.
 */
class AnnouncementTest {
    private static EtcdFixture fx;

    @BeforeAll
    static void etcd() {
        fx = new EtcdFixture();
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @Test
    void blocksAndBorrowedAddressesFollowAllocation() throws Exception {
        String p = EtcdFixture.prefix();
        Cidr block = Cidr.parse("10.12.0.0/28");
        PoolConfig one = new PoolConfig(List.of(new Pool(block, 28)), false, 20); // one block for two nodes
        BlockAllocator a = fx.open(p, one, "node-a");
        BlockAllocator b = fx.open(p, one, "node-b");
        List<Announcement> heard = new ArrayList<>();
        b.onAnnouncementChange(heard::add);
        assertEquals(List.of(Announcement.NONE), heard, "the current one at once");

        a.allocate("net.a1", Attributes.of("a1", "eth0", null, null), Family.V4);
        assertEquals(new Announcement(List.of(block), List.of()), a.announcement());
        Allocation borrowed = b.allocate("net.b1", Attributes.of("b1", "eth0", null, null), Family.V4);
        Announcement withB1 = new Announcement(List.of(), List.of(borrowed.hostCidr()));
        assertEquals(List.of(Announcement.NONE, withB1), heard);
        assertEquals(new Announcement(List.of(block), List.of()), a.announcement(), "the block's owner announces only its block");

        b.allocate("net.b1", Attributes.of("b1", "eth0", null, null), Family.V4); // a repeated ADD: no change
        assertEquals(2, heard.size());
        assertEquals(withB1, fx.open(p, one, "node-b").announcement(), "found again after a restart");

        b.release("net.b1");
        assertEquals(List.of(Announcement.NONE, withB1, Announcement.NONE), heard);

        // released behind the allocator's back (weftctl ipam release --ip): gone at the next recheck
        Allocation b2 = b.allocate("net.b2", Attributes.of("b2", "eth0", null, null), Family.V4);
        b.recheckBorrowed();
        assertEquals(4, heard.size(), "still held: nothing changes");
        new AddressRelease(fx.client.getKVClient(), p, java.time.Duration.ofSeconds(5)).release(b2.address(), h -> { });
        b.recheckBorrowed();
        assertEquals(List.of(Announcement.NONE, withB1, Announcement.NONE,
                new Announcement(List.of(), List.of(b2.hostCidr())), Announcement.NONE), heard);
    }
}
