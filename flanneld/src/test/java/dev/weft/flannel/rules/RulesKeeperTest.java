package dev.weft.flannel.rules;

import dev.weft.firewall.IpFamily;
import dev.weft.exec.CommandRunner;

import static dev.weft.flannel.rules.Expected.C4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import dev.weft.netlink.NftGeneration;
import dev.weft.netns.NetNs;
import java.util.concurrent.atomic.AtomicInteger;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

@KernelTest
class RulesKeeperTest {
    private static final IpFamily V4 = IpFamily.IPV4;
    private static final IpFamily V6 = IpFamily.IPV6;
    /** flannel's default is 5 s; shortened so each repair is seen quickly. */
    private static final Duration RESYNC = Duration.ofMillis(300);
    /** Bound for one repair: a few periods plus the tools' run time on a loaded 2-core machine. */
    private static final Duration REPAIR = Duration.ofSeconds(10);

    private static boolean iptablesAsExpected(TestNetns ns) {
        return Fw.rules(ns.name(), V4, "nat").equals(Expected.NAT_V4)
                && Fw.rules(ns.name(), V4, "filter").equals(Expected.FILTER_V4)
                && Fw.rules(ns.name(), V6, "nat").equals(Expected.NAT_V6)
                && Fw.rules(ns.name(), V6, "filter").equals(Expected.FILTER_V6);
    }

    @Test
    void restoresIptablesRulesDeletedOrFlushedByHand(TestNetns ns) {
        IptablesRules rules = new IptablesRules(CommandRunner.inNetns(ns.name()));
        try (RulesKeeper keeper = RulesKeeper.start(rules, Expected.dualStack().build(), RESYNC)) {
            assertTrue(iptablesAsExpected(ns), "installed at start");
            assertTrue(keeper.rulesInPlace());
            assertEquals(1, keeper.installs());

            Fw.iptables(ns.name(), V4, "-t", "nat", "-D", "WEFT-POSTRTG", "-m", "mark", "--mark", "0x4000/0x4000",
                    "-m", "comment", "--comment", "weftd masq", "-j", "RETURN");
            Fw.await(REPAIR, "the deleted mark rule is back, in its place", () -> iptablesAsExpected(ns));

            Fw.iptables(ns.name(), V6, "-t", "nat", "-F", "WEFT-POSTRTG");
            Fw.await(REPAIR, "the flushed ip6tables chain is refilled", () -> iptablesAsExpected(ns));

            Fw.iptables(ns.name(), V4, "-t", "filter", "-D", "FORWARD", "-m", "comment", "--comment", "weftd forward",
                    "-j", "WEFT-FWD");
            Fw.await(REPAIR, "the FORWARD jump is back", () -> iptablesAsExpected(ns));
            assertTrue(keeper.installs() >= 4, "each repair reinstalled the set: " + keeper.installs());
            // the last repair's count lands just after its install: wait for it rather than race
            Fw.await(REPAIR, "every reinstall after the start counted as a repairing resync",
                    () -> keeper.resyncs(RulesKeeper.Resync.REPAIRED) == keeper.installs() - 1);
            assertTrue(keeper.resyncs(RulesKeeper.Resync.REPAIRED) >= 3, "each repair is a resync that repaired");
            assertEquals(0, keeper.resyncs(RulesKeeper.Resync.FAILED));
            long inPlace = keeper.resyncs(RulesKeeper.Resync.IN_PLACE);
            Fw.await(REPAIR, "a check that finds everything in place", () -> keeper.resyncs(RulesKeeper.Resync.IN_PLACE) > inPlace);
        }
    }

    @Test
    void restoresNftablesRulesDeletedOrFlushedByHand(TestNetns ns) {
        NftablesRules rules = new NftablesRules(CommandRunner.inNetns(ns.name()));
        RuleSet set = Expected.dualStack().build();
        try (RulesKeeper keeper = RulesKeeper.start(rules, set, RESYNC)) {
            assertTrue(rules.isComplete(set));
            String line = Cmd.of("nft", "-a", "list", "chain", "ip", "weft-ipv4", "postrtg").netns(ns.name()).run()
                    .lines().stream().filter(l -> l.contains("masquerade")).findFirst().orElseThrow();
            String handle = line.substring(line.lastIndexOf("# handle ") + 9).strip();
            Fw.nftScript(ns.name(), "delete rule ip weft-ipv4 postrtg handle " + handle + "\n");
            Fw.await(REPAIR, "the deleted nft rule is back", () ->
                    Expected.NFT_POSTRTG_V4.equals(Fw.nftChains(ns.name(), V4).get("postrtg")));

            Fw.nftScript(ns.name(), "flush chain ip6 weft-ipv6 postrtg\n");
            Fw.await(REPAIR, "the flushed nft chain is refilled", () ->
                    Expected.NFT_POSTRTG_V6.equals(Fw.nftChains(ns.name(), V6).get("postrtg")));

            Fw.nftScript(ns.name(), "delete table ip weft-ipv4\n");
            Fw.await(REPAIR, "the deleted nft table is back", () ->
                    Expected.NFT_FORWARD_V4.equals(Fw.nftChains(ns.name(), V4).get("forward")));
            assertTrue(keeper.rulesInPlace());
        }
    }

