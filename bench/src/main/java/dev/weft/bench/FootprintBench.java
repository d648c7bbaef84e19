package dev.weft.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.e2e.SimCluster;
import dev.weft.e2e.WeftMetrics;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.EtcdServer;
import dev.weft.testkit.Underlay;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * weftd's footprint on a node that holds N remote leases: for each backend a fresh etcd and one
 * node namespace on the simulated underlay, running dist/bin/weftd exactly as production does (its
 * launcher, JVM flags and one jar). N valid leases of the backend's type are written to etcd in one
 * transaction (copies of the node's own lease with another PublicIP on the underlay subnet and,
 * for vxlan, another VtepMAC); once the kernel holds every peer's entries, and a settle time later,
 * the process is sampled from /proc over an idle window: VmRSS and VmHWM at the end, utime+stime
 * across it. flanneld cannot run here (no Go toolchain, no registry), so the goals stand as
 * the anchor; beside them, in the same run, the JVM's own floor: the same java with the same flags
 * running a main that only sleeps.
 */
public final class FootprintBench {
    private static final long RSS_GOAL_MB = 150;
    private static final double CPU_GOAL_PERCENT = 1.0;
    /** The goal holds for these; udp's data path pools buffers, and the issue sets it no RSS goal. */
    private static final List<String> RSS_GOAL_BACKENDS = List.of("vxlan", "host-gw");
    private static final int HEALTH_PORT = 10256;
    private static final Duration PROGRAM_TIMEOUT = Duration.ofSeconds(60);
    /** Subnets 10.244.1-254.0/24 minus the node's own, PublicIPs .10 up on the underlay's /24. */
    private static final int MAX_LEASES = 200;
    private static final ObjectMapper JSON = new ObjectMapper();

    private FootprintBench() {
    }

    /**
     * One process's figures: at the end of the idle window, and the CPU across it, its own threads'
     * and that of the children it waited for (weftd's iptables checks), in percent of one core.
     */
    record Footprint(String what, long programmedRssKb, ProcSample end, double ownCpuPercent, double childCpuPercent,
                     String busiestThreads) {
        double idleCpuPercent() {
            return ownCpuPercent + childCpuPercent;
        }
    }

    public static void main(String[] args) throws Exception {
        int leases = UdpVsVxlanBench.intArg(args, "--leases", 100);
        int settle = UdpVsVxlanBench.intArg(args, "--settle", 30);
        int idle = UdpVsVxlanBench.intArg(args, "--idle", 60);
        List<String> backends = List.of(UdpVsVxlanBench.stringArg(args, "--backends", "vxlan,host-gw,udp").split(","));
        if (leases < 1 || leases > MAX_LEASES || settle < 0 || idle < 1) {
            throw new IllegalArgumentException("--leases 1.." + MAX_LEASES + ", --settle >= 0, --idle >= 1");
        }
        for (String b : backends) {
            if (!List.of("vxlan", "host-gw", "udp").contains(b)) {
                throw new IllegalArgumentException("--backends: " + b + " is not vxlan, host-gw or udp");
            }
        }
        System.out.printf("footprint: dist/bin/weftd holding %d remote leases on one node; %d s settle after they are programmed,"
                + " then an idle window of %d s%n", leases, settle, idle);
        List<Footprint> rows = new ArrayList<>();
        Jvm java = null;
        for (String backend : backends) {
            Measured m = measureWeftd(backend, leases, settle, idle);
            rows.add(m.footprint());
            java = m.jvm();
            print("  ", m.footprint());
        }
        System.out.println("  weftd JVM flags: " + String.join(" ", java.javaCommand().subList(1, java.javaCommand().size()))
                + "; MALLOC_ARENA_MAX " + (java.mallocArenaMax() == null ? "unset" : java.mallocArenaMax()));
        Footprint floor = measureFloor(java, settle, idle);
        print("  ", floor);

        System.out.printf("footprint: %d remote leases, idle %d s (goals: RSS <= %d MB for %s; idle CPU < %.0f %% of one core)%n",
                leases, idle, RSS_GOAL_MB, String.join(" and ", RSS_GOAL_BACKENDS), CPU_GOAL_PERCENT);
        System.out.println("  (MB = MiB: VmRSS and VmHWM in kB / 1024)");
        System.out.println("  (idle CPU: weftd's own threads plus the children it ran and waited for, its iptables checks, as a"
                + " container's cgroup counts them)");
        System.out.println("  backend     RSS MB   HWM MB   idle CPU % of a core   threads   RSS goal        CPU goal");
        for (Footprint f : rows) {
            summary(f, RSS_GOAL_BACKENDS.contains(f.what()));
        }
        summary(floor, false);
        System.out.println("  anchor: flanneld is not available on this machine, so the issue's goals are the anchor; the floor row is"
                + " the same java and flags running a main that only sleeps (what the JVM costs before weftd does anything)");
    }

