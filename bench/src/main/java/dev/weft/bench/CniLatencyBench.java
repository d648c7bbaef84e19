package dev.weft.bench;

import dev.weft.flannel.ipam.BlockIpam;
import dev.weft.ipam.blocks.Pool;
import dev.weft.ipam.blocks.PoolConfig;
import dev.weft.net.Cidr;
import dev.weft.netns.NetNs;
import dev.weft.testkit.EtcdServer;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * ADD and DEL latency of a pod network attachment, measured the way a runtime pays it: the
 * plugin exec'd as a process with env + stdin, timed from start to exit. Every suite (bridge and
 * weft-bridge, ptp and weft-routed) runs inside the same throwaway "node" namespace with its own
 * bridge or subnet and IPAM directory, taking turns iteration by iteration so machine noise hits
 * all alike. Weft's plugins are installed twice: with the bundled runtime (what the installer puts
 * in .weft/runtime) and without it, on the host's Java; weft-bridge runs from both, each with the
 * class-data archives its own JVM wrote. The calico-like pair, weft-routed with weft-ipam, gets its
 * addresses from weftd's block IPAM server ({@link BlockIpam}, the code weftd runs, here in this
 * process) on a real etcd: weft-routed is a thick plugin whose shim hands the invocation to that
 * weftd, which runs the plugin code warm (and, with WEFT_THICK=0, the same in the shim's own JVM);
 * a "JVM floor" line times the bundled java starting and exiting with the launcher's flags.
 */
public final class CniLatencyBench {
    private CniLatencyBench() {
    }

    record Suite(String label, Path plugin, String config, Map<String, String> env) {
        Suite(String label, Path plugin, String config) {
            this(label, plugin, config, Map.of());
        }
    }

    public static void main(String[] args) throws Exception {
        int iterations = intArg(args, "--iterations", 60);
        Path dist = Path.of(stringArg(args, "--dist", "dist/cni/bin"));
        String tag = Integer.toString(ThreadLocalRandom.current().nextInt(1 << 24), 36);
        String node = "wt-bn-" + tag;
        Path work = Files.createTempDirectory("wt-cni-bench");
        Path bin = work.resolve("bin");
        Path binSystem = work.resolve("bin-system");
        run(List.of(dist.resolve("install").toString(), "--dest", bin.toString()), null, null);
        run(List.of(dist.resolve("install").toString(), "--dest", binSystem.toString(), "--no-runtime"), null, null);
        Path bundledJava = bin.resolve(".weft/runtime/bin/java");
        if (!Files.isExecutable(bundledJava) || Files.exists(binSystem.resolve(".weft/runtime"))) {
            throw new IllegalStateException("expected the bundled runtime in " + bin + " only (build dist/runtime with mvn package)");
        }
        String bundled = bundledJava.toRealPath().getParent().getParent().getFileName().toString();
        String cniPath = bin + ":/usr/lib/cni";
        Suite ref = new Suite("reference bridge+host-local", Path.of("/usr/lib/cni/bridge"), config("bridge", "host-local", "wt-bref0",
                "10.213.20.0/24", work.resolve("ipam-ref")));
        Suite weft = new Suite("weft-bridge+weft-host-local", bin.resolve("weft-bridge"), config("weft-bridge", "weft-host-local", "wt-bweft0",
                "10.213.21.0/24", work.resolve("ipam-weft")));
        Suite weftSystem = new Suite("  the same on the host's Java", binSystem.resolve("weft-bridge"), config("weft-bridge", "weft-host-local",
                "wt-bsys0", "10.213.24.0/24", work.resolve("ipam-system")));
        // The routed pair (issue 15): no bridge, a host route per pod; with host-local, and with the
        // block IPAM behind weftd's socket, against which the goal is measured.
        Suite ptp = new Suite("reference ptp+host-local", Path.of("/usr/lib/cni/ptp"), routedConfig("ptp", "host-local",
                "10.213.22.0/24", work.resolve("ipam-ptp")));
        Suite routed = new Suite("weft-routed+weft-host-local", bin.resolve("weft-routed"), routedConfig("weft-routed", "weft-host-local",
                "10.213.23.0/24", work.resolve("ipam-routed")));
        Path sock = work.resolve("run/cni.sock");
        // weft-routed is a thick plugin: its shim hands the invocation to weftd (here this process's
        // BlockIpam, the node's network being the bench's node namespace), which runs the plugin code
        // warm; WEFT_THICK=0 makes the shim run it in its own JVM, as it does when weftd does not serve.
        String blocksConfig = "{\"cniVersion\":\"1.0.0\",\"name\":\"wtbench\","
                + "\"type\":\"weft-routed\",\"mtu\":1450,\"ipam\":{\"type\":\"weft-ipam\",\"socket\":\"" + sock + "\"}}";
        Suite blocks = new Suite("weft-routed+weft-ipam (thick)", bin.resolve("weft-routed"), blocksConfig);
        Suite blocksInPlugin = new Suite("  the same run in the plugin's JVM", bin.resolve("weft-routed"), blocksConfig,
                Map.of("WEFT_THICK", "0"));
        // The floor under any JVM-based plugin, the thick shim included: the bundled java with the
        // launcher's flags starting and exiting (-version), timed the same way as the plugins.
        Path floorScript = work.resolve("jvm-floor");
        Files.writeString(floorScript, "#!/bin/sh\nexec " + bundledJava + " -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
                + " -XX:CICompilerCount=1 -XX:-UsePerfData -Xss512k -Xshare:auto -XX:+UnlockDiagnosticVMOptions"
                + " -XX:ArchiveRelocationMode=0 -version 2>/dev/null\n");
        Files.setPosixFilePermissions(floorScript, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Suite floor = new Suite("JVM floor (java -version)", floorScript, "{}");
        List<Suite> suites = List.of(ref, weft, weftSystem, ptp, routed, blocks, blocksInPlugin, floor);
        claim(node);
        NetNs.create(node).close();
        EtcdServer etcd = null;
        Client etcdClient = null;
        BlockIpam ipam = null;
        long thickServed = 0;
        long thickDeclined = 0;
        Map<Suite, List<Double>> adds = new java.util.HashMap<>();
        Map<Suite, List<Double>> dels = new java.util.HashMap<>();
        for (Suite s : suites) {
            adds.put(s, new ArrayList<>());
            dels.put(s, new ArrayList<>());
        }
        try {
            etcd = EtcdServer.launch();
            etcdClient = Client.builder().endpoints(etcd.endpoint()).build();
            // weftd's defaults: /26 blocks, 8 addresses kept in reserve, a 1 s upkeep tick
            ipam = BlockIpam.start(etcdClient, "/weft/ipam/v2", new PoolConfig(List.of(new Pool(Cidr.parse("10.213.28.0/22"), 26)),
                    false, 20), "wt-bench-node", BlockIpam.Settings.defaults(sock, work.resolve("ipam-journal"))
                    .inNodeNetns(NetNs.RUN_DIR.resolve(node).toString()));
            for (int warm = 0; warm < 3; warm++) {
                for (Suite s : suites) {
                    once(node, s, cniPath, "warm-" + s.plugin().getFileName() + warm);
                }
            }
            for (int i = 0; i < iterations; i++) {
                for (Suite s : suites) {
                    double[] t = once(node, s, cniPath, s.plugin().getFileName() + "-" + i);
                    adds.get(s).add(t[0]);
                    dels.get(s).add(t[1]);
                }
            }
            thickServed = ipam.thickServed();
            thickDeclined = ipam.thickDeclined();
        } finally {
            if (ipam != null) {
                ipam.close();
            }
            if (etcdClient != null) {
                etcdClient.close();
            }
            if (etcd != null) {
                etcd.close();
            }
            NetNs.delete(node);
            try (var s = Files.walk(work)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            Files.deleteIfExists(CLAIMS);
        }
        System.out.printf("cni-latency: %d iterations each, fresh pod netns per iteration, interleaved (ms)%n", iterations);
        System.out.printf("  Weft's plugins on the bundled runtime (%s) unless said; host's Java: %s%n",
                bundled, hostJava());
        for (Suite s : suites) {
            System.out.printf("  %-32s ADD p50 %7.1f  p99 %7.1f   DEL p50 %7.1f  p99 %7.1f%n", s.label(), pct(adds.get(s), 50),
                    pct(adds.get(s), 99), pct(dels.get(s), 50), pct(dels.get(s), 99));
        }
        ratios("weft-bridge/bridge", adds.get(weft), dels.get(weft), adds.get(ref), dels.get(ref));
        ratios("weft-routed/ptp", adds.get(routed), dels.get(routed), adds.get(ptp), dels.get(ptp));
        ratios("weft-routed+weft-ipam (thick)/ptp+host-local", adds.get(blocks), dels.get(blocks), adds.get(ptp), dels.get(ptp));
        ratios("  the same in the plugin's JVM/ptp+host-local", adds.get(blocksInPlugin), dels.get(blocksInPlugin), adds.get(ptp), dels.get(ptp));
        System.out.printf("  weftd ran %d weft-routed invocations itself (the thick suite's %d ADDs and DELs, warm-up included), declined %d%n",
                thickServed, 2 * (iterations + 3), thickDeclined);
        ratios("JVM floor/ptp+host-local", adds.get(floor), dels.get(floor), adds.get(ptp), dels.get(ptp));
        ratios("bundled/host runtime (weft-bridge)", adds.get(weft), dels.get(weft), adds.get(weftSystem), dels.get(weftSystem));
        System.out.printf("  goal (bridge): weft ADD p50 <= 150 ms -> %s%n", pct(adds.get(weft), 50) <= 150 ? "met" : "NOT met");
        System.out.printf("  goal (routed, issue 15): weft-routed+weft-ipam (thick) ADD p50 <= 3x ptp+host-local -> %s%n",
                pct(adds.get(blocks), 50) <= 3 * pct(adds.get(ptp), 50) ? "met" : "NOT met");
        System.out.printf("  goal (runtime, issue 16): bundled ADD and DEL p50 <= the host's Java -> %s%n",
                pct(adds.get(weft), 50) <= pct(adds.get(weftSystem), 50) && pct(dels.get(weft), 50) <= pct(dels.get(weftSystem), 50)
                        ? "met" : "NOT met");
    }

    /** The Java the launcher falls back to without a bundled runtime: JAVA_HOME's, else the first on PATH. */
    private static String hostJava() throws IOException {
        String home = System.getenv("JAVA_HOME");
        if (home != null && Files.isExecutable(Path.of(home, "bin", "java"))) {
            return Path.of(home, "bin", "java").toRealPath().toString();
        }
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path j = Path.of(d.isEmpty() ? "." : d, "java");
            if (Files.isExecutable(j)) {
                return j.toRealPath().toString();
            }
        }
        return "none found";
    }

    private static void ratios(String label, List<Double> add, List<Double> del, List<Double> refAdd, List<Double> refDel) {
        System.out.printf("  ratio %s: ADD p50 %.2fx  p99 %.2fx   DEL p50 %.2fx  p99 %.2fx%n", label,
                pct(add, 50) / pct(refAdd, 50), pct(add, 99) / pct(refAdd, 99), pct(del, 50) / pct(refDel, 50), pct(del, 99) / pct(refDel, 99));
    }

    private static String routedConfig(String type, String ipam, String subnet, Path dataDir) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"wtbench\",\"type\":\"" + type + "\",\"mtu\":1450,\"ipam\":{\"type\":\"" + ipam
                + "\",\"subnet\":\"" + subnet + "\",\"dataDir\":\"" + dataDir + "\",\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}}";
    }

    private static String config(String type, String ipam, String bridge, String subnet, Path dataDir) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"wtbench\",\"type\":\"" + type + "\",\"bridge\":\"" + bridge
                + "\",\"isGateway\":true,\"hairpinMode\":true,\"mtu\":1450,\"ipam\":{\"type\":\"" + ipam + "\",\"subnet\":\"" + subnet
                + "\",\"dataDir\":\"" + dataDir + "\",\"routes\":[{\"dst\":\"10.213.0.0/16\"}]}}";
    }

    /** One attachment's life: a fresh pod netns, ADD (timed), DEL (timed), netns removed. */
    private static double[] once(String node, Suite s, String cniPath, String id) throws IOException, InterruptedException {
        String pod = "wt-bp-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 24), 36);
        claim(pod);
        NetNs.create(pod).close();
        try {
            Map<String, String> env = Map.of("CNI_CONTAINERID", id, "CNI_NETNS", NetNs.RUN_DIR.resolve(pod).toString(),
                    "CNI_IFNAME", "eth0", "CNI_PATH", cniPath);
            double add = timed(node, s, "ADD", env);
            double del = timed(node, s, "DEL", env);
            return new double[] {add, del};
        } finally {
            NetNs.delete(pod);
        }
    }

    private static double timed(String node, Suite s, String verb, Map<String, String> env) throws IOException, InterruptedException {
        java.util.HashMap<String, String> e = new java.util.HashMap<>(env);
        e.put("CNI_COMMAND", verb);
        e.putAll(s.env());
        long t0 = System.nanoTime();
        run(List.of("nsenter", "--net=" + NetNs.RUN_DIR.resolve(node), s.plugin().toString()), e, s.config());
        return (System.nanoTime() - t0) / 1e6;
    }

    private static void run(List<String> cmd, Map<String, String> env, String stdin) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (env != null) {
            pb.environment().keySet().removeIf(k -> k.startsWith("CNI_") || k.startsWith("WEFT_"));
            pb.environment().putAll(env);
        }
        pb.redirectErrorStream(true);
        Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        int rc = p.waitFor();
        if (rc != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed (" + rc + "): " + new String(out, StandardCharsets.UTF_8));
        }
    }

    /**
     * Registers a namespace name, before creating it, in the test kit's claims directory: the leak
     * check of a test JVM running at the same time then leaves it alone instead of deleting it
     * mid-run (and failing its own test). Start time 0 in the file name: "any start of this pid".
     */
    private static final Path CLAIMS = Path.of("/run/weft-testkit", ProcessHandle.current().pid() + "-0");

    private static void claim(String name) throws IOException {
        Files.createDirectories(CLAIMS.getParent());
        Files.writeString(CLAIMS, name + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static double pct(List<Double> v, int p) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        int idx = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, idx)));
    }

    private static int intArg(String[] a, String n, int d) {
        String s = stringArg(a, n, null);
        return s == null ? d : Integer.parseInt(s);
    }

    private static String stringArg(String[] a, String n, String d) {
        for (int i = 0; i + 1 < a.length; i++) {
            if (a[i].equals(n)) {
                return a[i + 1];
            }
        }
        return d;
    }
}