    @Test
    void closeStopsCheckingAndLeavesTheRules(TestNetns ns) throws InterruptedException {
        IptablesRules rules = new IptablesRules(CommandRunner.inNetns(ns.name()));
        RulesKeeper keeper = RulesKeeper.start(rules, Expected.dualStack().build(), RESYNC);
        keeper.close();
        assertTrue(iptablesAsExpected(ns), "rules are not removed on shutdown, as flannel");

        Fw.iptables(ns.name(), V4, "-t", "filter", "-F", "WEFT-FWD");
        Thread.sleep(RESYNC.toMillis() * 4);
        assertEquals(List.of(Expected.FILTER_V4.get(0)), Fw.rules(ns.name(), V4, "filter"), "nobody repairs after close");
    }

    @Test
    void startRemovesTheMasqueradeRulesOfTheLastRunWhenTheSubnetChanged(TestNetns ns) {
        CommandRunner run = CommandRunner.inNetns(ns.name());
        RuleSet previous = Expected.dualStack().randomFully(false).build();
        new IptablesRules(run).install(previous);
        new NftablesRules(run).install(previous);
        RuleSet current = Expected.dualStack().ipv4(C4, Cidr.parse("10.244.9.0/24")).build();

        try (RulesKeeper a = RulesKeeper.start(new IptablesRules(run), current, previous, RESYNC);
             RulesKeeper b = RulesKeeper.start(new NftablesRules(run), current, previous, RESYNC)) {
            assertEquals(Expected.NAT_V4.stream().map(l -> l.replace("10.244.3.0/24", "10.244.9.0/24")).toList(),
                    Fw.rules(ns.name(), V4, "nat"));
            assertEquals(Expected.NAT_V6, Fw.rules(ns.name(), V6, "nat"));
            assertEquals(Expected.NFT_POSTRTG_V4.stream().map(l -> l.replace("10.244.3.0/24", "10.244.9.0/24")).toList(),
                    Fw.nftChains(ns.name(), V4).get("postrtg"));
            assertTrue(a.rulesInPlace() && b.rulesInPlace());
        }
    }

    /**
     * With nf_tables' generation as the version, an idle period runs no iptables-save at all; a
     * rule deleted by hand still moves the generation and is repaired as before.
     */
    @Test
    void readsTheRulesBackOnlyWhenTheNfTablesGenerationMoved(TestNetns ns) throws InterruptedException {
        AtomicInteger saves = new AtomicInteger();
        CommandRunner inNs = CommandRunner.inNetns(ns.name());
        CommandRunner counting = new CommandRunner() {
            @Override
            public Result run(List<String> argv, String stdin) {
                if (argv.get(0).endsWith("-save")) {
                    saves.incrementAndGet();
                }
                return inNs.run(argv, stdin);
            }

            @Override
            public boolean hasTool(String program) {
                return inNs.hasTool(program);
            }
        };
        IptablesRules rules = new IptablesRules(counting);
        assertTrue(rules.inNfTables(), "this test needs iptables-nft (Debian's default): `iptables --version` says (nf_tables)");
        try (NetNs handle = NetNs.open(ns.path().toString());
             RulesKeeper keeper = RulesKeeper.start(rules, Expected.dualStack().build(), null, RESYNC,
                     RulesetVersion.nfTables(NftGeneration.open(handle)))) {
            Fw.await(REPAIR, "a first check that reads the rules and finds them in place",
                    () -> keeper.reads() >= 1 && keeper.resyncs(RulesKeeper.Resync.IN_PLACE) >= 1);
            long reads = keeper.reads();
            int savesBefore = saves.get();
            long inPlace = keeper.resyncs(RulesKeeper.Resync.IN_PLACE);
            Thread.sleep(RESYNC.toMillis() * 6);
            assertTrue(keeper.resyncs(RulesKeeper.Resync.IN_PLACE) >= inPlace + 3, "the periods went on, counted in place");
            assertEquals(reads, keeper.reads(), "no period read the rules while nothing changed");
            assertEquals(savesBefore, saves.get(), "no iptables-save ran while nothing changed");

            Fw.iptables(ns.name(), V4, "-t", "filter", "-D", "FORWARD", "-m", "comment", "--comment", "weftd forward",
                    "-j", "WEFT-FWD");
            Fw.await(REPAIR, "the FORWARD jump is back", () -> iptablesAsExpected(ns));
            // the repair's count lands just after its install
            Fw.await(REPAIR, "the change was seen by a read and counted as repaired",
                    () -> keeper.resyncs(RulesKeeper.Resync.REPAIRED) >= 1 && keeper.reads() > reads);
        }
    }
}