    /** How weftd's JVM was started: java and its flags, and glibc's arena limit from its environment (null: unset). */
    private record Jvm(List<String> javaCommand, String mallocArenaMax) {
        static Jvm of(long pid) {
            String arenas = null;
            try {
                byte[] raw = Files.readAllBytes(Path.of("/proc/" + pid + "/environ"));
                for (String kv : new String(raw, 0, Math.min(raw.length, 1 << 20), StandardCharsets.UTF_8).split("\0")) {
                    if (kv.startsWith("MALLOC_ARENA_MAX=")) {
                        arenas = kv.substring(kv.indexOf('=') + 1);
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read /proc/" + pid + "/environ: " + e.getMessage(), e);
            }
            return new Jvm(ProductionWeftd.javaCommand(pid), arenas);
        }
    }

    private record Measured(Footprint footprint, Jvm jvm) {
    }

    private static Measured measureWeftd(String backend, int leases, int settle, int idle) throws Exception {
        SimCluster.Options o = SimCluster.Options.of(0, "{\"Type\":\"" + backend + "\"}")
                // as kube-flannel.yml runs flanneld (-ip-masq), with the health server a DaemonSet's probes need
                .withExtraArgs(List.of("-ip-masq", "-healthz-ip", "127.0.0.1", "-healthz-port", String.valueOf(HEALTH_PORT)))
                .withEtcdArgs(List.of("--max-txn-ops=" + (leases + 10)));
        try (SimCluster c = ProductionWeftd.cluster(o, 1)) {
            SimCluster.Node n = c.node(0);
            long pid = n.weftd().pid();
            Jvm java = Jvm.of(pid);
            Cidr own = Cidr.parse(SimCluster.readSubnetEnv(n).get("FLANNEL_SUBNET")).network();
            String ownKey = SimCluster.PREFIX + "/subnets/" + own.toKeyForm();
            String ownValue = c.etcd().get(ownKey).orElseThrow(() -> new IllegalStateException("no own lease at " + ownKey));
            try (Namespace ns = Namespace.open(n.host().path().toString())) {
                LongSupplier programmed = programmedCount(backend, n, ns.netlink());
                long t0 = System.nanoTime();
                writeLeases(c.etcd(), own, ownValue, leases);
                awaitProgrammed(n, programmed, leases, backend);
                long programmedRss = ProcSample.of(pid).rssKb();
                System.out.printf("  %-8s %d leases programmed %.1f s after the write; settling %d s, then idle %d s%n", backend, leases,
                        (System.nanoTime() - t0) / 1e9, settle, idle);
                Thread.sleep(settle * 1000L);
                Footprint f = idleWindow(backend, pid, programmedRss, idle, () -> requireAlive(n));
                printNativeMemory(java, pid);
                if (programmed.getAsLong() != leases) {
                    throw new IllegalStateException(backend + ": " + programmed.getAsLong() + " of " + leases
                            + " peers programmed at the end of the idle window:\n" + n.weftd().logTail(3000));
                }
                return new Measured(f, java);
            }
        }
    }

    /**
     * How many of the remote leases the node has programmed: read back from the kernel for vxlan
     * (route + neighbour + FDB entry per peer, so a third of the entries) and host-gw (a route via
     * the peer per subnet); the udp backend keeps its peers in weftd's own table (the kernel holds
     * one route for the whole network), so there it is weftd's {@code weft_remote_leases} gauge.
     */
    private static LongSupplier programmedCount(String backend, SimCluster.Node n, RtNetlink nl) {
        return switch (backend) {
            case "vxlan" -> {
                int vx = nl.requireLink("flannel.1").index();
                yield () -> ConvergenceBench.count(nl, vx) / 3;
            }
            case "host-gw" -> {
                int eth0 = nl.requireLink(Underlay.Node.IFNAME).index();
                Cidr network = Cidr.parse("10.244.0.0/16");
                yield () -> nl.routes(Linux.AF_INET, Rt.RT_TABLE_MAIN).stream()
                        .filter(r -> r.oif() == eth0 && r.gateway() != null && network.contains(r.dst())).count();
            }
            default -> () -> WeftMetrics.scrape(n, HEALTH_PORT).get("weft_remote_leases");
        };
    }

    /**
     * The node's own lease value with another PublicIP (and VtepMAC where it has one) for each
     * of n subnets, written in one etcd transaction: valid leases of exactly the backend's shape.
     */
    private static void writeLeases(EtcdServer etcd, Cidr own, String ownValue, int n) throws IOException {
        StringBuilder put = new StringBuilder("\n");
        int written = 0;
        for (int third = 1; third <= 254 && written < n; third++) {
            Cidr subnet = Cidr.parse("10.244." + third + ".0/24");
            if (subnet.equals(own)) {
                continue;
            }
            ObjectNode lease = (ObjectNode) JSON.readTree(ownValue);
            lease.put("PublicIP", "192.168.213." + (10 + written));
            JsonNode data = lease.path("BackendData");
            if (data.has("VtepMAC")) {
                ((ObjectNode) data).put("VtepMAC", String.format("0e:00:00:00:%02x:%02x", written >> 8, written & 255));
            }
            String value = JSON.writeValueAsString(lease);
            put.append("put ").append(SimCluster.PREFIX).append("/subnets/").append(subnet.toKeyForm())
                    .append(" \"").append(value.replace("\"", "\\\"")).append("\"\n");
            written++;
        }
        put.append("\n\n"); // ends the success ops, then the (empty) failure ops
        ConvergenceBench.txn(etcd, put.toString());
    }

    private static void awaitProgrammed(SimCluster.Node n, LongSupplier programmed, int leases, String backend) throws InterruptedException {
        long deadline = System.nanoTime() + PROGRAM_TIMEOUT.toNanos();
        long seen;
        while ((seen = programmed.getAsLong()) < leases) {
            requireAlive(n);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(backend + ": " + seen + " of " + leases + " peers programmed after " + PROGRAM_TIMEOUT
                        + ":\n" + n.weftd().logTail(3000));
            }
            Thread.sleep(50);
        }
    }

