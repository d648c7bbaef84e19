package dev.weft.cni.masq;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code nat} table as {@code iptables-save -t nat} printed it: the chain names and the rules
 * in order, each with its original text so that it can be deleted by exactly that spec.
 */
record NatTable(Set<String> chains, List<SavedRule> rules) {

    /** A rule and the text after {@code -A <chain> } on its save line. */
    record SavedRule(IptablesRule rule, String spec) {
    }

    NatTable {
        chains = Set.copyOf(chains);
        rules = List.copyOf(rules);
    }

    /**
     * Reads save output. A table the kernel does not have yet prints nothing, which is an empty
     * table here.
     */
    static NatTable parse(String saveOutput) {
        Set<String> chains = new LinkedHashSet<>();
        List<SavedRule> rules = new ArrayList<>();
        boolean inNat = false;
        for (String raw : saveOutput.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("*")) {
                inNat = line.equals("*nat");
            } else if (!inNat) {
                continue;
            } else if (line.equals("COMMIT")) {
                inNat = false;
            } else if (line.startsWith(":")) {
                int sp = line.indexOf(' ');
                chains.add(sp < 0 ? line.substring(1) : line.substring(1, sp));
            } else if (line.startsWith("-A ")) {
                IptablesRule rule = IptablesRule.parse(IptablesRule.tokenize(line));
                if (rule != null) {
                    int specStart = line.indexOf(' ', 3);
                    rules.add(new SavedRule(rule, specStart < 0 ? "" : line.substring(specStart + 1)));
                }
            }
        }
        return new NatTable(chains, rules);
    }

    boolean hasChain(String chain) {
        return chains.contains(chain);
    }

    /** Rules in {@code chain}, in order. */
    List<SavedRule> rulesIn(String chain) {
        return rules.stream().filter(r -> r.rule().chain().equals(chain)).toList();
    }

    /** Every rule anywhere that jumps to {@code target}. */
    List<SavedRule> jumpsTo(String target) {
        return rules.stream().filter(r -> r.rule().target().equals(target)).toList();
    }
}
