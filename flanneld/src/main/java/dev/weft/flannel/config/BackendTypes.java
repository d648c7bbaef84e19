package dev.weft.flannel.config;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The backend names a config may select. */
public final class BackendTypes {
    public static final String VXLAN = "vxlan";
    public static final String HOST_GW = "host-gw";
    public static final String UDP = "udp";
    /** Calico-like routing: the node's subnet announced over BGP (weftd only; flannel has none). */
    public static final String BGP = "bgp";

    /** What weftd implements. */
    public static final List<String> SUPPORTED = List.of(VXLAN, HOST_GW, UDP, BGP);

    /** flannel backends weftd does not implement: named separately so the error says so. */
    private static final Set<String> FLANNEL_ONLY = Set.of(
            "ipip", "wireguard", "ipsec", "alloc", "extension", "tencent-vpc", "ali-vpc", "alivpc",
            "aws-vpc", "awsvpc", "gce");

    /**
     * The documented default. flannel's code (config.go {@code parseBackendType}) actually falls back
     * to "udp" when Backend is missing, which contradicts Documentation/configuration.md; we follow
     * the documentation, since the udp fallback is a known trap (flannel issue #1221).
     */
    public static final String DEFAULT = VXLAN;

    private BackendTypes() {
    }

    /** Normalises a configured type (flannel lower-cases it too) or throws naming Backend.Type. */
    static String check(String type) {
        String t = type.toLowerCase(Locale.ROOT);
        if (SUPPORTED.contains(t)) {
            return t;
        }
        if (FLANNEL_ONLY.contains(t)) {
            throw new ConfigException("Backend.Type", "backend type \"" + type
                    + "\" is not supported by weftd (supported: " + String.join(", ", SUPPORTED) + ")");
        }
        throw new ConfigException("Backend.Type", "unknown backend type \"" + type
                + "\" (supported: " + String.join(", ", SUPPORTED) + ")");
    }
}