    private static void requireAlive(SimCluster.Node n) {
        if (!n.weftd().isAlive()) {
            throw new IllegalStateException("weftd on " + n.name() + " exited:\n" + n.weftd().logTail(3000));
        }
    }

    /**
     * Samples the process across {@code idle} seconds: its CPU ticks at both ends (in percent of
     * one core over the measured wall time), RSS/HWM/threads at the end, and which threads used
     * the CPU meanwhile.
     */
    private static Footprint idleWindow(String what, long pid, long programmedRssKb, int idle, Runnable check)
            throws InterruptedException {
        Map<String, ProcSample.Ticks> threadsBefore = ProcSample.threadTicks(pid);
        ProcSample before = ProcSample.of(pid);
        long t0 = System.nanoTime();
        Thread.sleep(idle * 1000L);
        ProcSample after = ProcSample.of(pid);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, ProcSample.Ticks> threadsAfter = ProcSample.threadTicks(pid);
        check.run();
        double cpu = 100.0 * (after.cpuTicks() - before.cpuTicks()) / ProcSample.TICKS_PER_SECOND / seconds;
        double children = 100.0 * (after.childTicks() - before.childTicks()) / ProcSample.TICKS_PER_SECOND / seconds;
        return new Footprint(what, programmedRssKb, after, cpu, children, busiest(threadsBefore, threadsAfter));
    }

