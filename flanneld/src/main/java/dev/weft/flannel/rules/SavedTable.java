package dev.weft.flannel.rules;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One table of {@code iptables-save -t <table>} output: its chains and their rule lines, in order. */
final class SavedTable {
    private final Set<String> chains = new LinkedHashSet<>();
    private final Map<String, List<String>> rules = new LinkedHashMap<>();

    static SavedTable parse(String saveOutput) {
        SavedTable t = new SavedTable();
        for (String raw : saveOutput.split("\n")) {
            String line = raw.strip();
            if (line.startsWith(":")) {
                int sp = line.indexOf(' ');
                t.chains.add(sp < 0 ? line.substring(1) : line.substring(1, sp));
            } else if (line.startsWith("-A ")) {
                int sp = line.indexOf(' ', 3);
                String chain = sp < 0 ? line.substring(3) : line.substring(3, sp);
                t.rules.computeIfAbsent(chain, k -> new ArrayList<>()).add(line);
            }
        }
        return t;
    }

    boolean hasChain(String chain) {
        return chains.contains(chain);
    }

    /** The {@code -A <chain> ...} lines of one chain, in order. */
    List<String> rules(String chain) {
        return Collections.unmodifiableList(rules.getOrDefault(chain, List.of()));
    }

    /** Every rule in another chain that jumps ({@code -j}) or goes ({@code -g}) to {@code chain}. */
    List<String> referencing(String chain) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : rules.entrySet()) {
            if (e.getKey().equals(chain)) {
                continue;
            }
            for (String line : e.getValue()) {
                if (targets(line, chain)) {
                    out.add(line);
                }
            }
        }
        return out;
    }

    private static boolean targets(String line, String chain) {
        for (String flag : new String[] {" -j ", " -g ", " --jump ", " --goto "}) {
            int i = line.indexOf(flag + chain);
            while (i >= 0) {
                int end = i + flag.length() + chain.length();
                if (end == line.length() || line.charAt(end) == ' ') {
                    return true;
                }
                i = line.indexOf(flag + chain, i + 1);
            }
        }
        return false;
    }
}
