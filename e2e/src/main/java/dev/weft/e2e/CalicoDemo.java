package dev.weft.e2e;

import dev.weft.testkit.Cmd;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code scripts/demo --mode calico}: the calico-like stack. weftd on every node runs the bgp
 * backend (Encap None) on block IPAM, so no node leases a subnet: each registers itself, claims
 * blocks from the pool and announces them over the BGP mesh. Two pods per node come from
 * weft-routed + weft-ipam (veth, no bridge, /32 addresses behind 169.254.1.1). Prints each node's
 * blocks, its pods' addresses and its routes, then pings across nodes and runs a 3 s iperf3.
 */
final class CalicoDemo {
    static final String NETWORK = "10.244.0.0/16";
    static final String BACKEND = "{\"Type\":\"bgp\",\"Encap\":\"None\"}";
    static final String IPAM = "{\"Type\":\"blocks\",\"BlockSize\":26,\"StrictAffinity\":false}";

    private CalicoDemo() {
    }

    /** Runs the demo; returns whether every pod reached every pod on the other nodes and iperf3 ran. */
    static boolean run(int nodes, boolean keep) throws InterruptedException {
        System.out.printf("== Weft demo: %d nodes, calico mode (bgp backend, Encap None; weft-routed + weft-ipam, blocks /26 of %s) ==%n",
                nodes, NETWORK);
        long t0 = System.nanoTime();
        try (SimCluster c = SimCluster.start(SimCluster.Options.calico(nodes, NETWORK, BACKEND, IPAM))) {
            System.out.printf("etcd at %s; weftd up and registered on every node after %.1f s (no subnet leases: %s)%n",
                    c.endpointOnUnderlay(), (System.nanoTime() - t0) / 1e9,
                    c.etcd().etcdctl("get", "--prefix", "--keys-only", SimCluster.PREFIX + "/subnets/").isBlank() ? "none in etcd" : "SOME FOUND");
            List<SimCluster.Pod> pods = new ArrayList<>();
            for (SimCluster.Node n : c.nodes()) {
                pods.add(c.addRoutedPod(n));
                pods.add(c.addRoutedPod(n));
            }
            awaitMesh(c);
            BlockState ipam = BlockState.read(c.etcd(), SimCluster.PREFIX);
            System.out.println();
            for (SimCluster.Node n : c.nodes()) {
                System.out.printf("%s  underlay %s  (netns %s)%n", n.name(), n.address(), n.netns());
                System.out.printf("  blocks:   %s%s%n", ipam.blocksOf(n.name()), ipam.borrowedBy(n.name()).isEmpty() ? ""
                        : "  borrowed: " + ipam.borrowedBy(n.name()));
                System.out.printf("  pods:     %s%n", pods.stream().filter(p -> p.node() == n).map(p -> p.ip() + " (" + p.containerId() + ")").toList());
                System.out.println("  routes (ip route, pod network only):");
                for (String line : Cmd.run("ip", "-n", n.netns(), "-4", "route", "show").stdout().split("\n")) {
                    if (line.startsWith("10.244.") || line.startsWith("blackhole 10.244.")) {
                        System.out.println("    " + line.strip());
                    }
                }
                long bridges = Cmd.run("ip", "-n", n.netns(), "-o", "link", "show", "type", "bridge").stdout().lines().count();
                System.out.printf("  bridges:  %d%n", bridges);
            }
            System.out.println();
            System.out.println("registered nodes (weftctl nodes, on " + c.node(0).name() + "):");
            Cmd.Result table = NodeTable.run(c, c.node(0));
            (table.ok() ? table.stdout() : "weftctl nodes failed: " + table.stderr()).lines().forEach(l -> System.out.println("  " + l));
            System.out.println();
            System.out.println("BGP sessions (weftctl bgp peers):");
            for (SimCluster.Node n : c.nodes()) {
                System.out.println("  " + n.name() + ":");
                BgpSessions.table(n).lines().forEach(l -> System.out.println("    " + l));
            }
            System.out.println();
            System.out.println("cross-node ping (3 packets each):");
            boolean allPing = true;
            for (SimCluster.Pod a : pods) {
                for (SimCluster.Pod b : pods) {
                    if (a.node() != b.node()) {
                        Cmd.Result r = a.netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", b.ip());
                        allPing &= r.ok();
                        System.out.printf("  %-12s -> %-12s %s%n", a.ip(), b.ip(), r.ok() ? "ok, rtt avg " + rtt(r.stdout()) + " ms" : "FAILED");
                    }
                }
            }
            SimCluster.Pod client = pods.get(0);
            SimCluster.Pod server = pods.get(pods.size() - 1);
            String gbps = Iperf.run(client, server, 3);
            System.out.println();
            System.out.printf("iperf3 3 s TCP %s -> %s: %s%n", client.ip(), server.ip(), gbps);
            boolean ok = allPing && !gbps.startsWith("FAILED");
            System.out.println();
            System.out.println(ok ? "RESULT: pods on different nodes reach each other over BGP-announced blocks (calico mode)"
                    : "RESULT: FAILED — see the weftd logs under " + c.work());
            if (keep) {
                System.out.println();
                System.out.println("--keep: the cluster stays up. Explore, e.g.:");
                System.out.println("  ip -n " + c.node(0).netns() + " route; ip netns exec " + client.netns().name() + " ip route");
                System.out.println("  logs: " + c.work() + "/<node>/weftd.log");
                System.out.println("Press Ctrl-C (or send SIGTERM) to remove everything.");
                Thread.currentThread().join();
            }
            return ok;
        } finally {
            System.out.println("cleaned up: namespaces, processes and files removed");
        }
    }

    /** Until every node has every other one Established (20 s at most). */
    private static void awaitMesh(SimCluster c) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        int others = c.nodes().size() - 1;
        while (System.nanoTime() < deadline
                && !c.nodes().stream().allMatch(n -> BgpSessions.table(n).lines().filter(l -> l.contains("Established")).count() >= others)) {
            SimCluster.sleep(200);
        }
        SimCluster.sleep(1000); // the announcements follow the sessions within a second
    }

    private static String rtt(String ping) {
        Matcher m = Pattern.compile("= [\\d.]+/([\\d.]+)/").matcher(ping);
        return m.find() ? m.group(1) : "?";
    }
}
