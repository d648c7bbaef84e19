package dev.weft.cni.masq;

import dev.weft.exec.CommandRunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The iptables backend on iptables-legacy (x_tables), for hosts that have not moved to nf_tables. */
@KernelTest
class LegacyIptablesTest {

    @Test
    void dualStackMatchesTheReferenceOnLegacy(TestNetns a, TestNetns pod, TestNetns b, @TempDir Path data) {
        ReferenceBridge ref = new ReferenceBridge(a, "wtnet", true,
                "[[{\"subnet\":\"10.213.0.0/24\"}],[{\"subnet\":\"fd00:213::/64\"}]]", data, "").withLegacyIptables();
        List<Cidr> addrs = ref.add("ctr-legacy", pod);
        IptablesMasquerade ours = new IptablesMasquerade(new LegacyRunner(CommandRunner.inNetns(b.name())));
        ours.setup("wtnet", "ctr-legacy", "eth0", addrs);
        for (String tool : List.of("iptables-legacy", "ip6tables-legacy")) {
            String save = Rulesets.natSave(a.name(), tool);
            assertTrue(save.contains(AttachmentTags.iptablesChain("wtnet", "ctr-legacy")), save);
            assertEquals(save, Rulesets.natSave(b.name(), tool));
        }
        ref.del("ctr-legacy", pod);
        ours.teardown("wtnet", "ctr-legacy", "eth0", addrs);
        for (String tool : List.of("iptables-legacy", "ip6tables-legacy")) {
            assertEquals(Rulesets.natSave(a.name(), tool), Rulesets.natSave(b.name(), tool));
        }
    }

    @Test
    void parallelSetupsKeepEveryRuleThanksToTheLock(TestNetns ns) throws Exception {
        int n = 8;
        CommandRunner runner = new LegacyRunner(CommandRunner.inNetns(ns.name()));
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                fs.add(pool.submit(() -> new IptablesMasquerade(runner)
                        .setup("wtnet", "par-" + k, "eth0", List.of(Cidr.parse("10.77.0." + (10 + k) + "/24")))));
            }
            for (Future<?> f : fs) {
                f.get();
            }
            String save = Rulesets.natSave(ns.name(), "iptables-legacy");
            for (int i = 0; i < n; i++) {
                String chain = AttachmentTags.iptablesChain("wtnet", "par-" + i);
                assertEquals(4, save.lines().filter(l -> l.contains(chain)).count(), chain + " in\n" + save);
            }
            GcResult r = new IptablesMasquerade(runner).gc("wtnet", List.of());
            assertTrue(r.ok(), r.errors().toString());
            assertEquals(n, r.removed().size());
            assertFalse(Rulesets.natSave(ns.name(), "iptables-legacy").contains("CNI-"));
        } finally {
            pool.shutdownNow();
        }
    }
}
