package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Set;

/**
 * One {@code addr_info} entry of {@code ip -j addr show}.
 *
 * @param dev       interface name (from the enclosing link object)
 * @param family    "inet" or "inet6"
 * @param local     the address
 * @param scope     global, link, host, ...
 * @param label     IPv4 label or null
 * @param broadcast IPv4 broadcast or null
 * @param peer      peer address ({@code "address"} key, point-to-point) or null
 * @param flags     every key whose value is boolean true, e.g. nodad, secondary, tentative, dadfailed,
 *                  noprefixroute, dynamic, permanent (as ip prints them)
 * @param validLifetime     seconds; 4294967295 = forever
 * @param preferredLifetime seconds; 4294967295 = forever
 */
public record AddrInfo(String dev, String family, String local, int prefixlen, String scope, String label,
                       String broadcast, String peer, Set<String> flags, Long validLifetime,
                       Long preferredLifetime, JsonNode raw) {

    static AddrInfo parse(String dev, JsonNode n) {
        return new AddrInfo(dev,
                Json.text(n, "family"),
                Json.text(n, "local"),
                n.path("prefixlen").asInt(),
                Json.text(n, "scope"),
                Json.text(n, "label"),
                Json.text(n, "broadcast"),
                Json.text(n, "address"),
                Json.trueKeys(n),
                Json.longValue(n, "valid_life_time"),
                Json.longValue(n, "preferred_life_time"),
                n);
    }

    /** {@code local/prefixlen}. */
    public String cidr() {
        return local + "/" + prefixlen;
    }

    public boolean isIpv6() {
        return "inet6".equals(family);
    }
}
