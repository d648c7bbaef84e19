package dev.weft.cni.masq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** Kernel firewall state of a netns in a form two namespaces can be compared in. */
final class Rulesets {
    private Rulesets() {
    }

    /** {@code iptables-save -t nat} (or ip6tables) without the timestamp comments and with counters zeroed. */
    static String natSave(String ns, String tool) {
        String out = Cmd.of(tool + "-save", "-t", "nat").netns(ns).run().stdout();
        StringBuilder sb = new StringBuilder();
        for (String line : out.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            sb.append(line.replaceAll("\\[\\d+:\\d+]", "[0:0]")).append('\n');
        }
        return sb.toString();
    }

    /**
     * {@code nft -j list ruleset} with handles and counter values dropped, tables and chains in name
     * order (listing order follows handles, which depend on history), rules kept in chain order.
     */
    static String nftCanonical(String ns) {
        JsonNode root = KernelState.nftRuleset(ns);
        TreeSet<String> tables = new TreeSet<>();
        Map<String, String> chains = new TreeMap<>();
        Map<String, List<String>> rules = new LinkedHashMap<>();
        for (JsonNode item : root.path("nftables")) {
            if (item.has("table")) {
                tables.add(strip(item.get("table")).toString());
            } else if (item.has("chain")) {
                JsonNode c = item.get("chain");
                chains.put(key(c, c.path("name").asText()), strip(c).toString());
            } else if (item.has("rule")) {
                JsonNode r = item.get("rule");
                rules.computeIfAbsent(key(r, r.path("chain").asText()), k -> new ArrayList<>()).add(strip(r).toString());
            } else if (!item.has("metainfo")) {
                tables.add(item.toString());
            }
        }
        StringBuilder sb = new StringBuilder();
        tables.forEach(t -> sb.append(t).append('\n'));
        chains.forEach((k, c) -> {
            sb.append(c).append('\n');
            rules.getOrDefault(k, List.of()).forEach(r -> sb.append("  ").append(r).append('\n'));
        });
        return sb.toString();
    }

    private static String key(JsonNode o, String chain) {
        return o.path("family").asText() + " " + o.path("table").asText() + " " + chain;
    }

    private static JsonNode strip(JsonNode n) {
        JsonNode copy = n.deepCopy();
        zap(copy);
        return copy;
    }

    private static void zap(JsonNode n) {
        if (n instanceof ObjectNode o) {
            o.remove("handle");
            if (o.has("counter") && o.get("counter").isObject()) {
                o.set("counter", o.objectNode().put("packets", 0).put("bytes", 0));
            }
        }
        for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
            zap(it.next());
        }
    }
}
