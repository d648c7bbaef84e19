package dev.weft.bpf;

import static dev.weft.bpf.BpfAssembler.FP;
import static dev.weft.bpf.BpfAssembler.R0;
import static dev.weft.bpf.BpfAssembler.R1;
import static dev.weft.bpf.BpfAssembler.R2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.netlink.LinkSpec;
import dev.weft.netlink.RtNetlink;
import dev.weft.netlink.TcFilter;
import dev.weft.netlink.TcHook;
import dev.weft.netns.NetNs;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A program written with {@link BpfAssembler}, loaded with bpf(2) and attached by rtnetlink to a
 * veth in a namespace: it counts what the kernel sends through it, `tc` sees it as Weft put it,
 * a refused program carries the verifier's words, and detaching leaves another's filter alone.
 */
@KernelTest
class BpfTcTest {
    private TestNetns ns;
    private TestNetns peer;
    private NetNs handle;
    private RtNetlink nl;

    @BeforeEach
    void setUp() {
        ns = TestNetns.create();
        handle = NetNs.open(ns.path().toString());
        nl = RtNetlink.open(handle);
        peer = TestNetns.create();
        nl.create(new LinkSpec.Veth("wt-bpfa", "wt-bpfb"));
        ns.ip("link", "set", "wt-bpfb", "netns", peer.name());
        ns.ip("addr", "add", "192.0.2.1/24", "dev", "wt-bpfa");
        ns.ip("link", "set", "wt-bpfa", "up");
        peer.ip("addr", "add", "192.0.2.2/24", "dev", "wt-bpfb");
        peer.ip("link", "set", "wt-bpfb", "up");
    }

    @AfterEach
    void tearDown() {
        nl.close();
        handle.close();
        ns.close();
        peer.close();
    }

    /** counts[0] += 1 per packet, then the verdict. */
    private static List<Insn> counting(int mapFd, int verdict) {
        return new BpfAssembler()
                .storeImm(BpfAssembler.Size.W, FP, -4, 0)
                .loadMap(R1, mapFd)
                .mov(R2, FP).aluImm(BpfAssembler.Alu.ADD, R2, -4)
                .call(Helper.MAP_LOOKUP_ELEM)
                .jumpImm(BpfAssembler.Jmp.JEQ, R0, 0, "out")
                .load(BpfAssembler.Size.DW, R1, R0, 0).aluImm(BpfAssembler.Alu.ADD, R1, 1).store(BpfAssembler.Size.DW, R0, 0, R1)
                .label("out")
                .movImm(R0, verdict)
                .exit()
                .assemble();
    }

