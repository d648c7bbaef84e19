package dev.weft.cni.masq;

import dev.weft.exec.CommandRunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ipam.hostlocal.Attachment;
import dev.weft.net.Cidr;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The iptables backend against the Debian reference bridge plugin (1.1.1): the reference runs in
 * netns A, Weft in netns B, and the nat tables must come out identical.
 */
@KernelTest
class IptablesMasqueradeTest {
    private static final String NET = "wtnet";

    @Test
    void ipv4MatchesTheReferenceBridge(TestNetns a, TestNetns pod, TestNetns b, @TempDir Path data) {
        ReferenceBridge ref = new ReferenceBridge(a, NET, true, "[[{\"subnet\":\"10.213.0.0/24\"}]]", data, "");
        assertParity(ref, a, pod, b, "ctr-v4", 2, true);
    }

    @Test
    void dualStackMatchesTheReferenceBridge(TestNetns a, TestNetns pod, TestNetns b, @TempDir Path data) {
        ReferenceBridge ref = new ReferenceBridge(a, NET, true,
                "[[{\"subnet\":\"10.213.0.0/24\"}],[{\"subnet\":\"fd00:213::/64\"}]]", data, "");
        assertParity(ref, a, pod, b, "ctr-dual", 4, true);
    }

    @Test
    void twoIpv4AddressesMatchTheReferenceRuleOrder(TestNetns a, TestNetns pod, TestNetns b, @TempDir Path data) {
        // Two v4 ranges: the second ACCEPT follows the MASQUERADE in the shared chain (AppendUnique).
        ReferenceBridge ref = new ReferenceBridge(a, NET, false,
                "[[{\"subnet\":\"10.213.0.0/24\"}],[{\"subnet\":\"10.214.0.0/24\"}]]", data, "");
        // The reference's DEL of such a pod fails (it deletes the chain after the first address's jump,
        // while the second still points at it: EBUSY); ours removes everything in one transaction.
        assertParity(ref, a, pod, b, "ctr-two", 2, false);
    }

    private static void assertParity(ReferenceBridge ref, TestNetns a, TestNetns pod, TestNetns b, String cid,
                                     int expectedSetupProcesses, boolean referenceDelWorks) {
        List<Cidr> addresses = ref.add(cid, pod);
        System.out.printf("reference ADD of %s started %d iptables processes%n", addresses, ref.takeToolCalls().size());
        CountingRunner runner = new CountingRunner(b.name());
        IptablesMasquerade ours = new IptablesMasquerade(runner);

        long t0 = System.nanoTime();
        ours.setup(NET, cid, "eth0", addresses);
        long setupMicros = (System.nanoTime() - t0) / 1000;
        int setupProcesses = runner.take();
        assertEquals(expectedSetupProcesses, setupProcesses, "processes for one setup of " + addresses);
        System.out.printf("iptables setup of %s: %d processes, %d us%n", addresses, setupProcesses, setupMicros);

        String chain = AttachmentTags.iptablesChain(NET, cid);
        String v4 = Rulesets.natSave(a.name(), "iptables");
        assertTrue(v4.contains(":" + chain + " - [0:0]"), v4);
        assertEquals(v4, Rulesets.natSave(b.name(), "iptables"));
        assertEquals(Rulesets.natSave(a.name(), "ip6tables"), Rulesets.natSave(b.name(), "ip6tables"));
        assertEquals(Rulesets.nftCanonical(a.name()), Rulesets.nftCanonical(b.name()));

        String chainName = AttachmentTags.iptablesChain(NET, cid);
        if (!referenceDelWorks) {
            assertTrue(ref.tryDel(cid, pod).stdout().contains("CHAIN_DEL failed (Device or resource busy): chain "
                    + chainName), "the reference's known EBUSY on DEL");
            ours.teardown(NET, cid, "eth0", addresses);
            assertFalse(Rulesets.natSave(b.name(), "iptables").contains("CNI-"));
            return;
        }
        ref.del(cid, pod);
        System.out.printf("reference DEL of %s started %d iptables processes%n", addresses, ref.takeToolCalls().size());
        t0 = System.nanoTime();
        ours.teardown(NET, cid, "eth0", addresses);
        long teardownMicros = (System.nanoTime() - t0) / 1000;
        System.out.printf("iptables teardown of %s: %d processes, %d us%n", addresses, runner.take(), teardownMicros);
        assertFalse(Rulesets.natSave(b.name(), "iptables").contains(chain));
        assertEquals(Rulesets.natSave(a.name(), "iptables"), Rulesets.natSave(b.name(), "iptables"));
        assertEquals(Rulesets.natSave(a.name(), "ip6tables"), Rulesets.natSave(b.name(), "ip6tables"));
        assertEquals(Rulesets.nftCanonical(a.name()), Rulesets.nftCanonical(b.name()));
    }

