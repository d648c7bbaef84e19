package dev.weft.bench.bgp;

import dev.weft.bench.ProcSample;
import dev.weft.bench.ProductionWeftd;
import dev.weft.bench.UdpVsVxlanBench;
import dev.weft.e2e.SimCluster;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netns.Namespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Control-plane convergence of a cluster of N weftd processes (each in its own node namespace on
 * one L2, production's launcher and JVM flags), the bgp backend's full iBGP mesh beside host-gw
 * in the same run: nodes are started one after another, each once the one before holds its lease
 * (a rollout, and it keeps the figure about route distribution rather than about N JVMs booting
 * at once on a small machine); the clock starts when the last weftd is started and stops when
 * every node's kernel holds a route to every other node's subnet. In a full mesh each node learns
 * a node's route only from that node, so all routes everywhere means every session is up. Then
 * weftd's resident memory (VmRSS) per node, at convergence and after a settle time.
 */
public final class BgpMeshBench {
    private static final String NETWORK = "10.244.0.0/16";
    private static final Duration CONVERGE_TIMEOUT = Duration.ofMinutes(3);

    private BgpMeshBench() {
    }

    /**
     * One backend's figures: start of the last weftd → its lease (subnet.env) and → every route
     * everywhere, in ms; per-node RSS in kB at convergence and after the settle time; per-node CPU
     * seconds from process start to convergence.
     */
    record Result(double leaseMs, double convergeMs, long[] rssKb, long[] settledRssKb, double[] cpuSeconds) {
    }

    public static void main(String[] args) throws Exception {
        int nodes = UdpVsVxlanBench.intArg(args, "--nodes", 50);
        int rounds = UdpVsVxlanBench.intArg(args, "--rounds", 1);
        int settle = UdpVsVxlanBench.intArg(args, "--settle", 10);
        // 50 JVMs on a shared machine: stop before the machine runs short rather than after
        int reserveMb = UdpVsVxlanBench.intArg(args, "--reserve-mb", 3072);
        List<String> backends = backends(UdpVsVxlanBench.stringArg(args, "--backends", "host-gw,bgp"));
        List<List<Result>> all = List.of(new ArrayList<>(), new ArrayList<>());
        boolean raiseNeighbourLimits = !UdpVsVxlanBench.stringArg(args, "--neighbour-limits", "raise").equals("keep");
        System.out.printf("bgp-mesh: %d nodes, MemAvailable at start %d MB%n", nodes, memAvailableMb());
        for (int r = 1; r <= rounds; r++) {
            for (int b = 0; b < backends.size(); b++) {
                long fulls = NeighbourLimits.tableFulls();
                Result x;
                // each node's neighbours: every other node (its BGP peers, or its routes' gateways) and etcd
                try (NeighbourLimits l = raiseNeighbourLimits ? NeighbourLimits.atLeast(nodes * (nodes + 2)) : null) {
                    x = once(backends.get(b), nodes, settle, reserveMb);
                } finally {
                    System.out.printf("    (neighbour entries refused for a full table during the run: %d)%n", NeighbourLimits.tableFulls() - fulls);
                }
                all.get(b).add(x);
                System.out.printf("  round %d %-7s last weftd started -> its lease %7.0f ms, -> all %d routes on all %d nodes %7.0f ms;"
                                + " RSS per weftd median %d MB (min %d, max %d), after %d s %d MB (max %d); CPU per weftd until then median %.1f s%n",
                        r, backends.get(b), x.leaseMs(), nodes - 1, nodes, x.convergeMs(), median(x.rssKb()) / 1024, min(x.rssKb()) / 1024,
                        max(x.rssKb()) / 1024, settle, median(x.settledRssKb()) / 1024, max(x.settledRssKb()) / 1024,
                        BgpIngestBench.median(x.cpuSeconds()));
            }
        }
        System.out.printf("bgp-mesh: %d nodes (full mesh: %d BGP sessions), %d rounds each (medians over rounds)%n", nodes,
                nodes * (nodes - 1) / 2, rounds);
        for (int b = 0; b < backends.size(); b++) {
            List<Result> l = all.get(b);
            System.out.printf("  %-7s last start -> converged %7.0f ms (of which -> its lease %6.0f ms)   RSS per weftd %4d MB, settled %4d MB,"
                            + " all %d weftd %5d MB%n", backends.get(b),
                    BgpIngestBench.median(l.stream().mapToDouble(Result::convergeMs).toArray()),
                    BgpIngestBench.median(l.stream().mapToDouble(Result::leaseMs).toArray()),
                    (long) BgpIngestBench.median(l.stream().mapToDouble(x -> median(x.rssKb())).toArray()) / 1024,
                    (long) BgpIngestBench.median(l.stream().mapToDouble(x -> median(x.settledRssKb())).toArray()) / 1024, nodes,
                    (long) BgpIngestBench.median(l.stream().mapToDouble(x -> sum(x.settledRssKb())).toArray()) / 1024);
        }
        if (backends.size() < 2) {
            return;
        }
        double bc = BgpIngestBench.median(all.get(1).stream().mapToDouble(Result::convergeMs).toArray());
        double hc = BgpIngestBench.median(all.get(0).stream().mapToDouble(Result::convergeMs).toArray());
        System.out.printf("  ratio bgp/host-gw: convergence %.2fx, settled RSS per weftd %.2fx%n", bc / hc,
                BgpIngestBench.median(all.get(1).stream().mapToDouble(x -> median(x.settledRssKb())).toArray())
                        / BgpIngestBench.median(all.get(0).stream().mapToDouble(x -> median(x.settledRssKb())).toArray()));
    }

    /** {@code host-gw,bgp} (the default and the comparison), or one of them alone (while looking into one). */
    private static List<String> backends(String v) {
        return switch (v) {
            case "host-gw,bgp" -> List.of("host-gw", "bgp");
            case "bgp" -> List.of("bgp");
            case "host-gw" -> List.of("host-gw");
            default -> throw new IllegalArgumentException("--backends is host-gw,bgp, bgp or host-gw, not " + v);
        };
    }

    private static Result once(String backend, int n, int settle, int reserveMb) throws Exception {
        SimCluster.Options o = SimCluster.Options.of(0, "{\"Type\":\"" + backend + "\"}");
        if (backend.equals("bgp")) {
            // the status socket's default is one path for the whole machine: one per node here
            o = o.withExtraArgs(List.of("-bgp-status-socket", SimCluster.NODE_DIR + "/bgp.sock"));
        }
        List<Namespace> open = new ArrayList<>();
        try (SimCluster c = ProductionWeftd.emptyCluster(o)) {
            for (int i = 1; i < n; i++) {
                SimCluster.Node node = start(c, "n" + i, reserveMb);
                c.awaitSubnetEnv(node, Duration.ofSeconds(120));
            }
            SimCluster.Node last = start(c, "n" + n, reserveMb);
            long t0 = System.nanoTime();
            List<SimCluster.Node> all = c.nodes();
            for (SimCluster.Node node : all) {
                open.add(Namespace.open(node.host().path().toString()));
            }
            long leaseAt = 0;
            List<Set<Cidr>> expected = new ArrayList<>();
            boolean[] done = new boolean[n];
            int remaining = n;
            long deadline = t0 + CONVERGE_TIMEOUT.toNanos();
            while (remaining > 0) {
                if (leaseAt == 0 && Files.exists(last.subnetEnv())) {
                    leaseAt = System.nanoTime();
                    Set<Cidr> subnets = new HashSet<>();
                    for (SimCluster.Node node : all) {
                        subnets.add(Cidr.parse(SimCluster.readSubnetEnv(node).get("FLANNEL_SUBNET")).network());
                    }
                    for (SimCluster.Node node : all) {
                        Set<Cidr> others = new HashSet<>(subnets);
                        others.remove(Cidr.parse(SimCluster.readSubnetEnv(node).get("FLANNEL_SUBNET")).network());
                        expected.add(others);
                    }
                }
                if (leaseAt != 0) {
                    for (int i = 0; i < n; i++) {
                        if (!done[i] && podRoutes(open.get(i)).containsAll(expected.get(i))) {
                            done[i] = true;
                            remaining--;
                        }
                    }
                }
                if (remaining > 0) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(backend + ": " + remaining + " of " + n + " nodes still lack routes "
                                + CONVERGE_TIMEOUT + " after the last start; e.g. " + lacking(all, open, expected, done)
                                + "\n--- etcd:\n" + c.etcd().logTail(3000));
                    }
                    Thread.sleep(20);
                }
            }
            long t1 = System.nanoTime();
            long[] rss = new long[n];
            double[] cpu = new double[n];
            for (int i = 0; i < n; i++) {
                ProcSample s = ProcSample.of(weftdPid(all.get(i)));
                rss[i] = s.rssKb();
                cpu[i] = s.cpuTicks() / ProcSample.TICKS_PER_SECOND;
            }
            String flags = ProductionWeftd.jvmFlags(weftdPid(last));
            Thread.sleep(settle * 1000L);
            long[] settled = new long[n];
            for (int i = 0; i < n; i++) {
                settled[i] = ProcSample.of(weftdPid(all.get(i))).rssKb();
                if (!podRoutes(open.get(i)).containsAll(expected.get(i))) {
                    throw new IllegalStateException(backend + ": " + all.get(i).name() + " lost routes after converging");
                }
            }
            System.out.printf("    (%s: weftd JVM flags: %s; MemAvailable with all %d running: %d MB)%n", backend, flags, n, memAvailableMb());
            return new Result((leaseAt - t0) / 1e6, (t1 - t0) / 1e6, rss, settled, cpu);
        } finally {
            for (Namespace ns : open) {
                ns.close();
            }
        }
    }

    /** Starts a node's weftd unless the machine would be left with less than {@code reserveMb} available. */
    private static SimCluster.Node start(SimCluster c, String name, int reserveMb) {
        long avail = memAvailableMb();
        if (avail < reserveMb) {
            throw new IllegalStateException("MemAvailable " + avail + " MB < --reserve-mb " + reserveMb + " before starting " + name
                    + " (" + c.nodes().size() + " weftd running): rerun with fewer --nodes");
        }
        return c.addNode(name);
    }

    /** The node's routes into the pod network through a gateway (host-gw's and bgp Encap None's shape). */
    private static Set<Cidr> podRoutes(Namespace ns) {
        Cidr net = Cidr.parse(NETWORK);
        Set<Cidr> s = new HashSet<>();
        for (Route r : ns.netlink().routes(Linux.AF_INET, Rt.RT_TABLE_MAIN)) {
            if (r.gateway() != null && r.type() == Rt.RTN_UNICAST && net.contains(r.dst()) && r.dst().prefixLength() > net.prefixLength()) {
                s.add(r.dst());
            }
        }
        return s;
    }

    private static String lacking(List<SimCluster.Node> all, List<Namespace> open, List<Set<Cidr>> expected, boolean[] done) {
        if (expected.isEmpty()) {
            return "the last node wrote no subnet.env:\n" + all.get(all.size() - 1).weftd().logTail(3000);
        }
        for (int i = 0; i < all.size(); i++) {
            if (!done[i]) {
                Set<Cidr> missing = new HashSet<>(expected.get(i));
                missing.removeAll(podRoutes(open.get(i)));
                return all.get(i).name() + " lacks " + missing.size() + " routes, e.g. " + missing.iterator().next() + "\n"
                        + all.get(i).weftd().logTail(3000);
            }
        }
        return "";
    }

    /** The JVM's pid: `ip netns exec` and both launcher scripts exec, so it is the process started. */
    private static long weftdPid(SimCluster.Node n) {
        if (!n.weftd().isAlive()) {
            throw new IllegalStateException("weftd on " + n.name() + " is not running:\n" + n.weftd().logTail(3000));
        }
        return n.weftd().pid();
    }

    private static long memAvailableMb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemAvailable:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
                }
            }
            throw new IllegalStateException("no MemAvailable in /proc/meminfo");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long median(long[] v) {
        return (long) BgpIngestBench.median(java.util.Arrays.stream(v).asDoubleStream().toArray());
    }

    private static long min(long[] v) {
        return java.util.Arrays.stream(v).min().orElse(0);
    }

    private static long max(long[] v) {
        return java.util.Arrays.stream(v).max().orElse(0);
    }

    private static long sum(long[] v) {
        return java.util.Arrays.stream(v).sum();
    }
}
