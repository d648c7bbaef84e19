package dev.weft.bench.bgp;

import dev.weft.bench.ProcSample;
import dev.weft.netns.Namespace;
import dev.weft.testkit.Underlay;
import dev.weft.testkit.bgp.BgpLan;
import dev.weft.testkit.bgp.BirdConfig;
import dev.weft.testkit.bgp.BirdPeer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * BGP route ingestion: an announcer BIRD sends N unique prefixes over iBGP to a target speaker,
 * and the bench measures, per target, the time from the first session reaching Established to
 * the last route being in the target's kernel table (followed by its rtnetlink route events, see
 * {@link KernelRouteWatch}),
 * the target's CPU time and its idle and peak resident memory.
 *
 * <p>P announcer peers are P BIRD processes, each in its own namespace on the segment with one
 * session and N/P of the prefixes. One BIRD with P sessions from P local addresses would load the
 * 2-core machine less, but BIRD 2.0 allows only one session per neighbour address (it locks the
 * remote address: the other nine stay Idle), and giving the target P addresses would change the
 * target, not the announcers. The announcers' CPU is printed per trial so its share stays visible.
 *
 * <p>The announcers' main loops are woken every 10 ms through their control sockets
 * ({@link AnnouncerNudge}): BIRD 2.0.12 otherwise holds the tail of its initial feed until it
 * next wakes for something else, for as long as the target happens to stay quiet.
 *
 * <p>Usage: {@code bench/bgp-ingest [--routes N] [--peers P] [--rounds R] [--no-warmup] [--threads] [--no-nudge]
 * [--target bird|weft | --targets bird,bird]}. Defaults: N = 10,000 and 100,000, P = 1 and 10, R = 3, targets weft,bird (the agent,
 * then BIRD exporting to the kernel; who goes first alternates per round), ratios against bird.
 */
public final class BgpIngestBench {
    private static final long AS = 64512;
    /** --threads: per trial, the target's CPU in the measured window by thread name (JIT, GC, session, RIB, FIB...). */
    private static boolean THREADS;
    /** Off with --no-nudge: see {@link AnnouncerNudge}. */
    private static boolean NUDGE = true;
    private static final Duration INGEST_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration UP_TIMEOUT = Duration.ofSeconds(60);

    private BgpIngestBench() {
    }

    /** One measurement of one target. */
    record Trial(double ingestMs, double firstRouteMs, double lastUpMs, double announcerCpuSeconds, double cpuSeconds, double idleRssMb, double peakRssMb, String lateKeepalives) {
        double routesPerSecond(int routes) {
            return routes / (ingestMs / 1000.0);
        }

        /** Resident memory the routes cost: (peak RSS - idle RSS) / N, in KB. */
        double kbPerRoute(int routes) {
            return (peakRssMb - idleRssMb) * 1024.0 / routes;
        }
    }

    public static void main(String[] args) throws InterruptedException {
        List<Integer> routeCounts = intsArg(args, "--routes", List.of(10_000, 100_000));
        List<Integer> peerCounts = intsArg(args, "--peers", List.of(1, 10));
        int rounds = intsArg(args, "--rounds", List.of(3)).get(0);
        THREADS = List.of(args).contains("--threads");
        NUDGE = !List.of(args).contains("--no-nudge");
        int warmup = args.length > 0 && List.of(args).contains("--no-warmup") ? 0 : 1;
        String targetArg = stringArg(args, "--targets", stringArg(args, "--target", "weft,bird"));
        List<String> kinds = List.of(targetArg.split(","));
        List<String> labels = labels(kinds);
        for (String k : kinds) {
            try {
                create(k, k).close();   // the placeholder target fails here, before anything is built
            } catch (RuntimeException e) {
                System.err.println("bench/bgp-ingest: --target " + k + ": " + e.getMessage());
                System.exit(2);
            }
        }
        for (int n : routeCounts) {
            for (int p : peerCounts) {
                if (n % p != 0) {
                    throw new IllegalArgumentException(n + " routes do not split evenly over " + p + " peers");
                }
            }
        }
        // The first trial of a JVM is slow on OUR side: the route watch's event decoding is not
        // compiled yet and lags the kernel. One uncounted trial per target warms it.
        for (int w = 0; w < warmup; w++) {
            for (int t = 0; t < kinds.size(); t++) {
                Trial tr = trial(create(kinds.get(t), labels.get(t)), 10_000, 1);
                System.out.printf("  warm-up %-7s %9.1f ms (not counted)%n", labels.get(t), tr.ingestMs());
            }
        }
        for (int n : routeCounts) {
            Map<String, List<Trial>> results = new LinkedHashMap<>();
            for (int p : peerCounts) {
                for (int r = 0; r < rounds; r++) {
                    for (int i = 0; i < kinds.size(); i++) {
                        // targets interleaved, and who goes first rotates per round: drift hits all alike
                        int t = (i + r) % kinds.size();
                        Trial tr = trial(create(kinds.get(t), labels.get(t)), n, p);
                        System.out.printf("  N=%d P=%d round %d %-7s %9.1f ms (first route after %.1f ms, last session up after %.1f ms)"
                                        + "  %6.2f CPU s  idle %6.1f MB  peak %7.1f MB  late keepalives %s  announcer %.2f CPU s in all%n",
                                n, p, r + 1, labels.get(t), tr.ingestMs(), tr.firstRouteMs(), tr.lastUpMs(), tr.cpuSeconds(),
                                tr.idleRssMb(), tr.peakRssMb(), tr.lateKeepalives(), tr.announcerCpuSeconds());
                        results.computeIfAbsent(p + "/" + labels.get(t), x -> new ArrayList<>()).add(tr);
                    }
                }
            }
            print(n, rounds, peerCounts, labels, results);
        }
    }

