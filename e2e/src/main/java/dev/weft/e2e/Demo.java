package dev.weft.e2e;

import dev.weft.testkit.Cmd;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The live demo: etcd and a 2-node cluster in wt- namespaces, weftd on each node, two pods per
 * node made through the CNI plugins, then ping across nodes and a 3 s iperf3, and a summary.
 * {@code --backend vxlan|host-gw|bgp|...} picks the backend; {@code --keep} leaves everything
 * running. With {@code bgp} the summary shows each node's BGP sessions ({@code weftctl bgp peers});
 * {@code bgp-crosssubnet} (Encap VXLAN, CrossSubnet) puts the last node on a second subnet behind a
 * router namespace and shows each node's pod routes: plain via eth0 on the same L2, vxlan across.
 * {@code bgp-ipip} (Encap IPIP) uses the same two subnets, encapsulates every node-to-node packet in
 * IPIP and says which IPIP data path each weftd runs (the kernel's ipip device; where the kernel
 * has no ipip driver, weftd's tc programs, "bpf", or its userspace path when the kernel refuses them). {@code --mode calico} runs {@link CalicoDemo}
 * instead: the bgp backend on block IPAM with weft-routed + weft-ipam pods.
 */
public final class Demo {
    private static final String SECOND_SUBNET = "192.168.20.0/24";
    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        String backend = "vxlan";
        boolean keep = false;
        int nodes = 2;
        String mode = "flannel";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--backend" -> backend = args[++i];
                case "--keep" -> keep = true;
                case "--nodes" -> nodes = Integer.parseInt(args[++i]);
                case "--mode" -> mode = args[++i];
                case "-h", "--help" -> {
                    System.out.println("usage: scripts/demo [--backend vxlan|vxlan-direct|host-gw|udp|bgp|bgp-ipip|bgp-crosssubnet]"
                            + " [--nodes N] [--keep]\n       scripts/demo --mode calico [--nodes N] [--keep]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (mode.equals("calico")) {
            if (!CalicoDemo.run(nodes, keep)) {
                System.exit(1);
            }
            return;
        } else if (!mode.equals("flannel")) {
            throw new IllegalArgumentException("--mode must be flannel (the default: subnet leases, the flannel CNI) or calico");
        }
        String backendJson = switch (backend) {
            case "vxlan" -> "{\"Type\":\"vxlan\"}";
            case "host-gw" -> "{\"Type\":\"host-gw\"}";
            case "vxlan-direct" -> "{\"Type\":\"vxlan\",\"DirectRouting\":true}";
            case "udp" -> "{\"Type\":\"udp\"}";
            case "bgp" -> "{\"Type\":\"bgp\"}";
            case "bgp-ipip" -> "{\"Type\":\"bgp\",\"Encap\":\"IPIP\"}";
            case "bgp-crosssubnet" -> "{\"Type\":\"bgp\",\"Encap\":\"VXLAN\",\"CrossSubnet\":true}";
            default -> throw new IllegalArgumentException(
                    "--backend must be vxlan, vxlan-direct, host-gw, udp, bgp, bgp-ipip or bgp-crosssubnet");
        };
        boolean bgp = backend.startsWith("bgp");
        boolean ipip = backend.equals("bgp-ipip");
        // both put the last node behind a router: IPIP is for crossing one, CrossSubnet is about it
        boolean twoSubnets = backend.equals("bgp-crosssubnet") || ipip;
        if (twoSubnets && nodes < 2) {
            throw new IllegalArgumentException("--backend " + backend + " needs --nodes 2 or more (the last one sits behind the router)");
        }
        System.out.printf("== Weft demo: %d nodes, backend %s ==%n", nodes, backend);
        long t0 = System.nanoTime();
        SimCluster.Options options = SimCluster.Options.of(twoSubnets ? nodes - 1 : nodes, backendJson);
        if (bgp) {
            options = options.withExtraArgs(List.of("-bgp-status-socket", BgpSessions.SOCKET_ARG, "-node-name", SimCluster.NODE_NAME));
        }
        SimCluster c = SimCluster.start(options);
        SecondSubnet second = null;
        boolean ok = false;
        try {
            if (twoSubnets) {
                second = SecondSubnet.join(c, SECOND_SUBNET);
                SimCluster.Node last = second.addNode(c, "n" + nodes);
                c.awaitSubnetEnv(last, java.time.Duration.ofSeconds(60));
                System.out.printf("n%d is on %s, behind the router namespace %s%n", nodes, SECOND_SUBNET, second.router().netns());
            }
            System.out.printf("etcd at %s; weftd up on every node after %.1f s%n", c.endpointOnUnderlay(), (System.nanoTime() - t0) / 1e9);
            List<SimCluster.Pod> pods = new ArrayList<>();
            for (SimCluster.Node n : c.nodes()) {
                pods.add(c.addPod(n));
                pods.add(c.addPod(n));
            }
            System.out.println();
            System.out.println("nodes:");
            for (SimCluster.Node n : c.nodes()) {
                Map<String, String> env = SimCluster.readSubnetEnv(n);
                System.out.printf("  %-4s underlay %-15s subnet %-16s mtu %s  (netns %s)%n", n.name(), n.address(),
                        env.get("FLANNEL_SUBNET"), env.get("FLANNEL_MTU"), n.netns());
            }
            System.out.println("pods:");
            for (SimCluster.Pod p : pods) {
                System.out.printf("  %-14s on %-4s ip %-15s (netns %s)%n", p.containerId(), p.node().name(), p.ip(), p.netns().name());
            }
            if (bgp) {
                printBgp(c, twoSubnets, ipip);
            }
            System.out.println();
            System.out.println("cross-node ping (3 packets each):");
            boolean allPing = true;
            for (SimCluster.Pod a : pods) {
                for (SimCluster.Pod b : pods) {
                    if (a.node() == b.node()) {
                        continue;
                    }
                    Cmd.Result r = a.netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", b.ip());
                    String rtt = rtt(r.stdout());
                    allPing &= r.ok();
                    System.out.printf("  %-15s -> %-15s %s%n", a.ip(), b.ip(), r.ok() ? "ok, rtt avg " + rtt + " ms" : "FAILED");
                }
            }
            SimCluster.Pod server = pods.get(pods.size() - 1);
            SimCluster.Pod client = pods.get(0);
            String gbps = Iperf.run(client, server, 3);
            System.out.println();
            System.out.printf("iperf3 3 s TCP %s -> %s: %s%n", client.ip(), server.ip(), gbps);
            ok = allPing && !gbps.startsWith("FAILED");
            System.out.println();
            System.out.println(ok ? "RESULT: pods on different nodes reach each other through weftd (" + backend + ")"
                    : "RESULT: FAILED — see the weftd logs under " + c.work());
            if (keep) {
                System.out.println();
                System.out.println("--keep: the cluster stays up. Explore, e.g.:");
                SimCluster.Node n1 = c.node(0);
                System.out.println("  ip netns exec " + n1.netns() + " ip -d link show; ip netns exec " + n1.netns() + " ip route");
                System.out.println("  ip netns exec " + pods.get(0).netns().name() + " ping " + server.ip());
                System.out.println("  logs: " + c.work() + "/<node>/weftd.log");
                System.out.println("Press Ctrl-C (or send SIGTERM) to remove everything.");
                Thread.currentThread().join();
            }
        } finally {
            if (second != null) {
                for (SimCluster.Node n : c.nodes()) {
                    n.weftd().kill(); // before the second subnet's links go
                }
                second.close();
            }
            c.close();
            System.out.println("cleaned up: namespaces, processes and files removed");
        }
        if (!ok) {
            System.exit(1);
        }
    }

    /**
     * Each node's BGP sessions, once every one is Established (the mesh forms within seconds of the
     * leases), and with CrossSubnet each node's routes to the other pod subnets.
     */
    private static void printBgp(SimCluster c, boolean twoSubnets, boolean ipip) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        int others = c.nodes().size() - 1;
        while (System.nanoTime() < deadline && !c.nodes().stream().allMatch(n -> allEstablished(BgpSessions.table(n), others))) {
            SimCluster.sleep(200);
        }
        System.out.println();
        System.out.println("BGP sessions (weftctl bgp peers on each node):");
        for (SimCluster.Node n : c.nodes()) {
            System.out.println("  " + n.name() + ":");
            for (String line : BgpSessions.table(n).split("\n")) {
                System.out.println("    " + line);
            }
        }
        if (ipip) {
            System.out.println("IPIP data path on each node (from its weftd log):");
            for (SimCluster.Node n : c.nodes()) {
                String said = n.weftd().logTail(20000).lines().filter(l -> l.contains("IPIP data path:"))
                        .reduce((first, second) -> second).orElse("(not logged)");
                System.out.println("  " + n.name() + ": " + said.substring(Math.max(0, said.indexOf("IPIP data path:"))));
            }
        }
        if (twoSubnets) {
            System.out.println(ipip ? "pod routes (IPIP to every other node, onlink):"
                    : "pod routes (plain via eth0 on the same L2, vxlan across the router):");
            for (SimCluster.Node n : c.nodes()) {
                // 87: routes weftd programs itself, 88: routes its BGP speaker learned and installed
                for (String proto : List.of("87", "88")) {
                    for (String line : Cmd.run("ip", "-n", n.netns(), "-4", "route", "show", "proto", proto).stdout().split("\n")) {
                        if (!line.isBlank() && !line.startsWith("blackhole")) {
                            System.out.println("  " + n.name() + ": " + line);
                        }
                    }
                }
            }
        }
    }

    private static boolean allEstablished(String table, int peers) {
        return table.lines().filter(l -> l.contains("Established")).count() >= peers;
    }

    private static String rtt(String ping) {
        Matcher m = Pattern.compile("= [\\d.]+/([\\d.]+)/").matcher(ping);
        return m.find() ? m.group(1) : "?";
    }

}
