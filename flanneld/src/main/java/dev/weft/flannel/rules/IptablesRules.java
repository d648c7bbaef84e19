package dev.weft.flannel.rules;

import dev.weft.exec.CommandRunner;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    private static final int ATTEMPTS = 3;
    private static final Pattern VERSION = Pattern.compile("v(\\d+)\\.(\\d+)\\.(\\d+)");

    private final CommandRunner runner;
    private final Map<IpFamily, Boolean> randomFully = new EnumMap<>(IpFamily.class);
    private final Map<IpFamily, Boolean> restoreWait = new EnumMap<>(IpFamily.class);

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
                    apply(f, saved -> removalScript(saved), "remove the " + f.iptables() + " rules");
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
        for (IpFamily f : previous.families()) {
            if (previous.subnet(f) == null) {
                continue;
            }
            // whichever --random-fully form the previous run used
            Set<IptablesRule> candidates = new LinkedHashSet<>(
                    RuleSet.masqRules(f, previous.network(f), previous.subnet(f), true));
            candidates.addAll(RuleSet.masqRules(f, previous.network(f), previous.subnet(f), false));
            apply(f, saved -> deletionScript(f, saved.get("nat"), candidates), "remove the stale " + f.iptables() + " masquerade rules");
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
                apply(f, this::removalScript, "clean up the " + f.iptables() + " rules");
            } catch (RulesException e) {
                failures.add(e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new RulesException(String.join("; ", failures));
        }
    }

    /** True when this family's MASQUERADE target knows {@code --random-fully}; asked once. */
    public synchronized boolean supportsRandomFully(IpFamily f) {
        return randomFully.computeIfAbsent(f, this::probeRandomFully);
    }

    // ---------------------------------------------------------------- planning

    private RuleSet effective(RuleSet set, IpFamily f) {
        return set.ipMasq() && set.randomFully() && !supportsRandomFully(f) ? set.withRandomFully(false) : set;
    }

    private String installScript(IpFamily f, RuleSet set, Map<String, SavedTable> saved) {
        StringBuilder s = new StringBuilder();
        table(s, "nat", RuleSet.MASQ_CHAIN, set.masqRulesFor(f), saved.get("nat"));
        table(s, "filter", RuleSet.FORWARD_CHAIN, set.forwardRulesFor(f), saved.get("filter"));
        return s.toString();
    }

    private static void table(StringBuilder s, String table, String chain, List<IptablesRule> rules, SavedTable saved) {
        if (rules.isEmpty()) {
            removeChain(s, table, chain, saved);
            return;
        }
        s.append('*').append(table).append('\n');
        // with --noflush, declaring a chain creates it or empties it, and touches nothing else
        s.append(':').append(chain).append(" - [0:0]\n");
        for (String ref : saved.referencing(chain)) {
            s.append("-D").append(ref.substring(2)).append('\n');
        }
        for (IptablesRule r : rules) {
            s.append(r.saveLine()).append('\n');
        }
        s.append("COMMIT\n");
    }

    private String removalScript(Map<String, SavedTable> saved) {
        StringBuilder s = new StringBuilder();
        removeChain(s, "nat", RuleSet.MASQ_CHAIN, saved.get("nat"));
        removeChain(s, "filter", RuleSet.FORWARD_CHAIN, saved.get("filter"));
        return s.toString();
    }

    private static void removeChain(StringBuilder s, String table, String chain, SavedTable saved) {
        List<String> refs = saved.referencing(chain);
        if (refs.isEmpty() && !saved.hasChain(chain)) {
            return;
        }
        s.append('*').append(table).append('\n');
        for (String ref : refs) {
            s.append("-D").append(ref.substring(2)).append('\n');
        }
        if (saved.hasChain(chain)) {
            s.append("-F ").append(chain).append('\n');
            s.append("-X ").append(chain).append('\n');
        }
        s.append("COMMIT\n");
    }

    private String deletionScript(IpFamily f, SavedTable nat, Set<IptablesRule> candidates) {
        StringBuilder body = new StringBuilder();
        for (IptablesRule r : candidates) {
            int n = Collections.frequency(nat.rules(r.chain()), r.saveLine());
            if (n == 0 && (r.chain().equals("POSTROUTING") || nat.hasChain(r.chain())) && check(f, r)) {
                n = 1; // present, but printed differently by this iptables
            }
            for (int i = 0; i < n; i++) {
                body.append(r.line("-D")).append('\n');
            }
        }
        return body.length() == 0 ? "" : "*nat\n" + body + "COMMIT\n";
    }

    private boolean complete(IpFamily f, String table, String chain, List<IptablesRule> rules) {
        if (rules.isEmpty()) {
            return true;
        }
        SavedTable saved;
        try {
            saved = save(f, table);
        } catch (RulesException e) {
            log.warn("cannot check the rules: {}", e.getMessage());
            return false;
        }
        if (!saved.hasChain(chain)) {
            return false;
        }
        List<String> expectedOwn = new ArrayList<>();
        boolean allOwnSeen = true;
        for (IptablesRule r : rules) {
            boolean seen = saved.rules(r.chain()).contains(r.saveLine());
            if (r.chain().equals(chain)) {
                expectedOwn.add(r.saveLine());
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
    private void apply(IpFamily f, Function<Map<String, SavedTable>, String> planner, String what) {
        CommandRunner.Result last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            Map<String, SavedTable> saved = Map.of("nat", save(f, "nat"), "filter", save(f, "filter"));
            String script = planner.apply(saved);
            if (script.isEmpty()) {
                return;
            }
            List<String> argv = new ArrayList<>(List.of(f.iptablesRestore(), "--noflush"));
            if (restoreWaits(f)) {
                argv.add("-w");
            }
            log.debug("{} < {}", argv, script);
            last = run(argv, script);
            if (last.ok()) {
                return;
            }
            log.debug("attempt {} to {} failed: {}", attempt, what, last.describe());
        }
        throw new RulesException("failed to " + what + ": " + last.describe());
    }

    private SavedTable save(IpFamily f, String table) {
        CommandRunner.Result r = run(List.of(f.iptablesSave(), "-t", table), null);
        if (!r.ok()) {
            throw new RulesException("cannot read the " + table + " table: " + r.describe());
        }
        // planning against a truncated dump would duplicate jumps or miss what to delete
        if (!r.stdout().contains("*" + table + "\n") || !r.stdout().contains("COMMIT")) {
            throw new RulesException("unexpected output of " + String.join(" ", r.command()) + ": '"
                    + r.stdout().strip() + "'");
        }
        return SavedTable.parse(r.stdout());
    }

    /** {@code iptables -C}: the kernel's own comparison, for rules this iptables prints differently. */
    private boolean check(IpFamily f, IptablesRule r) {
        return run(r.argv(f.iptables(), "-C"), null).ok();
    }

    private CommandRunner.Result run(List<String> argv, String stdin) {
        try {
            return runner.run(argv, stdin);
        } catch (CommandRunner.ToolMissingException e) {
            throw new RulesException(e.getMessage(), e);
        }
    }

    private boolean probeRandomFully(IpFamily f) {
        CommandRunner.Result help = run(List.of(f.iptables(), "-j", "MASQUERADE", "--help"), null);
        if (help.ok()) {
            return help.stdout().contains("--random-fully");
        }
        boolean v = atLeast162(run(List.of(f.iptables(), "--version"), null));
        log.debug("{} -j MASQUERADE --help failed ({}); going by the version: random-fully {}",
                f.iptables(), help.describe(), v);
        return v;
    }

    /** {@code iptables-restore -w} exists from 1.6.2 on, as flannel checks. */
    private synchronized boolean restoreWaits(IpFamily f) {
        return restoreWait.computeIfAbsent(f, k -> atLeast162(run(List.of(k.iptablesRestore(), "--version"), null)));
    }

    static boolean atLeast162(CommandRunner.Result version) {
        Matcher m = VERSION.matcher(version.stdout() + " " + version.stderr());
        if (!version.ok() || !m.find()) {
            return false;
        }
        int a = Integer.parseInt(m.group(1));
        int b = Integer.parseInt(m.group(2));
        int c = Integer.parseInt(m.group(3));
        return a > 1 || (a == 1 && (b > 6 || (b == 6 && c >= 2)));
    }
}
