package dev.weft.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads kernel networking state with the iproute2/nftables command-line tools ({@code ip -j},
 * {@code bridge -j}, {@code nft -j}) -- independent of Weft's own netlink code. Every method takes the
 * network namespace name to look into; {@code null} means the root namespace.
 *
 * <pre>{@code
 * LinkInfo vx = KernelState.link(ns.name(), "flannel.1").orElseThrow();
 * assertEquals(1, vx.vxlanInfo().id());
 * List<RouteInfo> routes = KernelState.routes(ns.name(), 4, "main");
 * }</pre>
 */
public final class KernelState {
    private KernelState() {}

    static final ObjectMapper MAPPER = new ObjectMapper();

    /** Parses a command's stdout as JSON; empty output (some tools print nothing for "none") is []. */
    public static JsonNode parse(Cmd.Result r) {
        String s = r.stdout().strip();
        if (s.isEmpty()) {
            return MAPPER.createArrayNode();
        }
        try {
            return MAPPER.readTree(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unparseable JSON from `" + String.join(" ", r.command()) + "`: "
                    + e.getOriginalMessage() + "\n" + s, e);
        }
    }

    private static List<String> ip(String ns, String... args) {
        return tool("ip", ns, args);
    }

    private static List<String> bridge(String ns, String... args) {
        return tool("bridge", ns, args);
    }

    private static List<String> tool(String tool, String ns, String... args) {
        List<String> l = new ArrayList<>();
        l.add(tool);
        if (ns != null) {
            l.add("-n");
            l.add(ns);
        }
        l.addAll(List.of(args));
        return l;
    }

    private static JsonNode json(List<String> argv) {
        return parse(Cmd.run(argv));
    }

    // ---------------------------------------------------------------- links

    /** All links ({@code ip -j -d link show}). */
    public static List<LinkInfo> links(String ns) {
        List<LinkInfo> out = new ArrayList<>();
        for (JsonNode n : json(ip(ns, "-j", "-d", "link", "show"))) {
            out.add(LinkInfo.parse(n));
        }
        return out;
    }

    /** One link by name, or empty if there is no such device. */
    public static Optional<LinkInfo> link(String ns, String name) {
        Cmd.Result r = Cmd.tryRun(ip(ns, "-j", "-d", "link", "show", "dev", name));
        if (!r.ok()) {
            if (r.stderr().contains("does not exist") || r.stderr().contains("Cannot find device")) {
                return Optional.empty();
            }
            throw new CmdException(r);
        }
        JsonNode arr = parse(r);
        return arr.size() == 0 ? Optional.empty() : Optional.of(LinkInfo.parse(arr.get(0)));
    }

    /** A link that must exist. */
    public static LinkInfo requireLink(String ns, String name) {
        return link(ns, name).orElseThrow(() -> new AssertionError("no link '" + name + "' in netns " + nsLabel(ns)));
    }

    /** The vxlan parameters of a vxlan device. */
    public static VxlanInfo vxlanInfo(String ns, String name) {
        return requireLink(ns, name).vxlanInfo();
    }

    // ---------------------------------------------------------------- addresses

    /** Addresses of one interface ({@code ip -j addr show dev X}), both families. */
    public static List<AddrInfo> addresses(String ns, String ifname) {
        List<AddrInfo> out = new ArrayList<>();
        for (JsonNode link : json(ip(ns, "-j", "addr", "show", "dev", ifname))) {
            String dev = link.path("ifname").asText(ifname);
            for (JsonNode a : link.path("addr_info")) {
                out.add(AddrInfo.parse(dev, a));
            }
        }
        return out;
    }

