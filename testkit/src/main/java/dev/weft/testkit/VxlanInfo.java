package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code linkinfo.info_data} of a vxlan device as printed by {@code ip -j -d link show}.
 * Observed keys (iproute2 6.1): id, local|local6, remote|remote6, group|group6, link, port_range{low,high},
 * port, learning, ttl, df, ageing, udp_csum, udp_zero_csum6_tx, udp_zero_csum6_rx; gbp/proxy/l2miss/l3miss/
 * remcsum_* appear only when set (as true).
 *
 * @param id       VNI
 * @param local    local (source) address, v4 or v6, or null
 * @param remote   unicast remote, or null
 * @param group    multicast group, or null
 * @param link     name of the underlying device ({@code dev X}), or null
 * @param port     UDP destination port
 * @param learning false after {@code nolearning}
 * @param udpCsum  {@code udp_csum}
 */
public record VxlanInfo(long id, String local, String remote, String group, String link, Integer port,
                        boolean learning, boolean gbp, boolean udpCsum, boolean proxy, boolean l2miss,
                        boolean l3miss, Integer ttl, Integer ageing, JsonNode raw) {

    static VxlanInfo parse(JsonNode d) {
        return new VxlanInfo(
                d.path("id").asLong(),
                first(d, "local", "local6"),
                first(d, "remote", "remote6"),
                first(d, "group", "group6"),
                Json.text(d, "link"),
                Json.integer(d, "port"),
                d.path("learning").asBoolean(false),
                d.path("gbp").asBoolean(false),
                d.path("udp_csum").asBoolean(false),
                d.path("proxy").asBoolean(false),
                d.path("l2miss").asBoolean(false),
                d.path("l3miss").asBoolean(false),
                Json.integer(d, "ttl"),
                Json.integer(d, "ageing"),
                d);
    }

    private static String first(JsonNode d, String a, String b) {
        String v = Json.text(d, a);
        return v != null ? v : Json.text(d, b);
    }
}
