package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Set;

/**
 * One entry of {@code bridge -j -d link show}: a bridge port.
 *
 * @param master the bridge
 * @param state  STP state: forwarding, disabled, blocking, learning, listening
 */
public record BridgePort(int ifindex, String ifname, String master, String state, boolean hairpin,
                         boolean learning, boolean flood, boolean isolated, boolean neighSuppress,
                         int mtu, Set<String> flags, JsonNode raw) {

    static BridgePort parse(JsonNode n) {
        return new BridgePort(
                n.path("ifindex").asInt(),
                Json.text(n, "ifname"),
                Json.text(n, "master"),
                Json.text(n, "state"),
                n.path("hairpin").asBoolean(false),
                n.path("learning").asBoolean(false),
                n.path("flood").asBoolean(false),
                n.path("isolated").asBoolean(false),
                n.path("neigh_suppress").asBoolean(false),
                n.path("mtu").asInt(),
                Json.stringSet(n.path("flags")),
                n);
    }
}
