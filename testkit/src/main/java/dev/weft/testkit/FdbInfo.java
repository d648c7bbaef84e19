package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Set;

/**
 * One entry of {@code bridge -j fdb show}.
 *
 * @param dev    {@code ifname}; bridge omits it when filtering by device, then it is the queried device
 * @param dst    remote VTEP (vxlan) or null
 * @param flags  e.g. self, master, extern_learn, offload
 * @param state  "permanent", "static", or "" for dynamically learned entries (bridge prints a string here,
 *               unlike {@code ip neigh} which prints an array)
 */
public record FdbInfo(String mac, String dev, String dst, Integer vlan, String master, Set<String> flags,
                      String state, Integer vni, Integer port, JsonNode raw) {

    static FdbInfo parse(JsonNode n, String dev) {
        String d = Json.text(n, "ifname");
        String state = Json.text(n, "state");
        return new FdbInfo(
                Json.text(n, "mac"),
                d != null ? d : dev,
                Json.text(n, "dst"),
                Json.integer(n, "vlan"),
                Json.text(n, "master"),
                Json.stringSet(n.path("flags")),
                state == null ? "" : state,
                Json.integer(n, "vni"),
                Json.integer(n, "port"),
                n);
    }

    public boolean isPermanent() {
        return "permanent".equals(state);
    }
}
