package dev.weft.flannel.rules;

import dev.weft.exec.CommandRunner;
import dev.weft.firewall.IpFamily;
import dev.weft.firewall.Nft;
import dev.weft.firewall.NftListing;
import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules in nftables (net-conf {@code EnableNFTables}): like flannel's {@code flannel-ipv4} and
 * {@code flannel-ipv6}, one table per family, {@code ip weft-ipv4} and {@code ip6 weft-ipv6}, with
 * two base chains of its own instead of jumps from the built-in ones.
 *
 * <pre>
 * table ip weft-ipv4 {
 *   chain postrtg {                       # = WEFT-POSTRTG and its POSTROUTING jump
 *     type nat hook postrouting priority srcnat; policy accept;
 *     meta mark &amp; 0x00004000 == 0x00004000 return comment "weftd masq"
 *     ip saddr P ip daddr C return comment "weftd masq"
 *     ip saddr C ip daddr P return comment "weftd masq"
 *     ip saddr != C ip daddr P return comment "weftd masq"
 *     ip saddr C ip daddr != 224.0.0.0/4 masquerade fully-random comment "weftd masq"
 *     ip saddr != C ip daddr C masquerade fully-random comment "weftd masq"
 *   }
 *   chain forward {                       # = WEFT-FWD and its FORWARD jump
 *     type filter hook forward priority filter; policy accept;
 *     ip saddr C accept comment "weftd forward"
 *     ip daddr C accept comment "weftd forward"
 *   }
 * }
 * </pre>
 * IPv6 is the same with {@code ip6} and {@code ff00::/8}. The rules mean exactly what the iptables
 * ones mean. flannel's own nftables rules differ in two places that look accidental: the mark
 * test is {@code meta mark 0x4000} (the whole mark equal, not the bit set), and the fourth rule
 * reads {@code saddr != P daddr C}, which returns before the last rule can ever masquerade. As in
 * flannel, an accept here does not override a drop in another base chain (iptables-nft's FORWARD
 * policy): nftables evaluates every base chain on the hook.
 *
 * <p>One {@code nft -f -} transaction per family adds the table and chains (a no-op when they
 * exist), flushes the chains and adds the rules again; a chain the set switches off is added,
 * flushed and deleted in the same transaction, so no step depends on what is there.
 */
public final class NftablesRules implements TrafficRules {
    private static final Logger log = LoggerFactory.getLogger(NftablesRules.class);
    static final String MASQ_CHAIN = "postrtg";
    static final String FORWARD_CHAIN = "forward";
    private static final String MASQ_CHAIN_SPEC = "{ type nat hook postrouting priority 100; policy accept; }";
    private static final String FORWARD_CHAIN_SPEC = "{ type filter hook forward priority 0; policy accept; }";

    private final CommandRunner runner;
    private final Nft nft;
    private Boolean randomFully;
    /**
     * What nft printed for each chain right after it was filled: the reference for isComplete, so a
     * version of nft that prints a rule differently from how we wrote it does not look like drift.
     */
    private final Map<IpFamily, Map<String, Printed>> printed = new EnumMap<>(IpFamily.class);

    private record Printed(List<String> written, List<String> listed) {}

    public NftablesRules(CommandRunner runner) {
        this.runner = runner;
        this.nft = new Nft(runner);
    }

    /** Weft's table of one family: {@code weft-ipv4} or {@code weft-ipv6}, like flannel's {@code flannel-ipv4}. */
    public static String tableName(IpFamily f) {
        return f == IpFamily.IPV4 ? "weft-ipv4" : "weft-ipv6";
    }

    public NftablesRules() {
        this(CommandRunner.local());
    }

    // ---------------------------------------------------------------- the rules

    /** The postrtg rules of one family, in order; empty without ipMasq or the family. */
    public static List<String> masqRulesFor(RuleSet set, IpFamily f) {
        if (!set.ipMasq() || !set.has(f)) {
            return List.of();
        }
        return masqRules(f, set.network(f), set.subnet(f), set.randomFully());
    }

    /** The forward rules of one family, in order; empty without forwardRules or the family. */
    public static List<String> forwardRulesFor(RuleSet set, IpFamily f) {
        if (!set.forwardRules() || !set.has(f)) {
            return List.of();
        }
        String fam = f.nftFamily();
        Cidr c = set.network(f);
        String comment = " comment \"" + RuleSet.FORWARD_COMMENT + "\"";
        return List.of(fam + " saddr " + c + " accept" + comment,
                fam + " daddr " + c + " accept" + comment);
    }

