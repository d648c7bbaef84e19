package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Set;

/**
 * One route of {@code ip -j route show table T}, normalized: ip omits keys that have their default
 * value, and these fields fill the default in.
 *
 * @param type     unicast (ip omits "type" for unicast), blackhole, unreachable, prohibit, local, broadcast, ...
 * @param dst      prefix, or "default" for 0/0 (ip prints a host route without "/32")
 * @param gateway  next hop or null
 * @param dev      output device or null (blackhole routes have none)
 * @param protocol kernel, static, ... ; "boot" when ip omits it (that is what omission means)
 * @param scope    link, host, ... ; "global" when omitted
 * @param prefsrc  preferred source or null
 * @param metric   priority; 0 when omitted (IPv4 routes with priority 0 carry no metric key)
 * @param table    "main", "local", or the number as a string; filled from the queried table when ip omits it
 * @param flags    e.g. onlink, linkdown, dead
 */
public record RouteInfo(String type, String dst, String gateway, String dev, String protocol, String scope,
                        String prefsrc, int metric, String table, Set<String> flags, JsonNode raw) {

    static RouteInfo parse(JsonNode n, String queriedTable) {
        String table = Json.text(n, "table");
        if (table == null) {
            table = queriedTable == null || queriedTable.equals("all") ? "main" : queriedTable;
        }
        String type = Json.text(n, "type");
        String protocol = Json.text(n, "protocol");
        String scope = Json.text(n, "scope");
        Integer metric = Json.integer(n, "metric");
        return new RouteInfo(
                type == null ? "unicast" : type,
                Json.text(n, "dst"),
                Json.text(n, "gateway"),
                Json.text(n, "dev"),
                protocol == null ? "boot" : hostIndependent(protocol),
                scope == null ? "global" : scope,
                Json.text(n, "prefsrc"),
                metric == null ? 0 : metric,
                table,
                Json.stringSet(n.path("flags")),
                n);
    }

    public boolean isDefault() {
        return "default".equals(dst);
    }

    /** Multipath next hops ({@code nexthops} array) or a missing node. */
    public JsonNode nexthops() {
        return raw.path("nexthops");
    }

    /**
     * Weft's own protocol numbers read the same whether or not this host has Weft's
     * rt_protos.d file (which names 87 "weft" and 88 "weft-bgp"; the BGP agent installs it): 87 as
     * the number, 88 by its name. Without this, a test's expectation depends on whether some
     * earlier run installed the file.
     */
    static String hostIndependent(String protocol) {
        return switch (protocol) {
            case "weft" -> "87";
            case "88" -> "weft-bgp";
            default -> protocol;
        };
    }
}
