package dev.weft.flannel.backend.bgp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.json.GoObject;
import dev.weft.net.IpAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The bgp Backend options of the net-conf, read like the rest of it (keys match ignoring case,
 * absent keys keep Calico's defaults, a value of the wrong JSON type is an error). Every error
 * names its field as {@code Backend.<Field>}.
 *
 * @param asNumber               the nodes' AS (default 64512)
 * @param nodeMesh               every node peers with every other bgp node (default true)
 * @param encap                  None (default), IPIP or VXLAN
 * @param crossSubnet            encapsulate only towards nodes outside the own underlay subnet
 * @param peers                  external routers (ToR, fabric)
 * @param routeReflector         reflector settings, or null
 * @param listenPort             BGP port (default 179)
 * @param gracefulRestartSeconds restart time announced to peers; 0 turns graceful restart off (default 120)
 * @param keepaliveSeconds       keepalive interval; the hold time is three times it (default 20)
 */
public record BgpOptions(long asNumber, boolean nodeMesh, Encap encap, boolean crossSubnet, List<ExternalPeer> peers,
                         RouteReflector routeReflector, int listenPort, int gracefulRestartSeconds, int keepaliveSeconds) {
    public static final long DEFAULT_AS = 64512;
    public static final int DEFAULT_GR_SECONDS = 120;
    public static final int DEFAULT_KEEPALIVE = 20;
    public static final int DEFAULT_PORT = 179;
    /** More peers than any ToR design needs; bounds what a net-conf can make weftd do. */
    static final int MAX_PEERS = 256;
    static final int MAX_RR_NODES = 256;

    /**
     * An external BGP peer.
     *
     * @param selector which nodes peer with it
     */
    public record ExternalPeer(IpAddress ip, long asNumber, String password, NodeSelector selector) {
    }

    /**
     * @param clusterId the reflectors' CLUSTER_ID, a dotted quad (Calico uses 244.0.0.1)
     * @param nodes     names of the nodes that reflect
     */
    public record RouteReflector(IpAddress clusterId, List<String> nodes) {
        public RouteReflector {
            nodes = List.copyOf(nodes);
        }

        /** Whether the node of this name reflects (a null name, from an old lease, never does). */
        public boolean includes(String nodeName) {
            return nodeName != null && nodes.contains(nodeName);
        }
    }

    /** Whether the named node is a route reflector. */
    public boolean reflects(String nodeName) {
        return routeReflector != null && routeReflector.includes(nodeName);
    }

    public BgpOptions {
        peers = List.copyOf(peers);
    }

    public static BgpOptions defaults() {
        return new BgpOptions(DEFAULT_AS, true, Encap.NONE, false, List.of(), null, DEFAULT_PORT, DEFAULT_GR_SECONDS,
                DEFAULT_KEEPALIVE);
    }

    /** Parses the raw Backend object (null = all defaults). */
    public static BgpOptions parse(JsonNode backend) {
        if (backend == null || backend.isNull()) {
            return defaults();
        }
        if (!backend.isObject()) {
            throw new BackendException("error decoding bgp backend config: expected an object, got " + GoObject.describe(backend));
        }
        GoObject o = GoObject.of(backend);
        long as = asNumber(o.get("ASNumber"), "Backend.ASNumber", DEFAULT_AS);
        boolean mesh = bool(o.get("NodeMesh"), "Backend.NodeMesh", true);
        Encap encap = Encap.NONE;
        JsonNode e = o.get("Encap");
        if (e != null) {
            encap = Encap.parse(text(e, "Backend.Encap"));
            if (encap == null) {
                throw new BackendException("Backend.Encap: \"" + shorten(e.textValue()) + "\" is not None, IPIP or VXLAN");
            }
        }
        boolean crossSubnet = bool(o.get("CrossSubnet"), "Backend.CrossSubnet", false);
        if (crossSubnet && encap == Encap.NONE) {
            throw new BackendException("Backend.CrossSubnet: needs Encap IPIP or VXLAN (with None nothing is encapsulated)");
        }
        List<ExternalPeer> peers = peers(o.get("Peers"));
        RouteReflector rr = routeReflector(o.get("RouteReflector"));
        int port = integer(o.get("ListenPort"), "Backend.ListenPort", DEFAULT_PORT, 1, 65535);
        int gr = integer(o.get("GracefulRestartSeconds"), "Backend.GracefulRestartSeconds", DEFAULT_GR_SECONDS, 0, 4095);
        int ka = integer(o.get("KeepaliveSeconds"), "Backend.KeepaliveSeconds", DEFAULT_KEEPALIVE, 1, 21845);
        if (!mesh && peers.isEmpty() && rr == null) {
            throw new BackendException("Backend.NodeMesh: false needs Peers or a RouteReflector, or no node learns any route");
        }
        return new BgpOptions(as, mesh, encap, crossSubnet, peers, rr, port, gr, ka);
    }

    /** Hold time sent in OPEN: three keepalives, as RFC 4271 suggests. */
    public int holdSeconds() {
        return keepaliveSeconds * 3;
    }

    private static List<ExternalPeer> peers(JsonNode n) {
        if (n == null) {
            return List.of();
        }
        if (!n.isArray()) {
            throw new BackendException("Backend.Peers: must be an array, got " + GoObject.describe(n));
        }
        if (n.size() > MAX_PEERS) {
            throw new BackendException("Backend.Peers: more than " + MAX_PEERS + " peers");
        }
        List<ExternalPeer> out = new ArrayList<>();
        Set<IpAddress> seen = new HashSet<>();
        for (int i = 0; i < n.size(); i++) {
            String where = "Backend.Peers[" + i + "]";
            JsonNode p = n.get(i);
            if (!p.isObject()) {
                throw new BackendException(where + ": must be an object, got " + GoObject.describe(p));
            }
            GoObject po = GoObject.of(p);
            JsonNode ipNode = po.get("PeerIP");
            if (ipNode == null) {
                throw new BackendException(where + ".PeerIP: required");
            }
            // an IPv6 peer (a ToR's IPv6 session, Calico's BGPPeer with an IPv6 peerIP) needs EnableIPv6: BgpBackend checks
            IpAddress ip = address(text(ipNode, where + ".PeerIP"), where + ".PeerIP").unmap();
            if (!seen.add(ip)) {
                throw new BackendException(where + ".PeerIP: " + ip + " is listed twice");
            }
            if (po.get("ASNumber") == null) {
                throw new BackendException(where + ".ASNumber: required");
            }
            long as = asNumber(po.get("ASNumber"), where + ".ASNumber", 0);
            JsonNode pw = po.get("Password");
            String password = pw == null ? "" : text(pw, where + ".Password");
            if (password.length() > 80 || !password.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                throw new BackendException(where + ".Password: at most 80 printable ASCII characters (a TCP-MD5 key)");
            }
            JsonNode sel = po.get("NodeSelector");
            NodeSelector selector = sel == null ? NodeSelector.ALL : NodeSelector.parse(text(sel, where + ".NodeSelector"),
                    where + ".NodeSelector");
            out.add(new ExternalPeer(ip, as, password, selector));
        }
        return out;
    }

    private static RouteReflector routeReflector(JsonNode n) {
        if (n == null) {
            return null;
        }
        if (!n.isObject()) {
            throw new BackendException("Backend.RouteReflector: must be an object, got " + GoObject.describe(n));
        }
        GoObject o = GoObject.of(n);
        JsonNode c = o.get("ClusterID");
        if (c == null) {
            throw new BackendException("Backend.RouteReflector.ClusterID: required");
        }
        String id = text(c, "Backend.RouteReflector.ClusterID");
        IpAddress cluster = dottedQuad(id);
        if (cluster == null || cluster.toV4Int() == 0) {
            throw new BackendException("Backend.RouteReflector.ClusterID: \"" + shorten(id)
                    + "\" is not a non-zero IPv4 dotted quad (such as 244.0.0.1)");
        }
        JsonNode nodes = o.get("Nodes");
        if (nodes == null || !nodes.isArray() || nodes.isEmpty()) {
            throw new BackendException("Backend.RouteReflector.Nodes: must be a non-empty array of node names");
        }
        if (nodes.size() > MAX_RR_NODES) {
            throw new BackendException("Backend.RouteReflector.Nodes: more than " + MAX_RR_NODES + " names");
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            String name = text(nodes.get(i), "Backend.RouteReflector.Nodes[" + i + "]");
            if (name.isEmpty() || name.length() > 253) {
                throw new BackendException("Backend.RouteReflector.Nodes[" + i + "]: not a node name");
            }
            names.add(name);
        }
        return new RouteReflector(cluster, List.copyOf(names));
    }

    /** Exactly four decimal octets: {@code 244.0.0.1}, not {@code 244.1} nor an IPv6 address. */
    static IpAddress dottedQuad(String s) {
        if (s.length() > 15) {
            return null;
        }
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit) || Integer.parseInt(p) > 255) {
                return null;
            }
        }
        return IpAddress.parse(s);
    }

    private static IpAddress address(String s, String field) {
        if (s.length() > 45) {
            throw new BackendException(field + ": \"" + shorten(s) + "\" is not an IP address");
        }
        try {
            return IpAddress.parse(s);
        } catch (RuntimeException e) {
            throw new BackendException(field + ": \"" + shorten(s) + "\" is not an IP address");
        }
    }

    private static long asNumber(JsonNode n, String field, long dflt) {
        if (n == null) {
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 1 || n.longValue() > 0xFFFF_FFFFL) {
            throw new BackendException(field + ": " + GoObject.describe(n) + " is not an AS number (1..4294967295)");
        }
        return n.longValue();
    }

    private static int integer(JsonNode n, String field, int dflt, int min, int max) {
        if (n == null) {
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < min || n.intValue() > max) {
            throw new BackendException(field + ": " + GoObject.describe(n) + " is not an integer in " + min + ".." + max);
        }
        return n.intValue();
    }

    private static boolean bool(JsonNode n, String field, boolean dflt) {
        if (n == null) {
            return dflt;
        }
        if (!n.isBoolean()) {
            throw new BackendException(field + ": must be a boolean, got " + GoObject.describe(n));
        }
        return n.booleanValue();
    }

    private static String text(JsonNode n, String field) {
        if (!n.isTextual()) {
            throw new BackendException(field + ": must be a string, got " + GoObject.describe(n));
        }
        return n.textValue();
    }

    private static String shorten(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    @Override
    public String toString() {
        return "ASNumber=" + asNumber + " NodeMesh=" + nodeMesh + " Encap=" + encap + " CrossSubnet=" + crossSubnet
                + " Peers=" + peers.size() + " RouteReflector=" + (routeReflector == null ? "none" : routeReflector.clusterId()
                + " " + routeReflector.nodes()) + " ListenPort=" + listenPort + " GracefulRestartSeconds="
                + gracefulRestartSeconds + " KeepaliveSeconds=" + keepaliveSeconds;
    }
}
