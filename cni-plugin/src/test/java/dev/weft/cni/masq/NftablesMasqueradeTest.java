package dev.weft.cni.masq;

import dev.weft.exec.CommandRunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.ipam.hostlocal.Attachment;
import dev.weft.net.Cidr;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.NftRuleset;
import dev.weft.testkit.TestNetns;
import dev.weft.testkit.KernelTest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nftables backend. Debian's reference plugins (1.1.1) predate it (it came with plugins v1.5), so
 * parity is checked against the reference's own expected states: the {@code nft} transactions its
 * unit test ({@code pkg/ip/ipmasq_nftables_linux_test.go}) asserts for a scenario, loaded into netns A,
 * versus Weft running the same scenario in netns B.
 */
@KernelTest
class NftablesMasqueradeTest {
    private static final String TABLE = "cni_plugins_masquerade";

    private static final String HEAD = """
            add table inet cni_plugins_masquerade { comment "Masquerading for plugins from github.com/containernetworking/plugins" ; }
            add chain inet cni_plugins_masquerade masq_checks { comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet" ; }
            add chain inet cni_plugins_masquerade postrouting { type nat hook postrouting priority 100 ; }
            """;
    private static final String TAIL = """
            add rule inet cni_plugins_masquerade postrouting ip daddr == 224.0.0.0/4  return
            add rule inet cni_plugins_masquerade postrouting ip6 daddr == ff00::/8  return
            add rule inet cni_plugins_masquerade postrouting goto masq_checks
            """;
    private static final String ONE = "add rule inet cni_plugins_masquerade masq_checks ip saddr == 192.168.1.1 ip daddr != 192.168.1.0/24 masquerade comment \"6fd94d501e58f0aa-287fc69eff0574a2, net: unit-test, if: eth0, id: one\"\n";
    private static final String TWO = "add rule inet cni_plugins_masquerade masq_checks ip saddr == 192.168.1.2 ip daddr != 192.168.1.0/24 masquerade comment \"6fd94d501e58f0aa-d750b2c8f0f25d5f, net: unit-test, if: eth0, id: two\"\n";
    private static final String THREE = "add rule inet cni_plugins_masquerade masq_checks ip saddr == 192.168.99.5 ip daddr != 192.168.99.0/24 masquerade comment \"6fd94d501e58f0aa-a4d4adb82b669cfe, net: unit-test, if: eth0, id: three\"\n";
    private static final String ALT = "add rule inet cni_plugins_masquerade masq_checks ip saddr == 10.0.0.5 ip daddr != 10.0.0.0/24 masquerade comment \"82783ef24bdc7036-acb19d111858e348, net: alternate, if: net1, id: three\"\n";
    private static final String FOUR = "add rule inet cni_plugins_masquerade masq_checks ip saddr == 192.168.1.1 ip daddr != 192.168.1.0/24 masquerade comment \"6fd94d501e58f0aa-e766de567ef6c543, net: unit-test, if: eth0, id: four\"\n";

    @Test
    void followsTheReferenceThroughSetupTeardownAndGc(TestNetns a, TestNetns b) {
        NftablesMasquerade m = new NftablesMasquerade(CommandRunner.inNetns(b.name()));
        m.setup("unit-test", "one", "eth0", List.of(Cidr.parse("192.168.1.1/24")));
        m.setup("unit-test", "two", "eth0", List.of(Cidr.parse("192.168.1.2/24")));
        m.setup("unit-test", "three", "eth0", List.of(Cidr.parse("192.168.99.5/24")));
        m.setup("alternate", "three", "net1", List.of(Cidr.parse("10.0.0.5/24")));
        assertSameAsReference(a, b, ONE + TWO + THREE + ALT);

        // "four" gets one's address before one is deleted: deleting one must leave four's rule.
        m.setup("unit-test", "four", "eth0", List.of(Cidr.parse("192.168.1.1/24")));
        m.teardown("unit-test", "one", "eth0", List.of(Cidr.parse("192.168.1.1/24")));
        assertSameAsReference(a, b, TWO + THREE + ALT + FOUR);

        GcResult r = m.gc("unit-test", List.of(Attachment.of("two", "eth0"), Attachment.of("three", "eth0"),
                Attachment.of("one", "eth0")));
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(List.of("four"), r.removed().stream().map(GcResult.Removal::containerId).toList());
        assertTrue(m.gc("alternate", List.of(Attachment.of("three", "net1"))).removed().isEmpty());
        assertSameAsReference(a, b, TWO + THREE + ALT);

        assertEquals(2, m.gc("unit-test", List.of()).removed().size());
        assertEquals(1, m.gc("alternate", List.of()).removed().size());
        assertSameAsReference(a, b, "");
    }

    /** Loads the reference's expected state into {@code a} (afresh) and compares it with {@code b}. */
    private static void assertSameAsReference(TestNetns a, TestNetns b, String masqRules) {
        a.tryExec("nft", "delete", "table", "inet", TABLE);
        a.nft(HEAD + masqRules + TAIL);
        String reference = Rulesets.nftCanonical(a.name());
        assertEquals(masqRules.lines().count(), reference.lines().filter(l -> l.contains("\"masquerade\"")).count());
        assertEquals(reference, Rulesets.nftCanonical(b.name()));
    }

    @Test
    void debianReferenceIgnoresTheNftablesBackend(TestNetns a, TestNetns pod, @TempDir Path data) {
        ReferenceBridge ref = new ReferenceBridge(a, "wtnet", true, "[[{\"subnet\":\"10.213.0.0/24\"}]]", data,
                ",\"ipMasqBackend\":\"nftables\"");
        ref.add("ctr1", pod);
        assertTrue(KernelState.nft(a.name()).table("inet", TABLE).isEmpty(), "1.1.1 has no nftables masquerade");
        assertTrue(Rulesets.natSave(a.name(), "iptables").contains(AttachmentTags.iptablesChain("wtnet", "ctr1")));
    }