    private static IngestTarget create(String kind, String label) {
        return switch (kind) {
            case "bird" -> new BirdIngestTarget(label);
            case "weft" -> new WeftAgentIngestTarget(label);
            default -> throw new IllegalArgumentException("unknown target '" + kind + "' (bird or weft)");
        };
    }

    /** bird,bird -> bird, bird#2: the sanity check's two columns must be told apart. */
    private static List<String> labels(List<String> kinds) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < kinds.size(); i++) {
            int same = 0;
            for (int j = 0; j < i; j++) {
                same += kinds.get(j).equals(kinds.get(i)) ? 1 : 0;
            }
            out.add(same == 0 ? kinds.get(i) : kinds.get(i) + "#" + (same + 1));
        }
        return out;
    }

    /** A fresh segment, target and announcers; everything is gone when it returns. */
    static Trial trial(IngestTarget target, int routes, int peers) throws InterruptedException {
        List<BirdPeer> announcers = new ArrayList<>();
        AnnouncerNudge nudge = null;
        try (BgpLan lan = BgpLan.create(); target) {
            List<Underlay.Node> anns = new ArrayList<>();
            for (int i = 0; i < peers; i++) {
                anns.add(lan.addSpeaker("ann" + i));
            }
            Underlay.Node tgt = lan.addSpeaker("tgt");
            target.start(tgt, AS, anns.stream().map(Underlay.Node::address).toList());
            ProcSample idle = ProcSample.of(target.pid());
            var idleThreads = THREADS ? ProcSample.threadTicks(target.pid()) : null;
            try (Namespace ns = Namespace.openNamed(tgt.netns());
                 KernelRouteWatch watch = new KernelRouteWatch(ns, target.kernelProtocol())) {
                int per = routes / peers;
                nudge = NUDGE ? new AnnouncerNudge() : null;
                for (int i = 0; i < peers; i++) {
                    BirdPeer a = BirdPeer.start(anns.get(i).netns(), announcerConfig(anns.get(i), tgt.address(), i * per, per));
                    announcers.add(a);
                    if (nudge != null) {
                        nudge.add(a.controlSocket());
                    }
                }
                Instant[] firstAndLast = watch.await(routes, INGEST_TIMEOUT, UP_TIMEOUT,
                        () -> "first announcer: " + announcers.get(0).protocols() + "\n" + announcers.get(0).logTail());
                if (watch.overflows() > 0) {
                    System.out.println("    route events overflowed " + watch.overflows() + " times (each replaced by a dump)");
                }
                ProcSample done = ProcSample.of(target.pid());
                if (THREADS) {
                    System.out.println("    " + target.name() + " CPU ticks (1/100 s) by thread, measured window: "
                            + ProcSample.threadTicksSince(idleThreads, ProcSample.threadTicks(target.pid())));
                }
                double announcerCpu = 0;
                for (BirdPeer a : announcers) {
                    announcerCpu += ProcSample.of(a.pid()).cpuTicks() / ProcSample.TICKS_PER_SECOND;
                }
                Instant up = target.firstEstablished();
                return new Trial(Duration.between(up, firstAndLast[1]).toNanos() / 1e6,
                        Duration.between(up, firstAndLast[0]).toNanos() / 1e6,
                        Duration.between(up, target.lastEstablished()).toNanos() / 1e6, announcerCpu,
                        (done.cpuTicks() - idle.cpuTicks()) / ProcSample.TICKS_PER_SECOND,
                        idle.rssKb() / 1024.0, done.hwmKb() / 1024.0, target.lateKeepalives());
            } finally {
                if (nudge != null) {
                    nudge.close();
                }
                for (BirdPeer a : announcers) {
                    a.kill9();   // measured already; the namespaces take the rest with them
                    a.close();
                }
            }
        }
    }

    /** One announcer: a BIRD with one session to the target exporting {@code count} statics from index {@code from}. */
    static BirdConfig announcerConfig(Underlay.Node ann, String target, int from, int count) {
        BirdConfig cfg = BirdConfig.of(ann.address(), AS).kernelExport(false)
                .neighbour(BirdConfig.Neighbour.of("tgt", target));
        for (int k = 0; k < count; k++) {
            cfg.staticRoute(prefix(from + k));
        }
        return cfg;
    }

    /** The i-th /26 of 10.128.0.0/9 (room for 131,072). */
    static String prefix(int i) {
        if (i < 0 || i >= 1 << 17) {
            throw new IllegalArgumentException("at most 131072 prefixes");
        }
        int a = (10 << 24) | (1 << 23) | (i << 6);
        return (a >>> 24) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff) + "/26";
    }

    private static void print(int n, int rounds, List<Integer> peerCounts, List<String> labels, Map<String, List<Trial>> results) {
        // ratios are against BIRD (the anchor) when it ran, else against the first target
        String base = labels.contains("bird") ? "bird" : labels.get(0);
        System.out.printf("%nbgp-ingest: %,d routes over iBGP, medians of %d rounds%n", n, rounds);
        System.out.printf("%-6s %-8s %11s %11s %8s %12s %12s %9s  %s%n", "peers", "target", "ingest ms", "routes/s",
                "CPU s", "idle RSS MB", "peak RSS MB", "KB/route", "late keepalives (each round)");
        for (int p : peerCounts) {
            Map<String, double[]> med = new LinkedHashMap<>();
            for (String label : labels) {
                List<Trial> ts = results.get(p + "/" + label);
                double ms = median(ts.stream().mapToDouble(Trial::ingestMs).toArray());
                double cpu = median(ts.stream().mapToDouble(Trial::cpuSeconds).toArray());
                double idle = median(ts.stream().mapToDouble(Trial::idleRssMb).toArray());
                double peak = median(ts.stream().mapToDouble(Trial::peakRssMb).toArray());
                double perRoute = median(ts.stream().mapToDouble(t -> t.kbPerRoute(n)).toArray());
                med.put(label, new double[] {ms, cpu, peak, perRoute});
                System.out.printf("%-6d %-8s %11.1f %11.0f %8.2f %12.1f %12.1f %9.2f  %s%n", p, label, ms, n / (ms / 1000.0),
                        cpu, idle, peak, perRoute, String.join("; ", ts.stream().map(Trial::lateKeepalives).toList()));
            }
            double[] b = med.get(base);
            for (String label : labels) {
                if (!label.equals(base)) {
                    double[] m = med.get(label);
                    System.out.printf("%-6d %-8s time %.2fx  CPU %.2fx  peak RSS %.2fx  KB/route %.2fx  (%s/%s)%n",
                            p, "ratio", m[0] / b[0], m[1] / b[1], m[2] / b[2], m[3] / b[3], label, base);
                }
            }
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    private static String stringArg(String[] args, String name, String dflt) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(name)) {
                if (i + 1 == args.length) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                return args[i + 1];
            }
        }
        return dflt;
    }

    private static List<Integer> intsArg(String[] args, String name, List<Integer> dflt) {
        String v = stringArg(args, name, null);
        if (v == null) {
            return dflt;
        }
        int x = Integer.parseInt(v);
        if (x < 1) {
            throw new IllegalArgumentException(name + " must be positive");
        }
        return List.of(x);
    }
}