    static List<String> masqRules(IpFamily f, Cidr c, Cidr p, boolean randomFully) {
        String fam = f.nftFamily();
        String comment = " comment \"" + RuleSet.MASQ_COMMENT + "\"";
        String masq = randomFully ? "masquerade fully-random" : "masquerade";
        return List.of(
                "meta mark & 0x00004000 == 0x00004000 return" + comment,
                fam + " saddr " + p + " " + fam + " daddr " + c + " return" + comment,
                fam + " saddr " + c + " " + fam + " daddr " + p + " return" + comment,
                fam + " saddr != " + c + " " + fam + " daddr " + p + " return" + comment,
                fam + " saddr " + c + " " + fam + " daddr != " + f.multicast() + " " + masq + comment,
                fam + " saddr != " + c + " " + fam + " daddr " + c + " " + masq + comment);
    }

    // ---------------------------------------------------------------- TrafficRules

    @Override
    public synchronized void install(RuleSet set) {
        RuleSet effective = effective(set);
        for (IpFamily f : IpFamily.values()) {
            Map<String, List<String>> chains = chains(effective, f);
            if (noRules(chains)) {
                try {
                    deleteTable(f);
                } catch (RulesException e) {
                    log.warn("{}", e.getMessage());
                }
                continue;
            }
            String script = fillScript(f, chains);
            CommandRunner.Result r = nft(n -> n.apply(script));
            if (!r.ok()) {
                // a chain of ours with another type or hook cannot be re-added; start the table afresh
                log.info("nft refused to refill table {} {} ({}); recreating it", f.nftFamily(), tableName(f), r.describe());
                String header = "add table " + table(f) + "\ndelete table " + table(f) + "\n";
                r = nft(n -> n.apply(header + script));
                if (!r.ok()) {
                    throw new RulesException("failed to install the nftables rules: " + r.describe());
                }
            }
            remember(f, chains);
        }
    }

    @Override
    public synchronized boolean isComplete(RuleSet set) {
        RuleSet wanted = effective(set);
        return set.families().stream().allMatch(f -> holds(f, chains(wanted, f)));
    }

