package dev.weft.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.netns.NetNs;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * nf_tables' generation read over netlink moves with every ruleset change made by the independent
 * tools (nft, iptables-nft), and stays put while nothing changes, reads included.
 */
class NftGenerationTest {

    @KernelTest
    @Test
    void movesWithEveryChangeByNftAndIptablesAndOnlyThen() {
        try (TestNetns ns = TestNetns.create(); NetNs handle = NetNs.open(ns.path().toString());
             NftGeneration gen = NftGeneration.open(handle)) {
            long g0 = gen.current();
            ns.exec("iptables-save");
            ns.exec("nft", "list", "ruleset");
            assertEquals(g0, gen.current(), "reading the rules is no change");

            ns.exec("nft", "add", "table", "ip", "wt_gen");
            long g1 = gen.current();
            assertNotEquals(g0, g1, "nft add table");
            assertEquals(g1, gen.current());

            ns.exec("iptables-nft", "-t", "nat", "-A", "POSTROUTING", "-s", "10.213.0.0/16", "-j", "RETURN");
            long g2 = gen.current();
            assertNotEquals(g1, g2, "iptables-nft -A");
            ns.exec("iptables-nft", "-t", "nat", "-D", "POSTROUTING", "-s", "10.213.0.0/16", "-j", "RETURN");
            long g3 = gen.current();
            assertNotEquals(g2, g3, "iptables-nft -D");
            ns.exec("nft", "delete", "table", "ip", "wt_gen");
            assertNotEquals(g3, gen.current(), "nft delete table");
        }
    }

    @Test
    void decodesTheKernelsAnswerAndItsRefusal() {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.nativeOrder());
        // NEWGEN answer to seq 7: nlmsghdr, nfgenmsg, NFTA_GEN_ID = 0x01020304 (big-endian), NFTA_GEN_PROC_PID
        b.putInt(0, 36).putShort(4, (short) (10 << 8 | 15)).putShort(6, (short) 0).putInt(8, 7).putInt(12, 0)
                .putInt(16, 0).putShort(20, (short) 8).putShort(22, (short) 1).put(24, (byte) 1).put(25, (byte) 2)
                .put(26, (byte) 3).put(27, (byte) 4).putShort(28, (short) 8).putShort(30, (short) 2).putInt(32, 99);
        b.limit(36);
        assertEquals(0x01020304L, NftGenCodec.decode(b, 7));
        assertEquals(NftGenCodec.NOT_YET, NftGenCodec.decode(b, 8), "another request's answer");

        b.clear();
        b.putInt(0, 20).putShort(4, (short) Rt.NLMSG_ERROR).putShort(6, (short) 0).putInt(8, 7).putInt(12, 0).putInt(16, -2);
        b.limit(20);
        NetlinkException e = assertThrows(NetlinkException.class, () -> NftGenCodec.decode(b, 7));
        assertEquals(dev.weft.libc.Errno.ENOENT, e.errno());

        ByteBuffer req = ByteBuffer.allocate(NftGenCodec.REQUEST_BYTES).order(ByteOrder.nativeOrder());
        NftGenCodec.request(req, 42);
        assertEquals(20, req.getInt(0));
        assertEquals(0x0A10, Short.toUnsignedInt(req.getShort(4)));
        assertEquals(42, req.getInt(8));
    }

    /** Random and mutated datagrams: a value, NOT_YET, or a NetlinkException, never anything else. */
    @Test
    void garbageGivesOnlyTheTypedErrors() {
        Random r = new Random(20261206);
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
        for (int i = 0; i < 100_000; i++) {
            b.clear();
            int n = r.nextInt(b.capacity() + 1);
            for (int k = 0; k < n; k++) {
                b.put(k, (byte) r.nextInt(256));
            }
            if (n >= 16 && r.nextBoolean()) {
                b.putInt(0, r.nextInt(n + 8)); // a length near the truth
                b.putInt(8, 7);
                b.putShort(4, (short) (r.nextBoolean() ? Rt.NLMSG_ERROR : 10 << 8 | 15));
            }
            b.limit(n);
            try {
                NftGenCodec.decode(b, 7);
            } catch (NetlinkException expected) {
                // typed: refusal or bad shape
            } catch (RuntimeException other) {
                fail("input " + i + " threw " + other);
            }
        }
    }
}
