package dev.weft.flannel.backend.bgp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.NetNs;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.Underlay;
import dev.weft.tun.TunDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Two bgp backends in two namespaces on one L2, driven as weftd drives them (prepare, lease,
 * start, Snapshot), switching modes across restarts: Encap IPIP installs {@code via <node> dev
 * tunl0 onlink} (this kernel has no ipip driver: the first node through the bpf data path's veth
 * tunl0, the second refused it by the verifier and so through a TUN named tunl0 standing in for
 * the userspace data path), Encap None then moves every route to {@code dev eth0} and
 * leaves none on tunl0 (calico#1325), and IPIP again moves them back.
 */
@KernelTest
class BgpBackendKernelTest {
    static final String NETWORK = "10.244.0.0/16";

    /** A TUN named tunl0 that stays (persistent) like a kernel device; no packets are moved. */
    static final class TunStandIn implements IpipDataPlane {
        volatile Map<Cidr, IpAddress> peers = Map.of();
        private final TunDevice tun;

        TunStandIn(TunDevice tun) {
            this.tun = tun;
        }

        @Override
        public String kind() {
            return "test-tun";
        }

        @Override
        public void setPeers(Map<Cidr, IpAddress> subnetToNode) {
            peers = Map.copyOf(subnetToNode);
        }

        @Override
        public void close() {
            tun.close();
        }
    }

    static final List<TunStandIn> OPENED = new ArrayList<>();

    static final IpipDataPlane.Factory STAND_IN = (ctx, device, mtu, tunnelAddr, local) -> {
        TunDevice t = ctx.namespace().run(() -> TunDevice.open(device, TunDevice.IFF_TUN | TunDevice.IFF_NO_PI));
        t.setPersistent(true);
        try (RtNetlink nl = ctx.openNetlink()) {
            int idx = nl.requireLink(device).index();
            nl.setMtu(idx, mtu);
            if (nl.addresses(dev.weft.libc.Linux.AF_INET, idx).stream().noneMatch(a -> a.cidr().equals(tunnelAddr))) {
                nl.addAddress(Address.of(idx, tunnelAddr));
            }
            nl.setUp(idx);
        }
        TunStandIn s = new TunStandIn(t);
        synchronized (OPENED) {
            OPENED.add(s);
        }
        return s;
    };

    /**
     * A bpf data path the kernel refuses for real: the verifier rejects the program (it reads a
     * register nothing wrote), as it would a program this kernel cannot run.
     */
    static final IpipDataPlane.Factory REFUSED_BPF = (ctx, device, mtu, tunnelAddr, local) -> {
        try (var p = dev.weft.bpf.BpfProgram.loadClassifier("wt_refused",
                new dev.weft.bpf.BpfAssembler().mov(dev.weft.bpf.BpfAssembler.R0, dev.weft.bpf.BpfAssembler.R2).exit().assemble())) {
            throw new AssertionError("the verifier took " + p.name());
        } catch (dev.weft.bpf.BpfException e) {
            throw new dev.weft.flannel.backend.BackendException("ipip: " + e.getMessage(), e);
        }
    };

    record Node(Underlay.Node host, NetNs ns, Cidr subnet) {
    }

    static BgpBackend backend(Node n, String encap, Path state) {
        return backend(n, encap, state, REFUSED_BPF);
    }

    static BgpBackend backend(Node n, String encap, Path state, IpipDataPlane.Factory bpf) {
        NetworkConfig cfg = NetworkConfig.parse("{\"Network\":\"" + NETWORK + "\",\"Backend\":{\"Type\":\"bgp\",\"Encap\":\""
                + encap + "\",\"KeepaliveSeconds\":3}}");
        int idx = KernelState.requireLink(n.host().netns(), "eth0").ifindex();
        ExternalInterface ext = ExternalInterface.v4("eth0", idx, IpAddress.parse(n.host().address()), 1500);
        BackendContext ctx = BackendContext.of(cfg, ext).withStateDir(state).inNetns(n.ns());
        return new BgpBackend(ctx, new BgpSettings(n.host().label(), null, STAND_IN, bpf));
    }

    /** Starts both nodes' backends in {@code encap}, each told about the other's lease. */
    static List<BgpBackend> startAll(List<Node> nodes, String encap, Path state) {
        List<BgpBackend> bs = new ArrayList<>();
        List<Lease> leases = new ArrayList<>();
        for (Node n : nodes) {
            // the first node runs the bpf data path, the others are refused it and fall back
            BgpBackend b = backend(n, encap, state.resolve(n.host().label()), n == nodes.get(0) ? IpipPathPlane.BPF : REFUSED_BPF);
            LeaseAttrs attrs = b.prepare();
            bs.add(b);
            leases.add(new Lease(n.subnet(), null, attrs, 0, 0));
        }
        for (int i = 0; i < bs.size(); i++) {
            bs.get(i).start(leases.get(i));
            List<Lease> others = new ArrayList<>(leases);
            others.remove(i);
            bs.get(i).handle(new LeaseEvent.Snapshot(others, others, List.of()));
        }
        return bs;
    }

    static Set<String> bgpRoutes(Node n) {
        Set<String> s = new TreeSet<>();
        for (RouteInfo r : KernelState.routes(n.host().netns(), 4)) {
            if (r.protocol().equals("weft-bgp") && r.type().equals("unicast")) {
                s.add(r.dst() + " via " + r.gateway() + " dev " + r.dev() + (r.flags().contains("onlink") ? " onlink" : ""));
            }
        }
        return s;
    }

    static void awaitRoutes(Node n, Set<String> want, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!bgpRoutes(n).equals(want) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertEquals(want, bgpRoutes(n), what);
    }

    @Test
    void ipipRoutesAreOnlinkThroughTunl0AndEveryRouteMovesWhenTheModeChanges() throws Exception {
        Path state = Files.createTempDirectory("wt-bgp");
        List<BgpBackend> running = new ArrayList<>();
        try (Underlay ul = Underlay.builder().subnet("192.168.77.0/24").build()) {
            List<Node> nodes = new ArrayList<>();
            for (int i = 1; i <= 2; i++) {
                Underlay.Node h = ul.addNode("n" + i);
                nodes.add(new Node(h, NetNs.open(h.path().toString()), Cidr.parse("10.244." + i + ".0/24")));
            }
            Node a = nodes.get(0);
            Node b = nodes.get(1);
            Set<String> ipipA = Set.of("10.244.2.0/24 via " + b.host().address() + " dev tunl0 onlink");
            Set<String> ipipB = Set.of("10.244.1.0/24 via " + a.host().address() + " dev tunl0 onlink");
            Set<String> plainA = Set.of("10.244.2.0/24 via " + b.host().address() + " dev eth0");
            Set<String> plainB = Set.of("10.244.1.0/24 via " + a.host().address() + " dev eth0");

            running.addAll(startAll(nodes, "IPIP", state));
            awaitRoutes(a, ipipA, "IPIP routes of n1");
            awaitRoutes(b, ipipB, "IPIP routes of n2");
            assertEquals(1480, KernelState.requireLink(a.host().netns(), "tunl0").mtu());
            assertEquals(1480, running.get(0).mtu());
            assertEquals(Map.of(Cidr.parse("10.244.1.0/24"), IpAddress.parse(a.host().address())), OPENED.get(0).peers,
                    "the userspace data path learns which node holds which subnet");
            // n1 runs the bpf data path (a veth tunl0), n2 was refused it and fell back to the userspace one
            assertEquals("veth", KernelState.requireLink(a.host().netns(), "tunl0").kind());
            assertTrue(running.get(0).metricsText().contains("weft_bgp_ipip_dataplane{kind=\"bpf\"} 1"), running.get(0).metricsText());
            assertTrue(running.get(0).metricsText().contains("weft_ipip_peers 1\n"));
            assertTrue(running.get(1).metricsText().contains("weft_bgp_ipip_dataplane{kind=\"test-tun\"} 1"));

            for (String[] step : new String[][] {{"None", "eth0"}, {"IPIP", "tunl0"}}) {
                running.forEach(BgpBackend::close);
                running.clear();
                running.addAll(startAll(nodes, step[0], state));
                boolean plain = step[0].equals("None");
                awaitRoutes(a, plain ? plainA : ipipA, "n1 after the switch to " + step[0]);
                awaitRoutes(b, plain ? plainB : ipipB, "n2 after the switch to " + step[0]);
                assertEquals(plain ? 1500 : 1480, running.get(0).mtu());
            }
            running.forEach(BgpBackend::close);
            running.clear();
            for (Node n : nodes) {
                n.ns().close();
            }
        } finally {
            running.forEach(BgpBackend::close);
            try (var s = Files.walk(state)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