    private static long sum(BpfMap m) {
        int cpus = Bpf.possibleCpus();
        byte[] v = new byte[8 * cpus];
        assertTrue(m.get(new byte[4], v));
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.nativeOrder());
        long s = 0;
        for (int i = 0; i < cpus; i++) {
            s += b.getLong(i * 8);
        }
        return s;
    }

    @Test
    void anAttachedProgramSeesTrafficAndDropsWhenItSaysSo() {
        int index = nl.requireLink("wt-bpfa").index();
        try (BpfMap counts = BpfMap.create(Bpf.MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 0, "wt_counts");
             BpfProgram pass = BpfProgram.loadClassifier("wt_pass", counting(counts.fd(), Helper.TC_ACT_OK))) {
            assertTrue(nl.addClsact(index));
            assertFalse(nl.addClsact(index), "a second clsact is reported as already there");
            nl.attachBpf(index, TcHook.EGRESS, 0x7765, 1, pass.fd(), "wt_pass");
            List<TcFilter> f = nl.filters(index, TcHook.EGRESS);
            assertEquals(1, f.size(), f.toString());
            assertEquals(0x7765, f.get(0).priority());
            assertTrue(f.get(0).directAction());
            assertTrue(f.get(0).bpfName().startsWith("wt_pass"), f.get(0).bpfName());
            String shown = ns.exec("tc", "filter", "show", "dev", "wt-bpfa", "egress").orThrow().stdout();
            assertTrue(shown.contains("direct-action") && shown.contains("wt_pass"), shown);

            ns.exec("ping", "-c", "3", "-i", "0.01", "-W", "1", "192.0.2.2").orThrow();
            assertTrue(sum(counts) >= 3, "packets counted: " + sum(counts));

            try (BpfProgram drop = BpfProgram.loadClassifier("wt_drop", counting(counts.fd(), Helper.TC_ACT_SHOT))) {
                nl.attachBpf(index, TcHook.EGRESS, 0x7765, 1, drop.fd(), "wt_drop"); // replaced in place
            }
            assertEquals(1, nl.filters(index, TcHook.EGRESS).size());
            long before = sum(counts);
            assertFalse(ns.tryExec("ping", "-c", "2", "-i", "0.2", "-W", "1", "192.0.2.2").ok(), "dropped on egress");
            assertTrue(sum(counts) >= before + 2, "still counted while dropping");

            assertTrue(nl.detachBpf(index, TcHook.EGRESS, 0x7765, 1));
            assertFalse(nl.detachBpf(index, TcHook.EGRESS, 0x7765, 1), "already gone");
            assertTrue(nl.filters(index, TcHook.EGRESS).isEmpty());
        }
    }

    @Test
    void detachingOursLeavesAnotherFilterOnTheSameHook() {
        int index = nl.requireLink("wt-bpfa").index();
        try (BpfMap counts = BpfMap.create(Bpf.MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 0, "wt_counts");
             BpfProgram p = BpfProgram.loadClassifier("wt_ours", counting(counts.fd(), Helper.TC_ACT_OK))) {
            nl.addClsact(index);
            ns.exec("tc", "filter", "add", "dev", "wt-bpfa", "ingress", "prio", "10", "protocol", "all",
                    "u32", "match", "u32", "0", "0", "flowid", "1:1").orThrow();
            nl.attachBpf(index, TcHook.INGRESS, 0x7765, 1, p.fd(), "wt_ours");
            assertEquals(1, nl.filters(index, TcHook.INGRESS).stream().filter(f -> "bpf".equals(f.kind())).count());
            nl.detachBpf(index, TcHook.INGRESS, 0x7765, 1);
            List<TcFilter> left = nl.filters(index, TcHook.INGRESS);
            assertTrue(left.stream().noneMatch(f -> "bpf".equals(f.kind())), left.toString());
            assertTrue(left.stream().anyMatch(f -> "u32".equals(f.kind()) && f.priority() == 10), left.toString());
        }
    }

    @Test
    void aRefusedProgramCarriesTheVerifierLog() {
        // reads R2 before anything wrote it
        List<Insn> bad = new BpfAssembler().mov(R0, R2).exit().assemble();
        BpfException e = assertThrows(BpfException.class, () -> BpfProgram.loadClassifier("wt_bad", bad));
        assertEquals("EACCES", e.errno().name());
        assertTrue(e.verifierLog().contains("R2 !read_ok"), e.verifierLog());
        assertTrue(e.getMessage().contains("R2 !read_ok"), e.getMessage());
    }

    @Test
    void mapsInsertReplaceAndRemove() {
        try (BpfMap m = BpfMap.create(Bpf.MAP_TYPE_HASH, 4, 4, 4, 0, "wt_hash")) {
            byte[] k = {10, 0, 0, 1};
            m.put(k, new byte[] {1, 2, 3, 4});
            m.put(k, new byte[] {5, 6, 7, 8});
            byte[] v = new byte[4];
            assertTrue(m.get(k, v));
            assertEquals(5, v[0]);
            assertTrue(m.remove(k));
            assertFalse(m.remove(k));
            assertFalse(m.get(k, v));
            assertThrows(IllegalArgumentException.class, () -> m.put(new byte[3], new byte[4]));
        }
    }
}
