package dev.weft.bench;

import dev.weft.e2e.SimCluster;
import dev.weft.testkit.Cmd;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Data-path throughput and latency of the udp backend beside kernel VXLAN, on identical fresh
 * clusters, alternating backend by backend so that machine noise hits both alike.
 */
public final class UdpVsVxlanBench {
    private UdpVsVxlanBench() {
    }

    record Run(double gbps, double cpuPercent, double rttP50, double rttP99, double warmupGbps) {
    }

    public static void main(String[] args) {
        int rounds = intArg(args, "--rounds", 3);
        int seconds = intArg(args, "--seconds", 10);
        int warmup = intArg(args, "--warmup", 5);
        String launcher = stringArg(args, "--launcher", "production");
        if (!List.of("production", "kit").contains(launcher)) {
            throw new IllegalArgumentException("--launcher production|kit, got " + launcher);
        }
        boolean production = launcher.equals("production");
        List<Run> udp = new ArrayList<>();
        List<Run> vxlan = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            for (String backend : List.of("udp", "vxlan")) {
                Run run = once(backend, seconds, warmup, production);
                (backend.equals("udp") ? udp : vxlan).add(run);
                System.out.printf("  round %d %-5s %6.2f Gbit/s  cpu %5.1f %%  rtt p50 %.3f ms p99 %.3f ms  (warm-up %ds: %.2f Gbit/s)%n",
                        r + 1, backend, run.gbps(), run.cpuPercent(), run.rttP50(), run.rttP99(), warmup, run.warmupGbps());
            }
        }
        double u = median(udp.stream().mapToDouble(Run::gbps).toArray());
        double v = median(vxlan.stream().mapToDouble(Run::gbps).toArray());
        double uc = median(udp.stream().mapToDouble(x -> x.cpuPercent() / Math.max(x.gbps(), 1e-9)).toArray());
        double vc = median(vxlan.stream().mapToDouble(x -> x.cpuPercent() / Math.max(x.gbps(), 1e-9)).toArray());
        System.out.printf("udp-vs-vxlan: single TCP stream, %d s after a %d s warm-up, %d rounds each (medians); weftd by %s%n",
                seconds, warmup, rounds, production ? "dist/bin/weftd (production's launcher and JVM flags)" : "the e2e kit's launcher");
        System.out.printf("  udp    %6.2f Gbit/s  %6.1f %%CPU (machine) per Gbit/s  rtt p50 %.3f ms p99 %.3f ms%n", u, uc,
                median(udp.stream().mapToDouble(Run::rttP50).toArray()), median(udp.stream().mapToDouble(Run::rttP99).toArray()));
        System.out.printf("  vxlan  %6.2f Gbit/s  %6.1f %%CPU (machine) per Gbit/s  rtt p50 %.3f ms p99 %.3f ms%n", v, vc,
                median(vxlan.stream().mapToDouble(Run::rttP50).toArray()), median(vxlan.stream().mapToDouble(Run::rttP99).toArray()));
        System.out.printf("  ratio udp/vxlan %.2f (goal >= 0.8)%n", u / v);
    }

    /**
     * One fresh 2-node cluster; with {@code production} its nodes run dist/bin/weftd as a node
     * does (its small young generation and serial GC included), else the e2e kit's launcher.
     */
    private static Run once(String backend, int seconds, int warmup, boolean production) {
        SimCluster.Options o = SimCluster.Options.of(2, "{\"Type\":\"" + backend + "\"}");
        if (!production) {
            try (SimCluster c = SimCluster.start(o)) {
                return measure(c.addPod(c.node(0)), c.addPod(c.node(1)), seconds, warmup);
            }
        }
        try (SimCluster c = ProductionWeftd.cluster(o, 2)) {
            return measure(c.addPod(c.node(0)), c.addPod(c.node(1)), seconds, warmup);
        }
    }

    /**
     * A warm-up run, then single-stream iperf3 from pod a to pod b with the whole machine's CPU
     * over it, then ping RTTs; also for {@link BgpVsHostgwBench}.
     */
    static Run measure(SimCluster.Pod a, SimCluster.Pod b, int seconds, int warmup) {
        // warm the path before measuring, both backends alike: neighbour entries, and for udp
        // the JIT (weftd reaches its compiled steady state a few seconds into its first bulk
        // transfer; a daemon runs for days, so that steady state is what pods get)
        Cmd.of("ip", "netns", "exec", a.netns().name(), "ping", "-c", "20", "-i", "0.01", "-W", "1", b.ip()).tryRun();
        double warm = gbps(iperf(a, b, warmup));
        long[] before = busyAndTotalTicks();
        Cmd.Result r = iperf(a, b, seconds);
        long[] after = busyAndTotalTicks();
        double gbps = gbps(r);
        // the whole machine's busy time (pods, weftd, softirq: everything the path costs), in
        // percent of one core; iperf3's own figure would leave out weftd and the kernel's work
        int cores = Runtime.getRuntime().availableProcessors();
        double cpu = 100.0 * cores * (after[0] - before[0]) / Math.max(1, after[1] - before[1]);
        // RTT once the path is warm: a daemon runs for days, so its JIT-compiled steady state is
        // what pods see (measured cold, the udp path's first pings run in the interpreter)
        double[] rtt = rtts(a, b);
        return new Run(gbps, cpu, rtt[0], rtt[1], warm);
    }

    /** One single-stream iperf3 TCP run of {@code seconds} from pod a to pod b, as JSON. */
    private static Cmd.Result iperf(SimCluster.Pod a, SimCluster.Pod b, int seconds) {
        Thread t = new Thread(() -> Cmd.of("ip", "netns", "exec", b.netns().name(), "iperf3", "-s", "-1", "-B", b.ip())
                .timeout(Duration.ofSeconds(seconds + 30)).tryRun(), "iperf3-server");
        t.setDaemon(true);
        t.start();
        sleep(500);
        Cmd.Result r = Cmd.of("ip", "netns", "exec", a.netns().name(), "iperf3", "-c", b.ip(), "-t", String.valueOf(seconds), "-J")
                .timeout(Duration.ofSeconds(seconds + 30)).tryRun();
        try {
            t.join(30_000); // the server exits after its one client (-1)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return r;
    }

    /** Gbit/s received in an iperf3 -J report; 0 when it has none. Also for {@link IpipVsVxlanBench}. */
    static double gbps(Cmd.Result r) {
        return number(r.stdout(), "\"sum_received\"\\s*:\\s*\\{[^}]*?\"bits_per_second\"\\s*:\\s*([\\d.e+]+)") / 1e9;
    }

    /** {busy, total} jiffies of all CPUs from /proc/stat. */
    private static long[] busyAndTotalTicks() {
        try {
            String[] f = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle + iowait
            return new long[] {total - idle, total};
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static double[] rtts(SimCluster.Pod a, SimCluster.Pod b) {
        Cmd.Result r = Cmd.of("ip", "netns", "exec", a.netns().name(), "ping", "-c", "100", "-i", "0.01", "-W", "1", b.ip())
                .timeout(Duration.ofSeconds(30)).tryRun();
        List<Double> v = new ArrayList<>();
        Matcher m = Pattern.compile("time=([\\d.]+) ms").matcher(r.stdout());
        while (m.find()) {
            v.add(Double.parseDouble(m.group(1)));
        }
        if (v.isEmpty()) {
            return new double[] {Double.NaN, Double.NaN};
        }
        v.sort(null);
        return new double[] {v.get(v.size() / 2), v.get(Math.min(v.size() - 1, (int) Math.ceil(0.99 * v.size()) - 1))};
    }

    private static double number(String s, String regex) {
        Matcher m = Pattern.compile(regex).matcher(s);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    public static int intArg(String[] a, String n, int d) {
        String v = stringArg(a, n, null);
        return v == null ? d : Integer.parseInt(v);
    }

    /** The value after {@code n}, or {@code d}. */
    public static String stringArg(String[] a, String n, String d) {
        for (int i = 0; i + 1 < a.length; i++) {
            if (a[i].equals(n)) {
                return a[i + 1];
            }
        }
        return d;
    }
}
