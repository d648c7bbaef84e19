package dev.weft.flannel.rules;

import dev.weft.firewall.IpFamily;
import dev.weft.exec.CommandRunner;

import static dev.weft.flannel.rules.Expected.C4;
import static dev.weft.flannel.rules.Expected.P4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

@KernelTest
class IptablesRulesTest {
    private static final IpFamily V4 = IpFamily.IPV4;
    private static final IpFamily V6 = IpFamily.IPV6;

    private static IptablesRules rules(TestNetns ns) {
        return new IptablesRules(CommandRunner.inNetns(ns.name()));
    }

    private static void assertFlannelsRules(TestNetns ns) {
        assertEquals(Expected.NAT_V4, Fw.rules(ns.name(), V4, "nat"));
        assertEquals(Expected.FILTER_V4, Fw.rules(ns.name(), V4, "filter"));
        assertEquals(Expected.NAT_V6, Fw.rules(ns.name(), V6, "nat"));
        assertEquals(Expected.FILTER_V6, Fw.rules(ns.name(), V6, "filter"));
    }

    @Test
    void installsFlannelsExactLinesForIpv4AndIpv6(TestNetns ns) {
        IptablesRules r = rules(ns);
        assertTrue(r.supportsRandomFully(V4), "this iptables offers --random-fully");
        RuleSet set = Expected.dualStack().build();
        assertFalse(r.isComplete(set));

        r.install(set);

        assertFlannelsRules(ns);
        assertTrue(Fw.chains(ns.name(), V4, "nat").contains("WEFT-POSTRTG"));
        assertTrue(Fw.chains(ns.name(), V6, "filter").contains("WEFT-FWD"));
        assertTrue(r.isComplete(set));
    }

    @Test
    void randomFullyCanBeDisabled(TestNetns ns) {
        IptablesRules r = rules(ns);
        RuleSet set = Expected.dualStack().randomFully(false).build();
        r.install(set);
        assertEquals(Expected.withoutRandomFully(Expected.NAT_V4), Fw.rules(ns.name(), V4, "nat"));
        assertEquals(Expected.withoutRandomFully(Expected.NAT_V6), Fw.rules(ns.name(), V6, "nat"));
        assertTrue(r.isComplete(set));
        assertFalse(r.isComplete(Expected.dualStack().build()), "the --random-fully form is not installed");
    }

    @Test
    void installTwiceLeavesOneCopyInOrder(TestNetns ns) {
        IptablesRules r = rules(ns);
        RuleSet set = Expected.dualStack().build();
        r.install(set);
        r.install(set);
        assertFlannelsRules(ns);
        // a second instance (a restarted daemon) finds them in place and installs the same
        IptablesRules again = rules(ns);
        assertTrue(again.isComplete(set));
        again.install(set);
        assertFlannelsRules(ns);
    }

    @Test
    void keepsForeignRulesAndPutsTheJumpLast(TestNetns ns) {
        Fw.iptables(ns.name(), V4, "-t", "nat", "-A", "POSTROUTING", "-s", "192.168.0.0/16", "-j", "ACCEPT");
        IptablesRules r = rules(ns);
        RuleSet set = Expected.dualStack().build();
        r.install(set);
        Fw.iptables(ns.name(), V4, "-t", "nat", "-A", "POSTROUTING", "-s", "172.16.0.0/12", "-j", "ACCEPT");
        assertTrue(r.isComplete(set));

        r.install(set);

        // flannel deletes and re-appends its jump, so it ends up after rules added meanwhile
        List<String> want = new ArrayList<>();
        want.add("-A POSTROUTING -s 192.168.0.0/16 -j ACCEPT");
        want.add("-A POSTROUTING -s 172.16.0.0/12 -j ACCEPT");
        want.addAll(Expected.NAT_V4);
        assertEquals(want, Fw.rules(ns.name(), V4, "nat"));
    }

    @Test
    void aMissingRuleMakesTheSetIncompleteAndInstallRestoresIt(TestNetns ns) {
        IptablesRules r = rules(ns);
        RuleSet set = Expected.dualStack().build();
        r.install(set);

        Fw.iptables(ns.name(), V4, "-t", "nat", "-D", "WEFT-POSTRTG", "-s", "10.244.0.0/16", "-d", "10.244.3.0/24",
                "-m", "comment", "--comment", "weftd masq", "-j", "RETURN");
        assertFalse(r.isComplete(set));
        r.install(set);
        assertFlannelsRules(ns);

        Fw.iptables(ns.name(), V6, "-t", "filter", "-D", "FORWARD", "-m", "comment", "--comment", "weftd forward",
                "-j", "WEFT-FWD");
        assertFalse(r.isComplete(set));
        r.install(set);
        assertFlannelsRules(ns);

        Fw.iptables(ns.name(), V4, "-t", "filter", "-F", "WEFT-FWD");
        assertFalse(r.isComplete(set));
        r.install(set);
        assertFlannelsRules(ns);
    }

