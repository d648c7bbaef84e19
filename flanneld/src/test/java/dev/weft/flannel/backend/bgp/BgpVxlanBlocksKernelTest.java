package dev.weft.flannel.backend.bgp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.TunnelAddr;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netns.NetNs;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.Underlay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The bgp backend with Encap VXLAN and CrossSubnet on block IPAM, driven as weftd drives it
 * (useBlocks, prepare, start on the vxlan tunnel address, then the other nodes' blocks from the
 * IPAM tree through {@code blockRoutes}): a node on this L2 gets a direct route per block, a node
 * behind a router gets on-link routes via its tunnel address with one neighbour and one FDB entry
 * for all its blocks and borrowed addresses, and a registration of another backend type routes
 * nothing. Both shapes in one namespace, in milliseconds, where the e2e cluster (one L2) would need
 * a router and a restart per mode; read back with {@code ip -j} and {@code bridge -j}.
 */
@KernelTest
class BgpVxlanBlocksKernelTest {
    @Test
    void crossSubnetRoutesBlocksDirectlyOnTheL2AndOverVxlanBeyondIt() throws Exception {
        Path state = Files.createTempDirectory("wt-bgpvx");
        try (Underlay ul = Underlay.builder().subnet("192.168.78.0/24").build()) {
            Underlay.Node h = ul.addNode("n1");
            NetNs ns = NetNs.open(h.path().toString());
            NetworkConfig cfg = NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"bgp\",\"Encap\":\"VXLAN\","
                    + "\"CrossSubnet\":true,\"KeepaliveSeconds\":3},\"IPAM\":{\"Type\":\"blocks\"}}");
            int idx = KernelState.requireLink(h.netns(), "eth0").ifindex();
            BackendContext ctx = BackendContext.of(cfg, ExternalInterface.v4("eth0", idx, IpAddress.parse(h.address()), 1500))
                    .withStateDir(state).inNetns(ns);
            BgpBackend b = new BgpBackend(ctx, new BgpSettings("n1", null, null));
            try {
                b.useBlocks();
                IpAddress tunnel = IpAddress.parse("10.244.0.1");
                LeaseAttrs attrs = TunnelAddr.into(b.prepare(), tunnel);
                b.start(new Lease(Cidr.ofHost(tunnel), null, attrs, 0, 0));

                String sameL2 = "192.168.78.200"; // n2, on this node's underlay subnet
                String beyond = "192.168.99.5";   // n3, behind a router
                LeaseAttrs n2 = attrs("bgp", sameL2, "10.244.1.1", "0a:58:0a:f4:01:01");
                LeaseAttrs n3 = attrs("bgp", beyond, "10.244.2.1", "0a:58:0a:f4:02:01");
                LeaseAttrs n4 = attrs("vxlan", "192.168.78.201", "10.244.3.1", "0a:58:0a:f4:03:01");
                b.blockRoutes(List.of(
                        new Lease(Cidr.parse("10.244.1.0/26"), null, n2, 0, 0),
                        new Lease(Cidr.parse("10.244.1.64/26"), null, n2, 0, 0),
                        new Lease(Cidr.parse("10.244.2.0/26"), null, n3, 0, 0),
                        new Lease(Cidr.parse("10.244.2.64/26"), null, n3, 0, 0),
                        new Lease(Cidr.parse("10.244.0.9/32"), null, n3, 0, 0), // borrowed from this node's block
                        new Lease(Cidr.parse("10.244.3.0/26"), null, n4, 0, 0)));

                assertEquals(Set.of(
                        "10.244.1.0/26 via " + sameL2 + " dev eth0",
                        "10.244.1.64/26 via " + sameL2 + " dev eth0",
                        "10.244.2.0/26 via 10.244.2.1 dev flannel.1 onlink",
                        "10.244.2.64/26 via 10.244.2.1 dev flannel.1 onlink",
                        "10.244.0.9 via 10.244.2.1 dev flannel.1 onlink"), weftRoutes(h));
                assertEquals(Set.of("neigh 10.244.2.1 0a:58:0a:f4:02:01", "fdb 0a:58:0a:f4:02:01 " + beyond), vtepEntries(h),
                        "one neighbour and one FDB entry for n3, none for n2 (direct) or n4 (not bgp)");
                assertEquals(List.of("10.244.0.1/32"), KernelState.addresses(h.netns(), "flannel.1").stream()
                        .filter(a -> a.family().equals("inet")).map(a -> a.local() + "/" + a.prefixlen()).toList());

                // n3's blocks go (its registration expired): its routes and entries go with them, n2's stay
                b.blockRoutes(List.of(new Lease(Cidr.parse("10.244.1.0/26"), null, n2, 0, 0)));
                assertEquals(Set.of("10.244.1.0/26 via " + sameL2 + " dev eth0"), weftRoutes(h));
                assertEquals(Set.of(), vtepEntries(h));
            } finally {
                b.close();
                ns.close();
            }
        } finally {
            try (var s = Files.walk(state)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A registration's attrs as a bgp (or other) node with Encap VXLAN publishes them. */
    private static LeaseAttrs attrs(String type, String publicIp, String tunnel, String mac) {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        d.put("VNI", 1);
        d.put("VtepMAC", mac);
        d.put("TunnelAddr", tunnel);
        return new LeaseAttrs(IpAddress.parse(publicIp), null, type, d, null);
    }

    /** Weft's protocol-87 routes as "dst via gw dev d [onlink]" ({@code ip -j route}). */
    private static Set<String> weftRoutes(Underlay.Node h) {
        Set<String> out = new TreeSet<>();
        for (RouteInfo r : KernelState.routes(h.netns(), 4)) {
            if (r.protocol().equals("87")) {
                out.add(r.dst() + " via " + r.gateway() + " dev " + r.dev() + (r.flags().contains("onlink") ? " onlink" : ""));
            }
        }
        return out;
    }

    private static Set<String> vtepEntries(Underlay.Node h) {
        return KernelState.vtepEntries(h.netns(), "flannel.1");
    }
}
