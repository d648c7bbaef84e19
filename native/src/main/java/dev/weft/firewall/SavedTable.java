package dev.weft.firewall;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One table of {@code iptables-save} output: its chains and its rules, in the order printed. */
public final class SavedTable {
    private final String name;
    private final Set<String> chains = new LinkedHashSet<>();
    private final List<IptablesRule> rules = new ArrayList<>();

    SavedTable(String name) {
        this.name = name;
    }

    /** A table the kernel does not have (yet): no chains, no rules. */
    public static SavedTable empty(String name) {
        return new SavedTable(name);
    }

    /** Table {@code name} of save output; empty when the output does not have it. */
    public static SavedTable parse(String name, String saveOutput) {
        return IptablesSave.parse(saveOutput).table(name);
    }

    void addChain(String chain) {
        chains.add(chain);
    }

    void addRule(IptablesRule rule) {
        rules.add(rule);
    }

    public String name() {
        return name;
    }

    public boolean hasChain(String chain) {
        return chains.contains(chain);
    }

    /** Every declared chain, built-in ones included, in the order printed. */
    public Set<String> chains() {
        return Collections.unmodifiableSet(chains);
    }

    /** Every rule, in the order printed. */
    public List<IptablesRule> rules() {
        return Collections.unmodifiableList(rules);
    }

    /** The rules of one chain, in order. */
    public List<IptablesRule> rules(String chain) {
        return rules.stream().filter(r -> r.chain().equals(chain)).toList();
    }

    /**
     * Every rule in another chain that jumps ({@code -j}) or goes ({@code -g}) to {@code chain}:
     * what must be deleted before the chain can be. A rule of the chain itself goes with its flush.
     */
    public List<IptablesRule> referencing(String chain) {
        return rules.stream().filter(r -> !r.chain().equals(chain) && chain.equals(r.target())).toList();
    }

    @Override
    public String toString() {
        return "*" + name + " " + chains + " " + rules.size() + " rules";
    }

    /** Tables of one save output, by name. */
    static Map<String, SavedTable> newTables() {
        return new LinkedHashMap<>();
    }
}
