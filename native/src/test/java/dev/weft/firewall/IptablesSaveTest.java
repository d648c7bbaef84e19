package dev.weft.firewall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.exec.CommandRunner;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The toolkit against what the real tools print and read, in a test namespace: rules with awkward
 * comments, negations, gotos, implied matches and counters, in two tables, for both families, on
 * the nf_tables backend ({@code iptables}) and the x_tables one ({@code iptables-legacy}).
 */
@KernelTest
class IptablesSaveTest {
    /** Every character save escapes, blanks, and a quote of each kind. */
    private static final String AWKWARD = "it's \"q\" back\\slash  and\ttab";

    @Test
    void nfTablesBackend(TestNetns ns) {
        for (IpFamily f : IpFamily.values()) {
            roundTrip(ns, f, "");
        }
    }

    @Test
    void legacyBackend(TestNetns ns) {
        for (IpFamily f : IpFamily.values()) {
            roundTrip(ns, f, "-legacy");
        }
    }

    @Test
    void freshNamespaceSavesBuiltInChainsOnly(TestNetns ns) {
        SavedTable nat = new Iptables(CommandRunner.inNetns(ns.name()), IpFamily.IPV4).save("nat");
        assertTrue(nat.hasChain("POSTROUTING"));
        assertEquals(List.of(), nat.rules());
        // Without -t, iptables-nft prints nothing at all for a namespace whose tables do not exist yet.
        String all = ns.exec("iptables-save").stdout();
        assertEquals(List.of(), IptablesSave.parse(all).table("nat").rules());
    }

