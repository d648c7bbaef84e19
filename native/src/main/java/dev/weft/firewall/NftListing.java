package dev.weft.firewall;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules of each chain in {@code nft [-a] list table|chain ...} text, as nft prints them, with
 * their handles when listed with {@code -a}. Chain properties ({@code type}, {@code policy},
 * {@code comment}) and sets are not rules and are left out. Linear, line by line.
 */
public final class NftListing {
    private NftListing() {
    }

    /** One rule line without its {@code # handle N}; handle -1 when the listing had none. */
    public record Rule(String text, long handle) {
    }

    /** Chain name to its rules, in the order listed. */
    public static Map<String, List<Rule>> parse(String text) {
        Map<String, List<Rule>> chains = new LinkedHashMap<>();
        List<Rule> current = null;
        int depth = 0;
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            long handle = -1;
            int h = line.lastIndexOf("# handle ");
            if (h >= 0) {
                handle = parseHandle(line.substring(h + 9).strip());
                line = line.substring(0, h).strip();
            }
            if (line.isEmpty()) {
                continue;
            }
            if (line.endsWith("{")) {
                depth++;
                if (depth == 2 && line.startsWith("chain ")) {
                    current = new ArrayList<>();
                    chains.put(line.substring(6, line.length() - 1).strip(), current);
                }
                continue;
            }
            if (line.equals("}")) {
                depth--;
                if (depth < 2) {
                    current = null;
                }
                continue;
            }
            if (current != null && depth == 2 && !line.startsWith("type ") && !line.startsWith("comment ")
                    && !line.startsWith("policy ")) {
                current.add(new Rule(line, handle));
            }
        }
        return chains;
    }

    /** {@link #parse} without the handles. */
    public static Map<String, List<String>> ruleTexts(String text) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        parse(text).forEach((chain, rules) -> out.put(chain, rules.stream().map(Rule::text).toList()));
        return out;
    }

    private static long parseHandle(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
