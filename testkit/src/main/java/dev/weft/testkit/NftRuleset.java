package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code nft -j list ruleset} output: {@code {"nftables":[{"metainfo":{..}},{"table":{..}},{"chain":{..}},
 * {"rule":{..}},{"set":{..}}, ...]}}. Helpers return the inner objects (e.g. the value of "chain").
 */
public record NftRuleset(JsonNode root) {

    /** Every inner object of the given type ("table", "chain", "rule", "set", "map", "element", "flowtable", ...). */
    public List<JsonNode> objects(String type) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : root.path("nftables")) {
            JsonNode v = e.get(type);
            if (v != null) {
                out.add(v);
            }
        }
        return out;
    }

    public List<JsonNode> tables() {
        return objects("table");
    }

    /** @param family ip, ip6, inet, arp, bridge, netdev */
    public Optional<JsonNode> table(String family, String name) {
        return tables().stream().filter(t -> matches(t, family, null) && name.equals(t.path("name").asText())).findFirst();
    }

    public List<JsonNode> chains(String family, String table) {
        return objects("chain").stream().filter(c -> matches(c, family, table)).toList();
    }

    public Optional<JsonNode> chain(String family, String table, String name) {
        return chains(family, table).stream().filter(c -> name.equals(c.path("name").asText())).findFirst();
    }

    public List<JsonNode> rules(String family, String table, String chain) {
        return objects("rule").stream()
                .filter(r -> matches(r, family, table) && chain.equals(r.path("chain").asText())).toList();
    }

    public List<JsonNode> sets(String family, String table) {
        return objects("set").stream().filter(s -> matches(s, family, table)).toList();
    }

    public Optional<JsonNode> set(String family, String table, String name) {
        return sets(family, table).stream().filter(s -> name.equals(s.path("name").asText())).findFirst();
    }

    public List<JsonNode> maps(String family, String table) {
        return objects("map").stream().filter(s -> matches(s, family, table)).toList();
    }

    /** True if the ruleset holds no tables at all. */
    public boolean isEmpty() {
        return tables().isEmpty();
    }

    private static boolean matches(JsonNode o, String family, String table) {
        return (family == null || family.equals(o.path("family").asText()))
                && (table == null || table.equals(o.path("table").asText()));
    }
}