    /** True when the family's table lists every wanted chain exactly (chains wanted empty are not checked). */
    private boolean holds(IpFamily f, Map<String, List<String>> chains) {
        if (noRules(chains)) {
            return true;
        }
        CommandRunner.Result r = nft(n -> n.command("list", "table", f.nftFamily(), tableName(f)));
        if (!r.ok()) {
            return false;
        }
        Map<String, List<String>> live = NftListing.ruleTexts(r.stdout());
        for (Map.Entry<String, List<String>> e : chains.entrySet()) {
            List<String> listed = live.get(e.getKey());
            if (!e.getValue().isEmpty()
                    && (listed == null || !listed.equals(expectedListing(f, e.getKey(), e.getValue())))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public synchronized void removeStale(RuleSet previous) {
        for (IpFamily f : previous.masqFamilies()) {
            Set<String> stale = RuleSet.eitherRandomFully(rf -> masqRules(f, previous.network(f), previous.subnet(f), rf));
            CommandRunner.Result r = nft(n -> n.command("-a", "list", "chain", f.nftFamily(), tableName(f), MASQ_CHAIN));
            if (!r.ok()) {
                continue; // no table or chain: nothing stale
            }
            StringBuilder script = new StringBuilder();
            for (NftListing.Rule rule : NftListing.parse(r.stdout()).getOrDefault(MASQ_CHAIN, List.of())) {
                if (rule.handle() >= 0 && stale.contains(rule.text())) {
                    script.append("delete rule ").append(table(f)).append(' ').append(MASQ_CHAIN)
                            .append(" handle ").append(rule.handle()).append('\n');
                }
            }
            if (script.length() > 0) {
                CommandRunner.Result d = nft(n -> n.apply(script.toString()));
                if (!d.ok()) {
                    throw new RulesException("failed to remove the stale nftables masquerade rules: " + d.describe());
                }
            }
        }
    }

    @Override
    public boolean inNfTables() {
        return true;
    }

    @Override
    public synchronized void cleanUp() {
        if (!runner.hasTool("nft")) {
            log.debug("nft is not installed: nothing to clean up");
            return;
        }
        List<String> failures = new ArrayList<>();
        for (IpFamily f : IpFamily.values()) {
            try {
                deleteTable(f);
            } catch (RulesException e) {
                failures.add(e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new RulesException(String.join("; ", failures));
        }
    }

    /** The set as this nft can hold it: without fully-random where nft does not know it. */
    private RuleSet effective(RuleSet set) {
        return set.ipMasq() && set.randomFully() && !supportsRandomFully() ? set.withRandomFully(false) : set;
    }

    /** True when nft accepts {@code masquerade fully-random} (checked with {@code nft -c}, as flannel does). */
    public synchronized boolean supportsRandomFully() {
        if (randomFully == null) {
            String probe = "add table ip weft-probe\n"
                    + "add chain ip weft-probe p " + MASQ_CHAIN_SPEC + "\n"
                    + "add rule ip weft-probe p masquerade fully-random\n";
            randomFully = nft(n -> n.check(probe)).ok();
            if (!randomFully) {
                log.warn("nftables: masquerade fully-random is not supported; using plain masquerade");
            }
        }
        return randomFully;
    }

    // ---------------------------------------------------------------- helpers

    /** True when the set wants nothing in this family's table: the table goes. */
    private static boolean noRules(Map<String, List<String>> chains) {
        return chains.values().stream().allMatch(List::isEmpty);
    }

    private static Map<String, List<String>> chains(RuleSet set, IpFamily f) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put(MASQ_CHAIN, masqRulesFor(set, f));
        m.put(FORWARD_CHAIN, forwardRulesFor(set, f));
        return m;
    }

    private static String table(IpFamily f) {
        return f.nftFamily() + " " + tableName(f);
    }

    private static String fillScript(IpFamily f, Map<String, List<String>> chains) {
        StringBuilder s = new StringBuilder("add table ").append(table(f)).append('\n');
        for (Map.Entry<String, List<String>> e : chains.entrySet()) {
            String chain = table(f) + " " + e.getKey();
            String spec = e.getKey().equals(MASQ_CHAIN) ? MASQ_CHAIN_SPEC : FORWARD_CHAIN_SPEC;
            s.append("add chain ").append(chain).append(' ').append(spec).append('\n');
            s.append("flush chain ").append(chain).append('\n');
            if (e.getValue().isEmpty()) {
                s.append("delete chain ").append(chain).append('\n');
            }
            for (String rule : e.getValue()) {
                s.append("add rule ").append(chain).append(' ').append(rule).append('\n');
            }
        }
        return s.toString();
    }

    private void deleteTable(IpFamily f) {
        // adding first makes the delete succeed whether or not the table exists, in one transaction
        CommandRunner.Result r = nft(n -> n.apply("add table " + table(f) + "\ndelete table " + table(f) + "\n"));
        if (!r.ok()) {
            throw new RulesException("failed to delete nftables table " + table(f) + ": " + r.describe());
        }
        printed.remove(f);
    }

    private void remember(IpFamily f, Map<String, List<String>> chains) {
        Map<String, Printed> m = new LinkedHashMap<>();
        CommandRunner.Result r = nft(n -> n.command("list", "table", f.nftFamily(), tableName(f)));
        if (r.ok()) {
            Map<String, List<String>> live = NftListing.ruleTexts(r.stdout());
            for (Map.Entry<String, List<String>> e : chains.entrySet()) {
                List<String> listed = live.get(e.getKey());
                // only a listing with every rule can stand for the set (someone may have deleted one already)
                if (!e.getValue().isEmpty() && listed != null && listed.size() == e.getValue().size()) {
                    m.put(e.getKey(), new Printed(e.getValue(), listed));
                }
            }
        }
        printed.put(f, m);
    }

    private List<String> expectedListing(IpFamily f, String chain, List<String> written) {
        Printed p = printed.getOrDefault(f, Map.of()).get(chain);
        return p != null && p.written().equals(written) ? p.listed() : written;
    }

    /**
     * Runs one nft call; whatever stops it (nft missing, hanging until killed) becomes a
     * {@link RulesException}, which the keeper logs and retries next period.
     */
    private CommandRunner.Result nft(Function<Nft, CommandRunner.Result> call) {
        try {
            return call.apply(nft);
        } catch (CommandRunner.ToolMissingException | CommandRunner.AbortedException e) {
            throw new RulesException(e.getMessage(), e);
        }
    }
}
