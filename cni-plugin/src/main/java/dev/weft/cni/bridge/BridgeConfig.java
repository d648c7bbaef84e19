package dev.weft.cni.bridge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.skel.Request;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Json;
import dev.weft.cni.spec.Result;
import dev.weft.net.MacAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * weft-bridge's configuration, with the reference bridge plugin's keys, defaults and validation.
 *
 * @param vlanFiltering whether the bridge is made VLAN-aware: {@code vlan} set or a {@code vlanTrunk}
 *                      key present (even an empty list), as in the reference
 * @param preserveDefaultVlan keep the bridge's default PVID on the pod's port (the reference's default:
 *                      true); false removes every VLAN the port got on enslaving before ours are added
 * @param ipamType the IPAM plugin type, or null for an L2-only network
 * @param mac      the requested container MAC (runtimeConfig.mac, then args.cni.mac, then CNI_ARGS MAC)
 */
public record BridgeConfig(String bridge, boolean isGateway, boolean isDefaultGateway, boolean forceAddress,
                           boolean ipMasq, String ipMasqBackend, int mtu, boolean hairpinMode, boolean promiscMode,
                           int vlan, VlanTrunk vlanTrunk, boolean vlanFiltering, boolean preserveDefaultVlan,
                           boolean macspoofchk, String ipamType, Result.Dns dns,
                           MacAddress mac) {

    static BridgeConfig parse(Request r) {
        JsonNode c = r.config();
        String bridge = Json.text(c, "bridge");
        if (bridge == null || bridge.isEmpty()) {
            bridge = "cni0";
        }
        boolean defGw = Json.bool(c, "isDefaultGateway", false);
        boolean gw = Json.bool(c, "isGateway", false) || defGw;
        boolean hairpin = Json.bool(c, "hairpinMode", false);
        boolean promisc = Json.bool(c, "promiscMode", false);
        if (hairpin && promisc) {
            throw new CniError(CniError.INVALID_CONFIG, "cannot set hairpin mode and promiscuous mode at the same time");
        }
        int vlan = Json.integer(c, "vlan", 0);
        if (vlan < 0 || vlan > 4094) {
            throw new CniError(CniError.INVALID_CONFIG, "invalid VLAN ID " + vlan + " (must be between 0 and 4094)");
        }
        int mtu = Json.integer(c, "mtu", 0);
        if (mtu < 0 || mtu > 65535) {
            throw new CniError(CniError.INVALID_CONFIG, "invalid mtu " + mtu);
        }
        VlanTrunk trunk = VlanTrunk.parse(c.get("vlanTrunk"));
        // An access port (untagged) or a trunk port (tagged), not both: the reference's rule.
        if (vlan > 0 && !trunk.isEmpty()) {
            throw new CniError(CniError.INVALID_CONFIG, "cannot set vlan and vlanTrunk at the same time");
        }
        boolean vlanFiltering = vlan != 0 || c.hasNonNull("vlanTrunk");
        if (Json.bool(c, "disableContainerInterface", false)) {
            throw new CniError(CniError.UNSUPPORTED_FIELD, "unsupported field: disableContainerInterface");
        }
        String backend = Json.text(c, "ipMasqBackend");
        if (backend != null && !backend.equals("iptables") && !backend.equals("nftables")) {
            throw new CniError(CniError.INVALID_CONFIG, "unknown ipMasqBackend \"" + backend + "\"", "use \"iptables\" or \"nftables\"");
        }
        JsonNode ipam = c.path("ipam");
        String ipamType = ipam.isObject() ? Json.text(ipam, "type") : null;
        return new BridgeConfig(bridge, gw, defGw, Json.bool(c, "forceAddress", false), Json.bool(c, "ipMasq", false),
                backend, mtu, hairpin, promisc, vlan, trunk, vlanFiltering, Json.bool(c, "preserveDefaultVlan", true),
                Json.bool(c, "macspoofchk", false), ipamType == null || ipamType.isEmpty() ? null : ipamType,
                parseDns(c.path("dns")), requestedMac(r));
    }

    /** The config's {@code dns} object (weft-routed reads the same key). */
    public static Result.Dns parseDns(JsonNode d) {
        if (!d.isObject()) {
            return Result.Dns.EMPTY;
        }
        return new Result.Dns(strings(d.path("nameservers")), d.hasNonNull("domain") ? d.get("domain").asText() : null,
                strings(d.path("search")), strings(d.path("options")));
    }

    private static List<String> strings(JsonNode a) {
        List<String> l = new ArrayList<>();
        a.forEach(x -> l.add(x.asText()));
        return l;
    }

    /** MAC precedence as in the reference: runtimeConfig, then args.cni.mac, then CNI_ARGS MAC. */
    private static MacAddress requestedMac(Request r) {
        String s = r.runtimeConfig().path("mac").asText("");
        if (s.isEmpty()) {
            s = r.config().path("args").path("cni").path("mac").asText("");
        }
        if (s.isEmpty() && r.args().get("MAC") != null) {
            s = r.args().get("MAC");
        }
        if (s.isEmpty()) {
            return null;
        }
        try {
            return MacAddress.parse(s);
        } catch (IllegalArgumentException e) {
            throw new CniError(CniError.INVALID_CONFIG, "invalid MAC address \"" + s + "\"", e.getMessage());
        }
    }
}