    private static void roundTrip(TestNetns ns, IpFamily f, String flavour) {
        boolean v4 = f == IpFamily.IPV4;
        String tool = f.iptables() + flavour;
        String host = v4 ? "10.1.0.5" : "fd00:1::5";
        String block = v4 ? "10.1.2.3/16" : "fd00:1::9/48";
        String blockMasked = v4 ? "10.1.0.0/16" : "fd00:1::/48";
        String hostSaved = host + (v4 ? "/32" : "/128");
        String mc = f.multicast().toString();
        ipt(ns, tool, "-t", "nat", "-N", "WT-C");
        ipt(ns, tool, "-t", "nat", "-N", "WT-D");
        // The order the reference CNI plugin passes options in, not the order save prints them.
        ipt(ns, tool, "-t", "nat", "-A", "WT-C", "-s", host, "-j", "ACCEPT", "-m", "comment", "--comment", "plain");
        ipt(ns, tool, "-t", "nat", "-A", "WT-C", "-m", "comment", "--comment", AWKWARD, "!", "-d", mc,
                "-j", "MASQUERADE", "--random-fully");
        ipt(ns, tool, "-t", "nat", "-A", "WT-C", "-m", "comment", "--comment", "", "-j", "RETURN");
        ipt(ns, tool, "-t", "nat", "-A", "POSTROUTING", "-s", block, "-j", "WT-C", "-m", "comment", "--comment", "x -j WT-D y");
        ipt(ns, tool, "-t", "nat", "-A", "WT-D", "-g", "WT-C");
        ipt(ns, tool, "-t", "filter", "-A", "FORWARD", "!", "-i", "wt-in", "-o", "wt-out", "-m", "comment",
                "--comment", "a b", "-j", "ACCEPT");
        ipt(ns, tool, "-t", "filter", "-A", "FORWARD", "-p", "tcp", "--dport", "80", "-j", "ACCEPT");
        ipt(ns, tool, "-t", "filter", "-A", "FORWARD", "-j", "ACCEPT");

        // Both tables in one dump, with counters.
        String dump = ns.exec(tool + "-save", "-c").stdout();
        IptablesSave save = IptablesSave.parse(dump);
        SavedTable nat = save.table("nat");
        SavedTable filter = save.table("filter");
        assertTrue(nat.hasChain("WT-C") && nat.hasChain("WT-D") && filter.hasChain("FORWARD"), dump);

        // Each rule renders back to the very line save printed (counters aside).
        List<String> printed = new ArrayList<>();
        for (String line : dump.split("\n")) {
            if (line.startsWith("[") && line.contains("] -A ")) {
                printed.add(line.substring(line.indexOf(']') + 2));
            }
        }
        List<String> rendered = new ArrayList<>();
        save.tables().values().forEach(t -> t.rules().forEach(r -> rendered.add(r.saveLine())));
        assertEquals(printed, rendered);
        assertEquals(8, rendered.size(), dump);

        List<IptablesRule> c = nat.rules("WT-C");
        assertEquals(List.of("plain", AWKWARD, ""), c.stream().map(IptablesRule::comment).toList());
        assertEquals(List.of("!", "-d", mc), c.get(1).spec().subList(0, 3), "the negation stays with its option");
        assertEquals(List.of("MASQUERADE", "--random-fully"), c.get(1).spec().subList(c.get(1).spec().size() - 2,
                c.get(1).spec().size()));
        assertEquals(List.of("-s", blockMasked), nat.rules("POSTROUTING").get(0).spec().subList(0, 2));
        // A comment that reads like a jump is not one: only the real -j and -g count.
        assertEquals(List.of(nat.rules("POSTROUTING").get(0), nat.rules("WT-D").get(0)), nat.referencing("WT-C"));
        assertEquals(List.of(), nat.referencing("WT-D"));
        assertEquals("a b", filter.rules("FORWARD").get(0).comment());
        assertEquals(List.of("!", "-i", "wt-in", "-o", "wt-out"), filter.rules("FORWARD").get(0).spec().subList(0, 5));

        // -C semantics: the rule as written (reference order, host without prefix, implied -m tcp) is the one saved.
        assertTrue(IptablesRule.of("nat", "WT-C", "-s", host, "-j", "ACCEPT", "-m", "comment", "--comment", "plain")
                .sameRuleAs(c.get(0)));
        assertEquals("-s " + hostSaved, String.join(" ", c.get(0).spec().subList(0, 2)));
        assertTrue(IptablesRule.of("filter", "FORWARD", "-p", "tcp", "--dport", "80", "-j", "ACCEPT")
                .sameRuleAs(filter.rules("FORWARD").get(1)));
        assertFalse(IptablesRule.of("nat", "WT-C", "-s", host, "-j", "ACCEPT", "-m", "comment", "--comment", "Plain")
                .sameRuleAs(c.get(0)));

        // What the toolkit hands to the tools reads back as the same arguments: -C finds the rule,
        // and a restore transaction deletes every rule by its parsed form, then the chains.
        CommandRunner runner = flavour.isEmpty() ? CommandRunner.inNetns(ns.name()) : legacy(ns);
        Iptables tools = new Iptables(runner, f);
        assertTrue(tools.check(c.get(1)), "iptables -C finds the rule with the awkward comment");
        RestoreScript s = new RestoreScript().table("nat");
        nat.referencing("WT-C").forEach(s::delete);
        c.forEach(s::delete);
        s.flushChain("WT-D").deleteChain("WT-D").deleteChain("WT-C");
        s.table("filter");
        filter.rules("FORWARD").forEach(s::delete);
        CommandRunner.Result r = tools.restore(s, true);
        assertTrue(r.ok(), r.describe() + "\n" + s.text());
        SavedTable after = tools.save("nat");
        assertFalse(after.hasChain("WT-C") || after.hasChain("WT-D"), after.toString());
        assertEquals(List.of(), after.rules());
        assertEquals(List.of(), tools.save("filter").rules());
    }

    private static void ipt(TestNetns ns, String tool, String... args) {
        String[] argv = new String[args.length + 2];
        argv[0] = tool;
        argv[1] = "-w";
        System.arraycopy(args, 0, argv, 2, args.length);
        ns.exec(argv);
    }

    /** The toolkit's tool names mapped to their x_tables variants. */
    private static CommandRunner legacy(TestNetns ns) {
        CommandRunner inner = CommandRunner.inNetns(ns.name());
        return new CommandRunner() {
            @Override
            public Result run(List<String> argv, String stdin) {
                List<String> a = new ArrayList<>(argv);
                String t = a.get(0);
                int dash = t.indexOf('-');
                a.set(0, dash < 0 ? t + "-legacy" : t.substring(0, dash) + "-legacy" + t.substring(dash));
                return inner.run(a, stdin);
            }

            @Override
            public boolean hasTool(String program) {
                return inner.hasTool(program);
            }
        };
    }
}
