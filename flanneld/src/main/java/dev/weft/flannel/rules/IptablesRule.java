package dev.weft.flannel.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One iptables rule: table, chain and the rulespec after {@code -A <chain>}, as separate arguments.
 *
 * @param table {@code nat} or {@code filter}
 * @param chain the chain the rule is appended to
 * @param spec  the match and target arguments, e.g. {@code [-s, 10.244.0.0/16, -j, ACCEPT]}
 */
public record IptablesRule(String table, String chain, List<String> spec) {

    public IptablesRule {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(chain, "chain");
        spec = List.copyOf(spec);
        if (spec.isEmpty()) {
            throw new IllegalArgumentException("empty rulespec");
        }
    }

    public static IptablesRule of(String table, String chain, String... spec) {
        return new IptablesRule(table, chain, List.of(spec));
    }

    /** The chain this rule jumps to ({@code -j X}), or null. */
    public String target() {
        int j = spec.lastIndexOf("-j");
        return j >= 0 && j + 1 < spec.size() ? spec.get(j + 1) : null;
    }

    /**
     * The line {@code iptables-save} prints for this rule, e.g.
     * {@code -A WEFT-FWD -s 10.244.0.0/16 -m comment --comment "weftd forward" -j ACCEPT}.
     * The same text is valid {@code iptables-restore} input.
     */
    public String saveLine() {
        return line("-A");
    }

    /** This rule as an {@code iptables-restore} command line with another operation ({@code -D}). */
    public String line(String op) {
        StringBuilder b = new StringBuilder(op).append(' ').append(chain);
        for (int i = 0; i < spec.size(); i++) {
            String arg = spec.get(i);
            b.append(' ');
            // restore splits on blanks, so a comment with spaces is quoted, exactly as iptables-save prints it
            if (i > 0 && spec.get(i - 1).equals("--comment")) {
                b.append('"').append(arg).append('"');
            } else {
                b.append(arg);
            }
        }
        return b.toString();
    }

    /** Arguments for {@code iptables -w -t <table> <op> <chain> <spec...>} (op: -C, -D, -A). */
    public List<String> argv(String iptables, String op) {
        List<String> a = new ArrayList<>(spec.size() + 6);
        a.addAll(List.of(iptables, "-w", "-t", table, op, chain));
        a.addAll(spec);
        return a;
    }

    @Override
    public String toString() {
        return "-t " + table + " " + saveLine();
    }
}