    /** Addresses of every interface. */
    public static List<AddrInfo> addresses(String ns) {
        List<AddrInfo> out = new ArrayList<>();
        for (JsonNode link : json(ip(ns, "-j", "addr", "show"))) {
            String dev = link.path("ifname").asText();
            for (JsonNode a : link.path("addr_info")) {
                out.add(AddrInfo.parse(dev, a));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- routes

    /**
     * Routes of one table ({@code ip -j -4|-6 route show table T}).
     *
     * @param family 4, 6, or 0 for both
     * @param table  "main", "local", "all", or a number ("100"); a table that does not exist yet
     *               yields an empty list (ip itself fails with "FIB table does not exist")
     */
    public static List<RouteInfo> routes(String ns, int family, String table) {
        if (family == 0) {
            List<RouteInfo> both = new ArrayList<>(routes(ns, 4, table));
            both.addAll(routes(ns, 6, table));
            return both;
        }
        String fam = familyFlag(family);
        String normalized = switch (table) {
            case "254" -> "main";
            case "255" -> "local";
            case "253" -> "default";
            default -> table;
        };
        Cmd.Result r = Cmd.tryRun(ip(ns, "-j", fam, "route", "show", "table", table));
        if (!r.ok()) {
            if (r.stderr().contains("FIB table does not exist")) {
                return List.of();
            }
            throw new CmdException(r);
        }
        List<RouteInfo> out = new ArrayList<>();
        for (JsonNode n : parse(r)) {
            out.add(RouteInfo.parse(n, normalized));
        }
        return out;
    }

    /** Routes of the main table. */
    public static List<RouteInfo> routes(String ns, int family) {
        return routes(ns, family, "main");
    }

    /** Policy routing rules ({@code ip -j -4|-6 rule show}) as raw JSON objects. */
    public static List<JsonNode> rules(String ns, int family) {
        List<JsonNode> out = new ArrayList<>();
        json(ip(ns, "-j", familyFlag(family), "rule", "show")).forEach(out::add);
        return out;
    }

    // ---------------------------------------------------------------- neighbours / fdb / bridge

    /** Neighbour (ARP/NDP) entries ({@code ip -j neigh show}); family 4, 6 or 0 for both. */
    public static List<NeighInfo> neighbours(String ns, int family) {
        List<String> argv = family == 0 ? ip(ns, "-j", "neigh", "show") : ip(ns, "-j", familyFlag(family), "neigh", "show");
        List<NeighInfo> out = new ArrayList<>();
        for (JsonNode n : json(argv)) {
            out.add(NeighInfo.parse(n, null));
        }
        return out;
    }

    /** Neighbour entries of one device. */
    public static List<NeighInfo> neighbours(String ns, int family, String dev) {
        List<String> argv = family == 0 ? ip(ns, "-j", "neigh", "show", "dev", dev)
                : ip(ns, "-j", familyFlag(family), "neigh", "show", "dev", dev);
        List<NeighInfo> out = new ArrayList<>();
        for (JsonNode n : json(argv)) {
            out.add(NeighInfo.parse(n, dev));
        }
        return out;
    }

    /** Forwarding database entries of one device ({@code bridge -j fdb show dev X}). */
    public static List<FdbInfo> fdb(String ns, String dev) {
        List<FdbInfo> out = new ArrayList<>();
        for (JsonNode n : json(bridge(ns, "-j", "fdb", "show", "dev", dev))) {
            out.add(FdbInfo.parse(n, dev));
        }
        return out;
    }

    /**
     * A vxlan device's permanent IPv4 neighbours and FDB entries with a destination, as
     * {@code "neigh <ip> <mac>"} and {@code "fdb <mac> <dst>"}: what a VTEP programmer keeps per peer.
     */
    public static java.util.Set<String> vtepEntries(String ns, String dev) {
        return vtepEntries(ns, dev, 4);
    }

    /** The same with the neighbours of {@code family} (4 or 6: an IPv6 vxlan device's are IPv6). */
    public static java.util.Set<String> vtepEntries(String ns, String dev, int family) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (NeighInfo nb : neighbours(ns, family, dev)) {
            if (nb.isPermanent()) {
                out.add("neigh " + nb.dst() + " " + nb.lladdr());
            }
        }
        for (FdbInfo f : fdb(ns, dev)) {
            if (f.isPermanent() && f.dst() != null) {
                out.add("fdb " + f.mac() + " " + f.dst());
            }
        }
        return out;
    }

    /** All bridge ports ({@code bridge -j -d link show}). */
    public static List<BridgePort> bridgePorts(String ns) {
        List<BridgePort> out = new ArrayList<>();
        for (JsonNode n : json(bridge(ns, "-j", "-d", "link", "show"))) {
            out.add(BridgePort.parse(n));
        }
        return out;
    }

    /** One bridge port by name. */
    public static Optional<BridgePort> bridgePort(String ns, String ifname) {
        return bridgePorts(ns).stream().filter(p -> ifname.equals(p.ifname())).findFirst();
    }

    // ---------------------------------------------------------------- nftables / sysctl

    /** {@code nft -j list ruleset} inside the namespace. */
    public static JsonNode nftRuleset(String ns) {
        return parse(Cmd.of("nft", "-j", "list", "ruleset").netns(ns).run());
    }

    /** {@link #nftRuleset} wrapped with lookup helpers. */
    public static NftRuleset nft(String ns) {
        return new NftRuleset(nftRuleset(ns));
    }

    /** A sysctl value as seen inside the namespace ({@code sysctl -n key}), trimmed. */
    public static String sysctl(String ns, String key) {
        return Cmd.of("sysctl", "-n", key).netns(ns).run().stdout().strip();
    }

    private static String familyFlag(int family) {
        return switch (family) {
            case 4 -> "-4";
            case 6 -> "-6";
            default -> throw new IllegalArgumentException("family must be 4 or 6: " + family);
        };
    }

    static String nsLabel(String ns) {
        return ns == null ? "<root>" : ns;
    }
}
