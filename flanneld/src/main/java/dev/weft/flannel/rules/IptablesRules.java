package dev.weft.flannel.rules;

import dev.weft.exec.CommandRunner;
import dev.weft.firewall.FirewallException;
import dev.weft.firewall.IpFamily;
import dev.weft.firewall.Iptables;
import dev.weft.firewall.IptablesRule;
import dev.weft.firewall.RestoreScript;
import dev.weft.firewall.SavedTable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules in iptables and ip6tables: nat chain {@code WEFT-POSTRTG} entered from POSTROUTING, and
 * filter chain {@code WEFT-FWD} entered from FORWARD (see {@link RuleSet}).
 *
 * <p>Each change is planned against {@code iptables-save -t <table>} and applied as one
 * {@code iptables-restore --noflush -w} transaction per family. In it our chains are declared
 * ({@code :WEFT-FWD - [0:0]}), which creates them or empties them, and every rule that jumps to
 * them is deleted before the jump is appended again. flannel deletes each existing rule and
 * appends it again to get the same exact order; emptying our own chain does the same in one step,
 * and it also drops anything foreign that was put into it. A transaction that fails because
 * someone else changed the tables meanwhile is planned again.
 *
 * <p>{@code --random-fully} is used only where {@code iptables -j MASQUERADE --help} offers it (or,
 * if that cannot be asked, when iptables is 1.6.2 or newer), and only if the rule set wants it.
 */
public final class IptablesRules implements TrafficRules {
    private static final Logger log = LoggerFactory.getLogger(IptablesRules.class);
    private static final List<String> TABLES = List.of("nat", "filter");

    private final CommandRunner runner;
    private final Map<IpFamily, Iptables> tools = new EnumMap<>(IpFamily.class);

    public IptablesRules(CommandRunner runner) {
        this.runner = runner;
    }

    public IptablesRules() {
        this(CommandRunner.local());
    }

    // ---------------------------------------------------------------- TrafficRules

    @Override
    public synchronized void install(RuleSet set) {
        for (IpFamily f : IpFamily.values()) {
            if (set.has(f)) {
                RuleSet effective = effective(set, f);
                apply(f, saved -> installScript(f, effective, saved), "install the " + f.iptables() + " rules");
            } else if (runner.hasTool(f.iptables())) {
                // a family switched off since the last run: do not leave its rules behind
                try {
                    apply(f, IptablesRules::removalScript, "remove the " + f.iptables() + " rules");
                } catch (RulesException e) {
                    log.warn("{}", e.getMessage());
                }
            }
        }
    }

