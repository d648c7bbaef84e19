package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;
import java.util.Set;

/**
 * One entry of {@code ip -j -d link show}.
 *
 * @param kind        {@code linkinfo.info_kind} (veth, bridge, vxlan, ...) or null for plain devices (lo, physical)
 * @param slaveKind   {@code linkinfo.info_slave_kind} (e.g. "bridge" for a bridge port) or null
 * @param address     MAC address
 * @param flags       e.g. UP, LOWER_UP, BROADCAST, MULTICAST, NOARP, LOOPBACK
 * @param master      name of the master device (bridge) or null
 * @param operstate   UP, DOWN, UNKNOWN, LOWERLAYERDOWN, ...
 * @param linkNetnsId {@code link_netnsid}: set when the peer/lower device lives in another namespace
 * @param linkIndex   {@code link_index}: ifindex of the peer/lower device when it is in another namespace
 * @param link        {@code link}: name of the peer/lower device when it is in the same namespace
 *                    (veth peer, vxlan/vlan lower device), else null
 * @param raw         the whole JSON object
 */
public record LinkInfo(int ifindex, String ifname, String kind, String slaveKind, int mtu, String address,
                       Set<String> flags, String master, String operstate, Integer linkNetnsId,
                       Integer linkIndex, String link, JsonNode raw) {

    static LinkInfo parse(JsonNode n) {
        JsonNode li = n.path("linkinfo");
        return new LinkInfo(
                n.path("ifindex").asInt(),
                n.path("ifname").asText(),
                Json.text(li, "info_kind"),
                Json.text(li, "info_slave_kind"),
                n.path("mtu").asInt(),
                Json.text(n, "address"),
                Json.stringSet(n.path("flags")),
                Json.text(n, "master"),
                Json.text(n, "operstate"),
                Json.integer(n, "link_netnsid"),
                Json.integer(n, "link_index"),
                Json.text(n, "link"),
                n);
    }

    /** Administratively up (flag UP). */
    public boolean isUp() {
        return flags.contains("UP");
    }

    /** Carrier present (flag LOWER_UP). */
    public boolean hasCarrier() {
        return flags.contains("LOWER_UP");
    }

    /** {@code linkinfo.info_data} (kind specific), or a missing node. */
    public JsonNode infoData() {
        return raw.path("linkinfo").path("info_data");
    }

    /** {@code linkinfo.info_slave_data} (e.g. bridge port settings), or a missing node. */
    public JsonNode slaveData() {
        return raw.path("linkinfo").path("info_slave_data");
    }

    /** The vxlan parameters if this is a vxlan device. */
    public Optional<VxlanInfo> vxlan() {
        return "vxlan".equals(kind) ? Optional.of(VxlanInfo.parse(infoData())) : Optional.empty();
    }

    /** The vxlan parameters; throws if this is not a vxlan device. */
    public VxlanInfo vxlanInfo() {
        return vxlan().orElseThrow(() -> new IllegalStateException(ifname + " is not a vxlan device (kind=" + kind + ")"));
    }
}
