package dev.weft.bench;

import dev.weft.e2e.SimCluster;
import dev.weft.testkit.Cmd;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bgp backend's data paths beside the backends they should match, pod to pod on fresh 2-node
 * clusters (one L2, pods by the CNI chain, production's weftd launcher), alternating mode by mode
 * each round so that machine noise hits all alike: bgp Encap None against host-gw (both plain
 * routing, goal >= 0.95x) and bgp Encap IPIP against the vxlan backend (goal >= 0.8x).
 *
 * <p>IPIP runs on the same single L2 as the other three with CrossSubnet off, so every pod packet
 * is encapsulated; a router between the nodes would add a forwarding hop to both sides alike and
 * change nothing compared, while one L2 keeps all four modes on one topology (and on the
 * topology of udp-vs-vxlan). On a kernel without the ipip driver the IPIP path is weftd's bpf one
 * (bgp-ipip) or, forced, its userspace one (bgp-ipip-us); each round prints the route the pod
 * traffic takes and which IPIP path ran.
 *
 * <p>{@code --pods routed} runs every mode as Calico does: pods by weft-routed + weft-ipam (a veth
 * per pod and a host route, no bridge) on block IPAM, so IPIP is compared with VXLAN on Calico's
 * own data plane. The pod plumbing matters for IPIP: a decapsulated TCP super-segment keeps its
 * tunnel marks (skb->encapsulation, SKB_GSO_IPXIP4) when a bpf program strips the outer header,
 * and a bridge, which has no tunnel offloads, cuts each one into MTU-sized packets in software,
 * where a pod's veth takes it whole; the kernel's own decapsulation (VXLAN) clears the marks.
 */
public final class BgpVsHostgwBench {
    private BgpVsHostgwBench() {
    }

    /** A mode: its label, its Backend JSON, and the figure it is compared against. */
    private record Mode(String label, String backend, String against, double goal, List<String> args) {
        Mode(String label, String backend, String against, double goal) {
            this(label, backend, against, goal, List.of());
        }

        boolean bgp() {
            return backend.contains("\"bgp\"");
        }
    }

    private static final List<Mode> MODES = List.of(
            new Mode("bgp-none", "{\"Type\":\"bgp\",\"Encap\":\"None\"}", "host-gw", 0.95),
            new Mode("host-gw", "{\"Type\":\"host-gw\"}", null, 0),
            new Mode("bgp-ipip", "{\"Type\":\"bgp\",\"Encap\":\"IPIP\",\"CrossSubnet\":false}", "vxlan", 0.8),
            new Mode("bgp-ipip-us", "{\"Type\":\"bgp\",\"Encap\":\"IPIP\",\"CrossSubnet\":false}", "vxlan", 0.8,
                    List.of("-bgp-ipip-dataplane", "userspace")),
            new Mode("vxlan", "{\"Type\":\"vxlan\"}", null, 0));

    /** Block IPAM for {@code --pods routed}: Calico's /26 blocks in the bench's Network. */
    private static final String IPAM = "{\"Type\":\"blocks\",\"BlockSize\":26}";

    /** {@code [--rounds R] [--seconds S] [--warmup W] [--modes all|none|ipip] [--pods bridge|routed]} */
    public static void main(String[] args) {
        int rounds = UdpVsVxlanBench.intArg(args, "--rounds", 3);
        int seconds = UdpVsVxlanBench.intArg(args, "--seconds", 10);
        int warmup = UdpVsVxlanBench.intArg(args, "--warmup", 5);
        List<Mode> modes = modes(UdpVsVxlanBench.stringArg(args, "--modes", "all"));
        String pods = UdpVsVxlanBench.stringArg(args, "--pods", "bridge");
        if (!pods.equals("bridge") && !pods.equals("routed")) {
            throw new IllegalArgumentException("--pods is bridge or routed, not " + pods);
        }
        boolean routed = pods.equals("routed");
        Map<String, List<UdpVsVxlanBench.Run>> runs = new LinkedHashMap<>();
        for (int r = 1; r <= rounds; r++) {
            for (Mode m : modes) {
                UdpVsVxlanBench.Run run = once(m, r, seconds, warmup, routed);
                runs.computeIfAbsent(m.label(), k -> new ArrayList<>()).add(run);
            }
        }
        System.out.printf("bgp-vs-hostgw: single TCP stream pod -> pod on one L2, %s, %d s after a %d s warm-up, %d rounds each (medians)%n",
                routed ? "routed pods (weft-routed + weft-ipam, no bridge)" : "bridge pods (flannel + bridge)", seconds, warmup, rounds);
        Map<String, Double> gbps = new LinkedHashMap<>();
        for (Mode m : modes) {
            List<UdpVsVxlanBench.Run> l = runs.get(m.label());
            double g = UdpVsVxlanBench.median(l.stream().mapToDouble(UdpVsVxlanBench.Run::gbps).toArray());
            gbps.put(m.label(), g);
            System.out.printf("  %-11s %6.2f Gbit/s  %6.1f %%CPU (machine) per Gbit/s  rtt p50 %.3f ms p99 %.3f ms%n", m.label(), g,
                    UdpVsVxlanBench.median(l.stream().mapToDouble(BgpVsHostgwBench::cpuPerGbps).toArray()),
                    UdpVsVxlanBench.median(l.stream().mapToDouble(UdpVsVxlanBench.Run::rttP50).toArray()),
                    UdpVsVxlanBench.median(l.stream().mapToDouble(UdpVsVxlanBench.Run::rttP99).toArray()));
        }
        for (Mode m : modes) {
            if (m.against() != null && gbps.containsKey(m.against())) {
                double ratio = gbps.get(m.label()) / gbps.get(m.against());
                System.out.printf("  ratio %s/%s %.2f (goal >= %.2f: %s)%n", m.label(), m.against(), ratio, m.goal(),
                        ratio >= m.goal() ? "met" : "NOT met");
            }
        }
    }

    /**
     * {@code all}, {@code ipip} (bgp-ipip: weftd's choice, the bpf path on this kernel;
     * bgp-ipip-us: the userspace path forced with -bgp-ipip-dataplane userspace; and vxlan) or
     * {@code none} (bgp-none and host-gw).
     */
    private static List<Mode> modes(String which) {
        return switch (which) {
            case "all" -> MODES;
            case "none" -> MODES.subList(0, 2);
            case "ipip" -> MODES.subList(2, 5);
            default -> throw new IllegalArgumentException("--modes is all, none or ipip, not " + which);
        };
    }

    private static double cpuPerGbps(UdpVsVxlanBench.Run r) {
        return r.cpuPercent() / Math.max(r.gbps(), 1e-9);
    }

    private static UdpVsVxlanBench.Run once(Mode m, int round, int seconds, int warmup, boolean routed) {
        SimCluster.Options o = routed ? SimCluster.Options.calico(0, "10.244.0.0/16", m.backend(), IPAM) : SimCluster.Options.of(0, m.backend());
        if (routed) {
            // calico's options already give each node its CNI and BGP status sockets
            List<String> extra = new ArrayList<>(o.extraArgs());
            extra.addAll(m.args());
            o = o.withExtraArgs(extra);
        } else if (m.bgp()) {
            // the status socket's default is one path for the whole machine: one per node here
            List<String> extra = new ArrayList<>(List.of("-bgp-status-socket", SimCluster.NODE_DIR + "/bgp.sock"));
            extra.addAll(m.args());
            o = o.withExtraArgs(extra);
        }
        try (SimCluster c = ProductionWeftd.emptyCluster(o)) {
            for (int i = 1; i <= 2; i++) {
                c.addNode("n" + i);
            }
            for (SimCluster.Node n : c.nodes()) {
                c.awaitSubnetEnv(n, Duration.ofSeconds(60));
            }
            SimCluster.Pod a = routed ? c.addRoutedPod(c.node(0)) : c.addPod(c.node(0));
            SimCluster.Pod b = routed ? c.addRoutedPod(c.node(1)) : c.addPod(c.node(1));
            awaitReachable(c, a, b);
            String path = Cmd.of("ip", "-n", a.node().netns(), "route", "get", b.ip()).run().stdout().lines().findFirst().orElse("").strip();
            String ipip = m.backend().contains("IPIP") ? ipipPath(c.node(0)) : "";
            Hops before = Hops.read(b.node(), b.ip());
            UdpVsVxlanBench.Run run = UdpVsVxlanBench.measure(a, b, seconds, warmup);
            Hops after = Hops.read(b.node(), b.ip());
            System.out.printf("  round %d %-11s %6.2f Gbit/s  cpu %5.1f %% = %5.1f %%CPU/Gbit/s  rtt p50 %.3f ms p99 %.3f ms  (warm-up %d s: %.2f Gbit/s)"
                    + "  node route: %s%s  receiving node, bytes per packet: %s%n", round, m.label(), run.gbps(), run.cpuPercent(), cpuPerGbps(run),
                    run.rttP50(), run.rttP99(), warmup, run.warmupGbps(), path, ipip, after.perPacketSince(before));
            for (SimCluster.Node n : c.nodes()) {
                if (!n.weftd().isAlive()) {
                    throw new IllegalStateException("weftd on " + n.name() + " died during the run:\n" + n.weftd().logTail(4000));
                }
            }
            return run;
        }
    }

    /**
     * The receiving node's eth0 (in) and the device towards its pod (out: cni0 for bridge pods,
     * the pod's host veth for routed ones) counters: their bytes per packet say where TCP
     * super-segments are cut into MTU-sized packets (about 1,500 bytes) and where they pass whole
     * (tens of KB), the difference between a cheap and a costly path.
     */
    private record Hops(String podDevice, long eth0RxPackets, long eth0RxBytes, long podTxPackets, long podTxBytes) {
        static Hops read(SimCluster.Node n, String podIp) {
            String route = Cmd.of("ip", "-n", n.netns(), "-o", "route", "get", podIp).run().stdout();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(" dev (\\S+)").matcher(route);
            if (!m.find()) {
                throw new IllegalStateException("no device towards " + podIp + " on " + n.name() + ": " + route);
            }
            String dev = m.group(1);
            String[] v = Cmd.of("ip", "netns", "exec", n.netns(), "cat", "/sys/class/net/eth0/statistics/rx_packets",
                    "/sys/class/net/eth0/statistics/rx_bytes", "/sys/class/net/" + dev + "/statistics/tx_packets",
                    "/sys/class/net/" + dev + "/statistics/tx_bytes").run().stdout().strip().split("\\s+");
            return new Hops(dev, Long.parseLong(v[0]), Long.parseLong(v[1]), Long.parseLong(v[2]), Long.parseLong(v[3]));
        }

        String perPacketSince(Hops b) {
            return "eth0 in " + (eth0RxBytes - b.eth0RxBytes) / Math.max(1, eth0RxPackets - b.eth0RxPackets)
                    + ", " + podDevice + " out " + (podTxBytes - b.podTxBytes) / Math.max(1, podTxPackets - b.podTxPackets);
        }
    }

    /** Waits until pod a reaches pod b (a bgp route comes a moment after the lease); fails after 60 s. */
    private static void awaitReachable(SimCluster c, SimCluster.Pod a, SimCluster.Pod b) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!a.netns().tryExec("ping", "-c", "1", "-W", "1", b.ip()).ok()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("pod " + a.ip() + " cannot reach " + b.ip() + " after 60 s\n--- n1:\n"
                        + c.node(0).weftd().logTail(3000) + "\n--- n2:\n" + c.node(1).weftd().logTail(3000));
            }
        }
    }

    /** Which IPIP data path weftd says it runs ("IPIP data path: ..." in its log). */
    private static String ipipPath(SimCluster.Node n) {
        String log = n.weftd().logTail(50_000);
        int i = log.indexOf("IPIP data path:");
        return i < 0 ? "  (weftd logged no IPIP data path)" : "  (" + log.substring(i, log.indexOf('\n', i) < 0 ? log.length() : log.indexOf('\n', i)).strip() + ")";
    }
}