    @Override
    public synchronized boolean isComplete(RuleSet set) {
        for (IpFamily f : set.families()) {
            RuleSet effective = effective(set, f);
            if (!complete(f, "nat", RuleSet.MASQ_CHAIN, effective.masqRulesFor(f))
                    || !complete(f, "filter", RuleSet.FORWARD_CHAIN, effective.forwardRulesFor(f))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public synchronized void removeStale(RuleSet previous) {
        for (IpFamily f : previous.masqFamilies()) {
            Set<IptablesRule> candidates = RuleSet.eitherRandomFully(
                    rf -> RuleSet.masqRules(f, previous.network(f), previous.subnet(f), rf));
            apply(f, saved -> deletionScript(f, saved.get("nat"), candidates),
                    "remove the stale " + f.iptables() + " masquerade rules");
        }
    }

    @Override
    public synchronized void cleanUp() {
        List<String> failures = new ArrayList<>();
        for (IpFamily f : IpFamily.values()) {
            if (!runner.hasTool(f.iptables())) {
                log.debug("{} is not installed: nothing to clean up", f.iptables());
                continue;
            }
            try {
                apply(f, IptablesRules::removalScript, "clean up the " + f.iptables() + " rules");
            } catch (RulesException e) {
                failures.add(e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new RulesException(String.join("; ", failures));
        }
    }

    /** Both families' iptables are the nf_tables flavour (iptables-nft), as Debian's default is. */
    @Override
    public synchronized boolean inNfTables() {
        for (IpFamily f : IpFamily.values()) {
            try {
                if (!tool(f, "ask for its back end", Iptables::inNfTables)) {
                    return false;
                }
            } catch (RulesException e) {
                return false;
            }
        }
        return true;
    }

    /** True when this family's MASQUERADE target knows {@code --random-fully}; asked once. */
    public synchronized boolean supportsRandomFully(IpFamily f) {
        return tool(f, "ask for --random-fully", Iptables::supportsRandomFully);
    }

    // ---------------------------------------------------------------- planning

    private RuleSet effective(RuleSet set, IpFamily f) {
        return set.ipMasq() && set.randomFully() && !supportsRandomFully(f) ? set.withRandomFully(false) : set;
    }

    private static RestoreScript installScript(IpFamily f, RuleSet set, Map<String, SavedTable> saved) {
        RestoreScript s = new RestoreScript();
        table(s, "nat", RuleSet.MASQ_CHAIN, set.masqRulesFor(f), saved.get("nat"));
        table(s, "filter", RuleSet.FORWARD_CHAIN, set.forwardRulesFor(f), saved.get("filter"));
        return s;
    }

    private static void table(RestoreScript s, String table, String chain, List<IptablesRule> rules, SavedTable saved) {
        if (rules.isEmpty()) {
            removeChain(s, table, chain, saved);
            return;
        }
        // with --noflush, declaring a chain creates it or empties it, and touches nothing else
        s.table(table).declareChain(chain);
        saved.referencing(chain).forEach(s::delete);
        rules.forEach(s::append);
    }

    private static RestoreScript removalScript(Map<String, SavedTable> saved) {
        RestoreScript s = new RestoreScript();
        removeChain(s, "nat", RuleSet.MASQ_CHAIN, saved.get("nat"));
        removeChain(s, "filter", RuleSet.FORWARD_CHAIN, saved.get("filter"));
        return s;
    }

    private static void removeChain(RestoreScript s, String table, String chain, SavedTable saved) {
        List<IptablesRule> refs = saved.referencing(chain);
        if (refs.isEmpty() && !saved.hasChain(chain)) {
            return;
        }
        s.table(table);
        refs.forEach(s::delete);
        if (saved.hasChain(chain)) {
            s.flushChain(chain).deleteChain(chain);
        }
    }

    private RestoreScript deletionScript(IpFamily f, SavedTable nat, Set<IptablesRule> candidates) {
        RestoreScript s = new RestoreScript().table("nat");
        for (IptablesRule r : candidates) {
            int n = Collections.frequency(nat.rules(r.chain()), r);
            if (n == 0 && (r.chain().equals("POSTROUTING") || nat.hasChain(r.chain())) && check(f, r)) {
                n = 1; // present, but printed differently by this iptables
            }
            for (int i = 0; i < n; i++) {
                s.delete(r);
            }
        }
        return s;
    }

    private boolean complete(IpFamily f, String table, String chain, List<IptablesRule> rules) {
        if (rules.isEmpty()) {
            return true;
        }
        SavedTable saved;
        try {
            saved = tool(f, "read the " + table + " table", t -> t.save(table));
        } catch (RulesException e) {
            log.warn("cannot check the rules: {}", e.getMessage());
            return false;
        }
        if (!saved.hasChain(chain)) {
            return false;
        }
        List<IptablesRule> expectedOwn = new ArrayList<>();
        boolean allOwnSeen = true;
        for (IptablesRule r : rules) {
            boolean seen = saved.rules(r.chain()).contains(r);
            if (r.chain().equals(chain)) {
                expectedOwn.add(r);
                allOwnSeen &= seen;
            }
            if (!seen && !check(f, r)) {
                return false;
            }
        }
        // when this iptables prints our rules as we write them, the order can be checked too
        return !allOwnSeen || saved.rules(chain).equals(expectedOwn);
    }

    // ---------------------------------------------------------------- running the tools

    /** Plans against fresh saves and applies; replans if the transaction fails (a concurrent writer). */
    private void apply(IpFamily f, Function<Map<String, SavedTable>, RestoreScript> planner, String what) {
        tool(f, what, t -> {
            t.transact(TABLES, planner, t.restoreWaits());
            return null;
        });
    }

    /** {@code iptables -C}: the kernel's own comparison, for rules this iptables prints differently. */
    private boolean check(IpFamily f, IptablesRule r) {
        return tool(f, "check " + r, t -> t.check(r));
    }

    /**
     * Runs {@code call} on the family's tools; whatever stops it (the tool missing, refusing, hanging
     * until killed) becomes a {@link RulesException}, which the keeper logs and retries next period.
     */
    private <T> T tool(IpFamily f, String what, Function<Iptables, T> call) {
        try {
            return call.apply(tools.computeIfAbsent(f, k -> new Iptables(runner, k)));
        } catch (FirewallException | CommandRunner.ToolMissingException | CommandRunner.AbortedException e) {
            throw new RulesException("failed to " + what + ": " + e.getMessage(), e);
        }
    }
}
