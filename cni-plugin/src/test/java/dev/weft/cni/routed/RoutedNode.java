package dev.weft.cni.routed;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.testing.Cni;
import dev.weft.testkit.AddrInfo;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A test "node" for weft-routed: a namespace with an uplink (a wt- veth with the node's
 * addresses and the default route a real node has: proxy ARP answers for 169.254.1.1 only when
 * the node has a route to it) and an IPAM directory. Closing removes both.
 */
public final class RoutedNode implements AutoCloseable {
    public static final String UPLINK = "wt-up0";
    private static final String UPLINK_PEER = "wt-up1";
    public static final String NODE_V4 = "10.213.99.1";
    public static final String NODE_V6 = "fd00:213:99::1";

    public final TestNetns ns;
    public final Path dataDir;

    private RoutedNode(TestNetns ns, Path dataDir) {
        this.ns = ns;
        this.dataDir = dataDir;
    }

    public static RoutedNode create() {
        TestNetns ns = TestNetns.create("node");
        try {
            // A veth pair with both ends in the node: this kernel has no dummy driver.
            ns.ip("link", "add", UPLINK, "type", "veth", "peer", "name", UPLINK_PEER);
            ns.ip("link", "set", UPLINK_PEER, "up");
            ns.ip("addr", "add", NODE_V4 + "/24", "dev", UPLINK);
            ns.ip("-6", "addr", "add", NODE_V6 + "/64", "dev", UPLINK, "nodad");
            ns.ip("link", "set", UPLINK, "up");
            ns.ip("route", "add", "default", "via", "10.213.99.254", "dev", UPLINK);
            return new RoutedNode(ns, Files.createTempDirectory("wt-routed-ipam"));
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    public String name() {
        return ns.name();
    }

    /** A weft-routed config with host-local IPAM over {@code ranges} (each a subnet), in this node's data dir. */
    public String conf(String version, String extra, String... subnets) {
        StringBuilder ranges = new StringBuilder();
        for (String s : subnets) {
            ranges.append(ranges.length() == 0 ? "" : ",").append("[{\"subnet\":\"").append(s).append("\"}]");
        }
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"wtrouted\",\"type\":\"weft-routed\"" + extra
                + ",\"ipam\":{\"type\":\"weft-host-local\",\"ranges\":[" + ranges + "],\"dataDir\":\"" + dataDir + "\"}}";
    }

    public Cni call(String verb, String id, TestNetns pod) {
        return Cni.plugin("weft-routed").in(ns.name()).attachment(verb, id, pod.path().toString());
    }

    public JsonNode add(String id, TestNetns pod, String conf) {
        return call("ADD", id, pod).config(conf).run().requireOk().json();
    }

    public void del(String id, TestNetns pod, String conf) {
        call("DEL", id, pod).config(conf).run().requireOk();
    }

    /** The node's host veths of weft-routed (any link but lo and the uplink). */
    public List<LinkInfo> podLinks() {
        return KernelState.links(ns.name()).stream().filter(l -> !l.ifname().equals("lo") && !l.ifname().startsWith("wt-up")).toList();
    }

    /** The node's route to exactly one address ({@code ip -j route} prints a host route without its /32). */
    public Optional<RouteInfo> hostRoute(String ip) {
        return KernelState.routes(ns.name(), ip.contains(":") ? 6 : 4).stream().filter(r -> ip.equals(r.dst())).findFirst();
    }

    /** Reserved addresses in the IPAM directory. */
    public long reservations() throws IOException {
        Path d = dataDir.resolve("wtrouted");
        if (!Files.isDirectory(d)) {
            return 0;
        }
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("lock") && !n.startsWith("last_reserved_ip")).count();
        }
    }

    /** Global (non-link) addresses of a link. */
    public static List<String> globalAddresses(String ns, String dev) {
        return KernelState.addresses(ns, dev).stream().filter(a -> !"link".equals(a.scope())).map(AddrInfo::cidr).toList();
    }

    /** An address without its prefix. */
    public static String ip(JsonNode ipConfig) {
        return ipConfig.path("address").asText().split("/")[0];
    }

    @Override
    public void close() {
        try {
            ns.close();
        } finally {
            try (var s = Files.walk(dataDir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