    @Test
    void setupTwiceAddsNothingAndTeardownIsIdempotent(TestNetns ns) {
        CountingRunner runner = new CountingRunner(ns.name());
        IptablesMasquerade m = new IptablesMasquerade(runner);
        List<Cidr> addrs = List.of(Cidr.parse("10.1.0.5/24"), Cidr.parse("fd00:1::5/64"));

        m.setup(NET, "c1", "eth0", addrs);
        String v4 = Rulesets.natSave(ns.name(), "iptables");
        String v6 = Rulesets.natSave(ns.name(), "ip6tables");
        runner.take();
        m.setup(NET, "c1", "eth0", addrs);
        assertEquals(2, runner.take(), "a repeated setup only looks (one save per family)");
        assertEquals(v4, Rulesets.natSave(ns.name(), "iptables"));
        assertEquals(v6, Rulesets.natSave(ns.name(), "ip6tables"));
        assertEquals(3, count(v4, AttachmentTags.iptablesComment(NET, "c1").replace("\"", "\\\"")));

        m.teardown(NET, "c1", "eth0", addrs);
        assertEquals(4, runner.take(), "teardown: one save and one restore per family");
        m.teardown(NET, "c1", "eth0", addrs);
        assertEquals(2, runner.take(), "a repeated teardown only looks");
        m.teardown(NET, "never-set-up", "eth0", List.of(Cidr.parse("10.1.0.9/24")));
        m.teardown(NET, "never-set-up", "eth0", List.of());
        assertFalse(Rulesets.natSave(ns.name(), "iptables").contains("CNI-"));
        assertFalse(Rulesets.natSave(ns.name(), "ip6tables").contains("CNI-"));
    }

    @Test
    void teardownAlsoRemovesTheLegacyPrefixJump(TestNetns ns) {
        IptablesMasquerade m = new IptablesMasquerade(CommandRunner.inNetns(ns.name()));
        Cidr pod = Cidr.parse("10.1.0.5/24");
        m.setup(NET, "c1", "eth0", List.of(pod));
        String chain = AttachmentTags.iptablesChain(NET, "c1");
        // What plugins before 0.8 installed: the source with its prefix.
        ns.exec("iptables", "-w", "-t", "nat", "-A", "POSTROUTING", "-s", "10.1.0.5/24", "-j", chain,
                "-m", "comment", "--comment", AttachmentTags.iptablesComment(NET, "c1"));
        m.teardown(NET, "c1", "eth0", List.of(pod));
        assertFalse(Rulesets.natSave(ns.name(), "iptables").contains(chain));
    }

    @Test
    void gcRemovesOnlyStaleAttachmentsOfItsNetwork(TestNetns ns) {
        IptablesMasquerade m = new IptablesMasquerade(CommandRunner.inNetns(ns.name()));
        m.setup(NET, "c1", "eth0", List.of(Cidr.parse("10.1.0.1/24")));
        m.setup(NET, "c2", "eth0", List.of(Cidr.parse("10.1.0.2/24")));
        m.setup(NET, "c3", "eth0", List.of(Cidr.parse("10.1.0.3/24"), Cidr.parse("fd00:1::3/64")));
        m.setup("othernet", "c2", "eth0", List.of(Cidr.parse("10.9.0.2/24")));
        String before = Rulesets.natSave(ns.name(), "iptables");

        GcResult r = m.gc(NET, List.of(Attachment.of("c1", "eth0")));

        assertTrue(r.ok(), r.errors().toString());
        assertEquals(Set.of("iptables:c2", "iptables:c3", "ip6tables:c3"),
                r.removed().stream().map(x -> x.backend() + ":" + x.containerId()).collect(Collectors.toSet()));
        String v4 = Rulesets.natSave(ns.name(), "iptables");
        String v6 = Rulesets.natSave(ns.name(), "ip6tables");
        for (String gone : List.of(AttachmentTags.iptablesChain(NET, "c2"), AttachmentTags.iptablesChain(NET, "c3"))) {
            assertFalse(v4.contains(gone), v4);
            assertFalse(v6.contains(gone), v6);
        }
        // The valid one and the other network's attachment (same containerID as a stale one) are untouched.
        for (String kept : List.of(AttachmentTags.iptablesChain(NET, "c1"), AttachmentTags.iptablesChain("othernet", "c2"))) {
            assertEquals(linesWith(before, kept), linesWith(v4, kept));
            assertEquals(4, linesWith(v4, kept).size(), v4);
        }
        assertTrue(m.gc(NET, List.of(Attachment.of("c1", "eth0"))).removed().isEmpty(), "a second GC finds nothing");
    }

    @Test
    void parallelSetupsAllLand(TestNetns ns) throws Exception {
        int n = 8;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountingRunner runner = new CountingRunner(ns.name());
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                // One masquerade object per "plugin process", as in real life.
                fs.add(pool.submit(() -> new IptablesMasquerade(runner)
                        .setup(NET, "par-" + k, "eth0", List.of(Cidr.parse("10.77.0." + (10 + k) + "/24")))));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            System.out.printf("%d parallel iptables setups: %d processes, %d failed restores retried%n", n,
                    runner.take(), runner.failures());
            String v4 = Rulesets.natSave(ns.name(), "iptables");
            for (int i = 0; i < n; i++) {
                String chain = AttachmentTags.iptablesChain(NET, "par-" + i);
                assertEquals(4, linesWith(v4, chain).size(), chain + " in\n" + v4);
            }
            fs.clear();
            for (int i = 0; i < n; i++) {
                int k = i;
                fs.add(pool.submit(() -> new IptablesMasquerade(CommandRunner.inNetns(ns.name()))
                        .teardown(NET, "par-" + k, "eth0", List.of(Cidr.parse("10.77.0." + (10 + k) + "/24")))));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            assertFalse(Rulesets.natSave(ns.name(), "iptables").contains("CNI-"));
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<String> linesWith(String save, String s) {
        return save.lines().filter(l -> l.contains(s)).toList();
    }

    private static int count(String text, String s) {
        return (int) text.lines().filter(l -> l.contains(s)).count();
    }
}
