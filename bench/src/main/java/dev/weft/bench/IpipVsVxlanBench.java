package dev.weft.bench;

import dev.weft.flannel.backend.ipip.BpfIpip;
import dev.weft.flannel.backend.ipip.UserspaceIpip;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netns.Namespace;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.TestNetns;
import dev.weft.testkit.VethPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Single-stream TCP throughput of the IPIP data paths for kernels without the ipip driver (bpf:
 * weftd's tc programs; userspace: TUN + raw socket) beside kernel VXLAN, pod to pod
 * across a router (nodes 192.168.10.2 and 192.168.20.2, pods 10.244.1.2 and 10.244.2.2), each
 * round on a fresh topology, alternating the modes so that machine noise hits both alike. The
 * userspace data path runs in this JVM; a warm-up run (not counted) lets its JIT settle first.
 * {@code --modes bpf,userspace,vxlan} picks the modes (VXLAN, the anchor, always runs).
 */
public final class IpipVsVxlanBench {
    private IpipVsVxlanBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = UdpVsVxlanBench.intArg(args, "--rounds", 3);
        int seconds = UdpVsVxlanBench.intArg(args, "--seconds", 5);
        int warmup = UdpVsVxlanBench.intArg(args, "--warmup", 3);
        List<String> modes = new ArrayList<>(List.of(UdpVsVxlanBench.stringArg(args, "--modes", "bpf,userspace,vxlan").split(",")));
        modes.remove("vxlan");
        modes.add("vxlan");
        Map<String, List<Double>> got = new java.util.LinkedHashMap<>();
        for (int r = 1; r <= rounds; r++) {
            for (String mode : modes) {
                double[] g = once(mode, seconds, warmup);
                got.computeIfAbsent(mode, k -> new ArrayList<>()).add(g[1]);
                System.out.printf("  round %d %-9s %6.2f Gbit/s  (warm-up %d s: %.2f Gbit/s)%n", r, mode, g[1], warmup, g[0]);
            }
        }
        System.out.printf("ipip-vs-vxlan: single TCP stream pod -> pod across a router, %d s after a %d s warm-up, %d rounds each (medians)%n",
                seconds, warmup, rounds);
        double v = UdpVsVxlanBench.median(got.get("vxlan").stream().mapToDouble(Double::doubleValue).toArray());
        for (var e : got.entrySet()) {
            double m = UdpVsVxlanBench.median(e.getValue().stream().mapToDouble(Double::doubleValue).toArray());
            String label = e.getKey().equals("vxlan") ? "vxlan (kernel)" : "ipip (" + e.getKey() + ")";
            System.out.printf("  %-17s %6.2f Gbit/s%s%n", label, m, e.getKey().equals("vxlan") ? ""
                    : String.format(java.util.Locale.ROOT, "   ratio to vxlan %.2f (goal >= 0.8)", m / v));
        }
    }

    /** {warm-up, measured} Gbit/s of one fresh topology in {@code mode}. */
    private static double[] once(String mode, int seconds, int warmup) throws Exception {
        List<AutoCloseable> open = new ArrayList<>();
        try {
            TestNetns router = track(open, TestNetns.create("r"));
            TestNetns[] node = {track(open, TestNetns.create("a")), track(open, TestNetns.create("b"))};
            TestNetns[] pod = {track(open, TestNetns.create("pa")), track(open, TestNetns.create("pb"))};
            router.setSysctl("net.ipv4.ip_forward", "1");
            for (int n = 0; n < 2; n++) {
                String ul = "192.168." + (10 * (n + 1));
                track(open, VethPair.builder().a("eth0", node[n]).b("r" + n, router).addressA(ul + ".2/24").addressB(ul + ".1/24").create());
                node[n].ip("route", "add", "default", "via", ul + ".1");
                String pn = "10.244." + (n + 1);
                track(open, VethPair.builder().a("eth0", pod[n]).b("wt-pod", node[n]).addressA(pn + ".2/24").addressB(pn + ".1/24").create());
                pod[n].ip("route", "add", "default", "via", pn + ".1");
                node[n].setSysctl("net.ipv4.ip_forward", "1");
            }
            for (int n = 0; n < 2; n++) {
                int o = 1 - n;
                String self = "192.168." + (10 * (n + 1)) + ".2";
                String peer = "192.168." + (10 * (o + 1)) + ".2";
                String peerPods = "10.244." + (o + 1) + ".0/24";
                if (mode.equals("bpf")) {
                    try (Namespace ns = Namespace.open(node[n].path().toString())) {
                        BpfIpip b = track(open, BpfIpip.open(ns, IpAddress.parse(self), "eth0", "tunl0", 1480,
                                IpAddress.parse("10.244." + (n + 1) + ".129")));
                        b.setPeers(Map.of(Cidr.parse(peerPods), IpAddress.parse(peer)));
                    }
                    node[n].ip("route", "add", peerPods, "via", peer, "dev", "tunl0", "onlink");
                } else if (mode.equals("userspace")) {
                    try (Namespace ns = Namespace.open(node[n].path().toString())) {
                        UserspaceIpip u = track(open, UserspaceIpip.open(ns, IpAddress.parse(self), "tunl0", 1480,
                                IpAddress.parse("10.244." + (n + 1) + ".129")));
                        u.setPeers(Map.of(Cidr.parse(peerPods), IpAddress.parse(peer)));
                    }
                    node[n].ip("route", "add", peerPods, "via", peer, "dev", "tunl0", "onlink");
                } else {
                    // flannel's shape: a VXLAN device per node, the peer's pods via its VTEP address
                    node[n].ip("link", "add", "vx0", "type", "vxlan", "id", "1", "local", self, "remote", peer, "dstport", "4789");
                    node[n].ip("addr", "add", "172.31.0." + (n + 1) + "/24", "dev", "vx0");
                    node[n].ip("link", "set", "vx0", "up");
                    node[n].ip("route", "add", peerPods, "via", "172.31.0." + (o + 1), "dev", "vx0");
                }
            }
            Cmd.of("ping", "-c", "20", "-i", "0.01", "-W", "1", "10.244.2.2").netns(pod[0].name()).tryRun();
            double warm = iperf(pod[0], pod[1], warmup);
            return new double[] {warm, iperf(pod[0], pod[1], seconds)};
        } finally {
            for (int k = open.size() - 1; k >= 0; k--) {
                open.get(k).close();
            }
        }
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> open, T c) {
        open.add(c);
        return c;
    }

    /** One single-stream iperf3 run pod a → pod b (10.244.2.2): Gbit/s, 0 when it failed. */
    private static double iperf(TestNetns a, TestNetns b, int seconds) throws InterruptedException {
        Thread server = new Thread(() -> Cmd.of("iperf3", "-s", "-1", "-B", "10.244.2.2").netns(b.name())
                .timeout(Duration.ofSeconds(seconds + 30)).tryRun(), "iperf3-server");
        server.setDaemon(true);
        server.start();
        Thread.sleep(500);
        Cmd.Result r = Cmd.of("iperf3", "-c", "10.244.2.2", "-t", String.valueOf(seconds), "-J").netns(a.name())
                .timeout(Duration.ofSeconds(seconds + 30)).tryRun();
        server.join(30_000);
        return UdpVsVxlanBench.gbps(r);
    }
}
