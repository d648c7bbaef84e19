package dev.weft.firewall;

import dev.weft.exec.CommandRunner;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The iptables tools of one family ({@code iptables*} or {@code ip6tables*}) through a
 * {@link CommandRunner}: save, restore, check, and the plan-and-apply transaction both the CNI
 * masquerade and weftd use. {@link CommandRunner.ToolMissingException} and
 * {@link CommandRunner.AbortedException} pass through: what they mean is the caller's policy.
 */
public final class Iptables {
    /** A restore fails as a whole if a concurrent writer changed what was planned against: replan. */
    public static final int ATTEMPTS = 3;

    private final CommandRunner runner;
    private final IpFamily family;
    private Boolean restoreWaits;
    private Boolean randomFully;
    private Boolean nfTables;

    public Iptables(CommandRunner runner, IpFamily family) {
        this.runner = runner;
        this.family = family;
    }

    public IpFamily family() {
        return family;
    }

    /** {@code <family>-save -t <table>}; an empty table when the tool prints nothing for it. */
    public SavedTable save(String table) {
        CommandRunner.Result r = runner.run(List.of(family.iptablesSave(), "-t", table), null);
        if (!r.ok()) {
            throw new FirewallException("cannot read the " + table + " table: " + r.describe());
        }
        return IptablesSave.parse(r.stdout()).table(table);
    }

    /** {@code <family>-restore --noflush [-w]} with {@code script}; -w waits for the xtables lock. */
    public CommandRunner.Result restore(RestoreScript script, boolean wait) {
        List<String> argv = wait
                ? List.of(family.iptablesRestore(), "--noflush", "-w")
                : List.of(family.iptablesRestore(), "--noflush");
        return runner.run(argv, script.text());
    }

    /** {@code iptables -C}: the kernel's own comparison, for a rule this iptables may print differently. */
    public boolean check(IptablesRule rule) {
        return runner.run(rule.argv(family.iptables(), "-C"), null).ok();
    }

    /**
     * Saves {@code tables}, plans, and restores what the plan says; an empty plan ends it. A failed
     * restore is planned again against fresh saves, up to {@link #ATTEMPTS} times.
     *
     * @throws FirewallException with the last restore's failure when every attempt failed, or when a
     *                           save failed
     */
    public void transact(List<String> tables, Function<Map<String, SavedTable>, RestoreScript> plan, boolean wait) {
        CommandRunner.Result last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            Map<String, SavedTable> saved = new LinkedHashMap<>();
            for (String t : tables) {
                saved.put(t, save(t));
            }
            RestoreScript script = plan.apply(saved);
            if (script.isEmpty()) {
                return;
            }
            last = restore(script, wait);
            if (last.ok()) {
                return;
            }
            pause(attempt);
        }
        throw new FirewallException(last.describe());
    }

    /** {@code iptables-restore -w} exists from 1.6.2 on (flannel checks the same); asked once. */
    public synchronized boolean restoreWaits() {
        if (restoreWaits == null) {
            restoreWaits = atLeast(runner.run(List.of(family.iptablesRestore(), "--version"), null), 1, 6, 2);
        }
        return restoreWaits;
    }

    /**
     * True when this family's MASQUERADE target knows {@code --random-fully}: asked with
     * {@code -j MASQUERADE --help}, or, if that cannot be asked, from the version (1.6.2); asked once.
     */
    public synchronized boolean supportsRandomFully() {
        if (randomFully == null) {
            CommandRunner.Result help = runner.run(List.of(family.iptables(), "-j", "MASQUERADE", "--help"), null);
            randomFully = help.ok()
                    ? help.stdout().contains("--random-fully")
                    : atLeast(runner.run(List.of(family.iptables(), "--version"), null), 1, 6, 2);
        }
        return randomFully;
    }

    /**
     * True when this family's iptables is the nf_tables flavour: {@code --version} says
     * {@code (nf_tables)} (iptables-legacy says {@code (legacy)}, before 1.8 nothing); asked once.
     */
    public synchronized boolean inNfTables() {
        if (nfTables == null) {
            CommandRunner.Result v = runner.run(List.of(family.iptables(), "--version"), null);
            nfTables = v.ok() && v.stdout().contains("(nf_tables)");
        }
        return nfTables;
    }

    /** True when the {@code vA.B.C} in a {@code --version} output is at least {@code a.b.c}. */
    public static boolean atLeast(CommandRunner.Result version, int a, int b, int c) {
        if (!version.ok()) {
            return false;
        }
        int[] v = versionIn(version.stdout() + " " + version.stderr());
        if (v == null) {
            return false;
        }
        return v[0] != a ? v[0] > a : v[1] != b ? v[1] > b : v[2] >= c;
    }

    /** The first {@code v<digits>.<digits>.<digits>}, by a linear scan. */
    private static int[] versionIn(String s) {
        for (int i = s.indexOf('v'); i >= 0; i = s.indexOf('v', i + 1)) {
            int[] v = new int[3];
            int p = i + 1;
            int k = 0;
            for (; k < 3; k++) {
                int start = p;
                long n = 0;
                while (p < s.length() && Character.isDigit(s.charAt(p)) && p - start < 9) {
                    n = n * 10 + (s.charAt(p) - '0');
                    p++;
                }
                if (p == start || (k < 2 && (p >= s.length() || s.charAt(p) != '.'))) {
                    break;
                }
                v[k] = (int) n;
                p++;
            }
            if (k == 3) {
                return v;
            }
        }
        return null;
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(20L * attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