    /** The threads that used CPU in the window, as "name ticks", busiest first (at most 4). */
    private static String busiest(Map<String, ProcSample.Ticks> before, Map<String, ProcSample.Ticks> after) {
        Map<String, Long> delta = new LinkedHashMap<>();
        after.forEach((name, t) -> {
            long d = t.total() - (before.containsKey(name) ? before.get(name).total() : 0);
            if (d > 0) {
                delta.put(name, d);
            }
        });
        return delta.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(4)
                .map(e -> e.getKey() + " " + e.getValue()).reduce((a, b) -> a + ", " + b).orElse("none");
    }

    /**
     * Where the JVM's memory went, when weftd runs with {@code -XX:NativeMemoryTracking=summary}
     * (e.g. through WEFTD_JAVA_OPTS): each category's committed size from {@code jcmd}, for tuning.
     */
    private static void printNativeMemory(Jvm java, long pid) {
        if (java.javaCommand().stream().noneMatch(a -> a.startsWith("-XX:NativeMemoryTracking="))) {
            return;
        }
        Path jcmd = Path.of(java.javaCommand().get(0)).resolveSibling("jcmd");
        Cmd.Result r = Cmd.of(jcmd.toString(), String.valueOf(pid), "VM.native_memory", "summary", "scale=MB")
                .timeout(Duration.ofSeconds(30)).tryRun();
        StringBuilder b = new StringBuilder();
        for (String l : r.stdout().split("\n")) {
            String t = l.strip();
            if (t.startsWith("Total:") || t.startsWith("-")) {
                b.append(b.isEmpty() ? "" : "; ").append(t.replaceFirst("^-\\s*", "").replaceAll("\\s+", " "));
            }
        }
        System.out.println("    native memory (jcmd, MB): " + (b.isEmpty() ? r.stdout() + r.stderr() : b));
    }

    /** The same java and flags as weftd running {@link JvmFloor}: what the JVM alone costs. */
    private static Footprint measureFloor(Jvm java, int settle, int idle) throws Exception {
        Path classes = Path.of(JvmFloor.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> cmd = new ArrayList<>(java.javaCommand());
        cmd.addAll(List.of("-cp", classes.toString(), JvmFloor.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("MALLOC_ARENA_MAX");
        if (java.mallocArenaMax() != null) {
            pb.environment().put("MALLOC_ARENA_MAX", java.mallocArenaMax());
        }
        Process p = pb.start();
        try {
            Thread.sleep(settle * 1000L);
            Runnable alive = () -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("the JVM floor process exited with " + p.exitValue() + ": " + cmd);
                }
            };
            alive.run();
            return idleWindow("JVM floor", p.pid(), ProcSample.of(p.pid()).rssKb(), idle, alive);
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    private static void print(String indent, Footprint f) {
        System.out.printf("%s%-9s RSS %d MB (%d MB when programmed), HWM %d MB, idle CPU %.2f %% of a core (own %.2f, children"
                        + " %.2f), %d threads; idle CPU ticks (1/100 s) by thread: %s%n", indent, f.what(), f.end().rssKb() / 1024,
                f.programmedRssKb() / 1024, f.end().hwmKb() / 1024, f.idleCpuPercent(), f.ownCpuPercent(), f.childCpuPercent(),
                f.end().threads(), f.busiestThreads());
    }

    private static void summary(Footprint f, boolean rssGoal) {
        long rss = f.end().rssKb() / 1024;
        String rssVerdict = rssGoal ? (f.end().rssKb() <= RSS_GOAL_MB * 1024 ? "met" : "NOT met") : "-";
        boolean weftd = !f.what().equals("JVM floor");
        String cpuVerdict = weftd ? (f.idleCpuPercent() < CPU_GOAL_PERCENT ? "met" : "NOT met") : "-";
        System.out.printf("  %-10s %7d  %7d   %10.2f             %7d   %-15s %s%n", f.what(), rss, f.end().hwmKb() / 1024,
                f.idleCpuPercent(), f.end().threads(), rssVerdict, cpuVerdict);
    }
}
