package dev.weft.cni.routed;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.bridge.BridgeConfig;
import dev.weft.cni.flannel.SubnetEnv;
import dev.weft.cni.skel.Request;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Json;
import dev.weft.cni.spec.Result;
import java.nio.file.Path;

/**
 * weft-routed's configuration. Keys: {@code mtu}, {@code subnetFile} (where FLANNEL_MTU comes
 * from when {@code mtu} is not set), {@code hostVethPrefix}, {@code ipam}, {@code dns}. What only
 * ADD needs ({@link #mtu}, the refusal of {@code ipMasq}) is read by ADD alone, so that DEL of a
 * pod never fails on a subnet file that went away with weftd.
 *
 * @param vethPrefix the host veth names' prefix (Calico's {@code cali}); at most 4 characters so
 *                   that prefix + 11 hex digits fits IFNAMSIZ
 * @param ipamType   the IPAM plugin type, required: a routed pod without an address has no route
 */
record RoutedConfig(String vethPrefix, String ipamType, Result.Dns dns) {
    static final String DEFAULT_PREFIX = "weft";
    static final Path DEFAULT_SUBNET_FILE = Path.of("/run/flannel/subnet.env");
    private static final int MAX_PREFIX = 4;

    static RoutedConfig parse(Request r) {
        JsonNode c = r.config();
        String prefix = Json.text(c, "hostVethPrefix");
        if (prefix == null) {
            prefix = DEFAULT_PREFIX;
        }
        checkPrefix(prefix);
        JsonNode ipam = c.path("ipam");
        String ipamType = ipam.isObject() ? Json.text(ipam, "type") : null;
        if (ipamType == null || ipamType.isEmpty()) {
            throw new CniError(CniError.INVALID_CONFIG, "weft-routed needs an \"ipam\" section with a \"type\"",
                    "a routed pod is reached through its address's host route");
        }
        return new RoutedConfig(prefix, ipamType, BridgeConfig.parseDns(c.path("dns")));
    }

    /** What ADD refuses that DEL must still accept. */
    static void checkForAdd(JsonNode c) {
        if (Json.bool(c, "ipMasq", false)) {
            throw new CniError(CniError.UNSUPPORTED_FIELD, "weft-routed does not masquerade: ipMasq is not supported",
                    "the node's outgoing NAT belongs to weftd (FLANNEL_IPMASQ)");
        }
    }

    /** The veth MTU: {@code mtu} from the config wins; else FLANNEL_MTU of the node daemon's subnet file; else 0 (kernel default). */
    static int mtu(JsonNode c) {
        int mtu = Json.integer(c, "mtu", 0);
        if (mtu != 0) {
            if (mtu < 68 || mtu > 65535) {
                throw new CniError(CniError.INVALID_CONFIG, "invalid mtu " + mtu + " (must be between 68 and 65535)");
            }
            return mtu;
        }
        String file = Json.text(c, "subnetFile");
        if (file == null || file.isEmpty()) {
            // The default file is optional: a node without weftd keeps the kernel's MTU.
            Integer fromEnv = SubnetEnv.mtuOf(DEFAULT_SUBNET_FILE);
            return fromEnv == null ? 0 : fromEnv;
        }
        Integer fromEnv = SubnetEnv.mtuOf(Path.of(file));
        if (fromEnv == null) {
            throw new CniError(CniError.NOT_AVAILABLE, "subnet file " + file + " does not exist or has no FLANNEL_MTU",
                    "set \"mtu\" in the config, or start weftd on this node");
        }
        return fromEnv;
    }

    private static void checkPrefix(String p) {
        boolean ok = !p.isEmpty() && p.length() <= MAX_PREFIX;
        for (int i = 0; ok && i < p.length(); i++) {
            char ch = p.charAt(i);
            ok = ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_';
        }
        if (!ok) {
            throw new CniError(CniError.INVALID_CONFIG, "invalid hostVethPrefix \"" + p + "\"",
                    "1 to " + MAX_PREFIX + " letters, digits, '-' or '_' (11 hex digits follow it in a 15-character name)");
        }
    }
}