    @Test
    void duplicatesAndForeignRulesInOurChainAreDrift(TestNetns ns) {
        IptablesRules r = rules(ns);
        RuleSet set = Expected.dualStack().build();
        r.install(set);

        Fw.iptables(ns.name(), V4, "-t", "nat", "-A", "POSTROUTING", "-m", "comment", "--comment", "weftd masq",
                "-j", "WEFT-POSTRTG");
        Fw.iptables(ns.name(), V4, "-t", "nat", "-I", "WEFT-POSTRTG", "1", "-s", "10.9.0.0/16", "-j", "RETURN");
        assertFalse(r.isComplete(set), "a rule inserted into our chain changes its order");
        r.install(set);
        assertFlannelsRules(ns);
    }

    @Test
    void switchedOffPartsAreRemoved(TestNetns ns) {
        IptablesRules r = rules(ns);
        r.install(Expected.dualStack().build());

        RuleSet v4NoMasq = RuleSet.builder().ipv4(C4, P4).build();
        r.install(v4NoMasq);

        assertEquals(List.of(), Fw.rules(ns.name(), V4, "nat"));
        assertFalse(Fw.chains(ns.name(), V4, "nat").contains("WEFT-POSTRTG"));
        assertEquals(Expected.FILTER_V4, Fw.rules(ns.name(), V4, "filter"));
        assertEquals(List.of(), Fw.rules(ns.name(), V6, "nat"));
        assertEquals(List.of(), Fw.rules(ns.name(), V6, "filter"));
        assertFalse(Fw.chains(ns.name(), V6, "filter").contains("WEFT-FWD"));
        assertTrue(r.isComplete(v4NoMasq));
    }

    @Test
    void removeStaleDeletesOnlyTheOldMasqueradeRules(TestNetns ns) {
        IptablesRules r = rules(ns);
        RuleSet previous = Expected.dualStack().randomFully(false).build();
        r.install(previous);
        Fw.iptables(ns.name(), V4, "-t", "nat", "-A", "POSTROUTING", "-s", "192.168.0.0/16", "-j", "ACCEPT");

        r.removeStale(previous);

        assertEquals(List.of("-A POSTROUTING -s 192.168.0.0/16 -j ACCEPT"), Fw.rules(ns.name(), V4, "nat"));
        assertEquals(List.of(), Fw.rules(ns.name(), V6, "nat"));
        assertEquals(Expected.FILTER_V4, Fw.rules(ns.name(), V4, "filter"));
        assertEquals(Expected.FILTER_V6, Fw.rules(ns.name(), V6, "filter"));
        r.removeStale(previous); // nothing left to delete: no error

        RuleSet current = Expected.dualStack().ipv4(C4, Cidr.parse("10.244.9.0/24")).build();
        r.install(current);
        List<String> want = new ArrayList<>();
        want.add("-A POSTROUTING -s 192.168.0.0/16 -j ACCEPT");
        Expected.NAT_V4.forEach(l -> want.add(l.replace("10.244.3.0/24", "10.244.9.0/24")));
        assertEquals(want, Fw.rules(ns.name(), V4, "nat"));
        assertEquals(Expected.NAT_V6, Fw.rules(ns.name(), V6, "nat"));
    }

    @Test
    void removeStaleLeavesTheCurrentSubnetsRulesWhenOnlyOneFamilyChanged(TestNetns ns) {
        IptablesRules r = rules(ns);
        RuleSet previous = Expected.dualStack().build();
        r.install(previous);
        RuleSet current = Expected.dualStack().ipv4(C4, Cidr.parse("10.244.9.0/24")).build();

        r.removeStale(RuleSet.staleMasq(previous, current).orElseThrow());

        assertEquals(List.of(), Fw.rules(ns.name(), V4, "nat"));
        assertEquals(Expected.NAT_V6, Fw.rules(ns.name(), V6, "nat"));
    }

    @Test
    void cleanUpRemovesOnlyWeftChainsAndJumps(TestNetns ns) {
        IptablesRules r = rules(ns);
        Fw.iptables(ns.name(), V4, "-t", "nat", "-N", "KUBE-POSTROUTING");
        Fw.iptables(ns.name(), V4, "-t", "nat", "-A", "POSTROUTING", "-j", "KUBE-POSTROUTING");
        Fw.iptables(ns.name(), V6, "-t", "filter", "-A", "FORWARD", "-s", "fd00:99::/64", "-j", "ACCEPT");
        r.install(Expected.dualStack().build());

        r.cleanUp();

        assertEquals(List.of("-A POSTROUTING -j KUBE-POSTROUTING"), Fw.rules(ns.name(), V4, "nat"));
        assertEquals(List.of(), Fw.rules(ns.name(), V4, "filter"));
        assertEquals(List.of(), Fw.rules(ns.name(), V6, "nat"));
        assertEquals(List.of("-A FORWARD -s fd00:99::/64 -j ACCEPT"), Fw.rules(ns.name(), V6, "filter"));
        for (IpFamily f : IpFamily.values()) {
            for (String table : List.of("nat", "filter")) {
                assertTrue(Fw.chains(ns.name(), f, table).stream().noneMatch(c -> c.startsWith("WEFT-")), f + " " + table);
            }
        }
        assertTrue(Fw.chains(ns.name(), V4, "nat").contains("KUBE-POSTROUTING"));
        r.cleanUp(); // again, with nothing there
    }
}