    @Test
    void dualStackSetupTwiceAndIdempotentTeardown(TestNetns ns) {
        CountingRunner runner = new CountingRunner(ns.name());
        NftablesMasquerade m = new NftablesMasquerade(runner);
        List<Cidr> addrs = List.of(Cidr.parse("10.1.0.5/24"), Cidr.parse("fd00:1::5/64"));

        long t0 = System.nanoTime();
        m.setup("wtnet", "c1", "eth0", addrs);
        System.out.printf("nftables setup of %s: %d processes, %d us%n", addrs, runner.take(), (System.nanoTime() - t0) / 1000);
        m.setup("wtnet", "c1", "eth0", addrs);
        assertEquals(2, runner.take(), "setup: one list, one transaction");
        List<JsonNode> rules = rules(ns, "masq_checks");
        assertEquals(2, rules.size(), "the repeat replaced, not added: " + rules);
        assertEquals(3, rules(ns, "postrouting").size());
        String comment = AttachmentTags.nftComment("wtnet", "eth0", "c1");
        for (JsonNode r : rules) {
            assertEquals(comment, r.path("comment").asText());
        }
        String text = ns.exec("nft", "list", "chain", "inet", TABLE, "masq_checks").stdout();
        assertTrue(text.contains("ip saddr 10.1.0.5 ip daddr != 10.1.0.0/24 masquerade"), text);
        assertTrue(text.contains("ip6 saddr fd00:1::5 ip6 daddr != fd00:1::/64 masquerade"), text);

        // Another interface of the same pod on the same network is a separate attachment.
        m.setup("wtnet", "c1", "net1", List.of(Cidr.parse("10.2.0.5/24")));
        runner.take();
        t0 = System.nanoTime();
        m.teardown("wtnet", "c1", "eth0", addrs);
        System.out.printf("nftables teardown of %s: %d processes, %d us%n", addrs, runner.take(), (System.nanoTime() - t0) / 1000);
        assertEquals(List.of(AttachmentTags.nftComment("wtnet", "net1", "c1")),
                rules(ns, "masq_checks").stream().map(r -> r.path("comment").asText()).toList());
        m.teardown("wtnet", "c1", "eth0", addrs);
        assertEquals(1, runner.take(), "a repeated teardown only looks");
        m.teardown("wtnet", "c1", "net1", List.of());
        assertTrue(rules(ns, "masq_checks").isEmpty());

        try (TestNetns empty = TestNetns.create()) {
            CountingRunner r2 = new CountingRunner(empty.name());
            new NftablesMasquerade(r2).teardown("wtnet", "never", "eth0", addrs);
            assertEquals(1, r2.take());
            assertTrue(KernelState.nft(empty.name()).isEmpty(), "teardown creates nothing");
        }
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
                fs.add(pool.submit(() -> new NftablesMasquerade(runner)
                        .setup("wtnet", "par-" + k, "eth0", List.of(Cidr.parse("10.77.0." + (10 + k) + "/24")))));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            // Failures include the expected "no such chain" of lists that ran before the first transaction.
            System.out.printf("%d parallel nftables setups: %d processes, %d exited non-zero%n", n, runner.take(),
                    runner.failures());
            assertEquals(n, rules(ns, "masq_checks").size());
            assertEquals(3, rules(ns, "postrouting").size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void forBackendSetsUpWithOneAndCleansBoth(TestNetns ns) {
        CommandRunner runner = CommandRunner.inNetns(ns.name());
        List<Cidr> v4 = List.of(Cidr.parse("10.1.0.5/24"));
        Masquerade.forBackend("nftables", runner).setup("wtnet", "c1", "eth0", v4);
        Masquerade.forBackend("iptables", runner).setup("wtnet", "c2", "eth0", v4);
        Masquerade.forBackend(null, runner).setup("wtnet", "c3", "eth0", List.of(Cidr.parse("10.1.0.6/24")));
        assertEquals(1, rules(ns, "masq_checks").size());
        String chain2 = AttachmentTags.iptablesChain("wtnet", "c2");
        String chain3 = AttachmentTags.iptablesChain("wtnet", "c3");
        assertTrue(Rulesets.natSave(ns.name(), "iptables").contains(chain3), "the default is iptables here");

        // A pod set up with nftables is cleaned up by a plugin configured for iptables, and vice versa.
        CountingRunner counting = new CountingRunner(ns.name());
        Masquerade.forBackend("iptables", counting).teardown("wtnet", "c1", "eth0", v4);
        assertEquals(3, counting.take(), "iptables-save (nothing to restore), nft list, nft -f");
        Masquerade.forBackend("nftables", runner).teardown("wtnet", "c2", "eth0", v4);
        assertTrue(rules(ns, "masq_checks").isEmpty());
        assertFalse(Rulesets.natSave(ns.name(), "iptables").contains(chain2));

        Masquerade.forBackend("nftables", runner).setup("wtnet", "c4", "eth0", v4);
        GcResult r = Masquerade.forBackend("nftables", runner).gc("wtnet", List.of());
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(2, r.removed().size(), r.removed().toString());
        assertTrue(rules(ns, "masq_checks").isEmpty());
        assertFalse(Rulesets.natSave(ns.name(), "iptables").contains("CNI-"));
    }

    private static List<JsonNode> rules(TestNetns ns, String chain) {
        NftRuleset rs = KernelState.nft(ns.name());
        return rs.rules("inet", TABLE, chain);
    }
}
