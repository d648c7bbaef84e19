package dev.weft.bench;

import dev.weft.e2e.SimCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Simulated clusters whose nodes run dist/bin/weftd, the launcher a node really runs, so that a
 * figure such as resident memory is taken with production's JVM flags and its one jar, not with
 * the e2e kit's launcher (which adds flags of its own and a class path of many jars).
 */
public final class ProductionWeftd {
    private ProductionWeftd() {
    }

    /** dist/bin/weftd of the tree the bench runs from (bench/run-java passes it as weft.home). */
    static Path launcher() {
        String home = System.getProperty("weft.home");
        if (home == null) {
            throw new IllegalStateException("no -Dweft.home (run the bench through its script in bench/)");
        }
        Path p = Path.of(home, "dist", "bin", "weftd");
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException(p + " is missing: build it with `mvn -pl bench -am package -DskipTests`");
        }
        return p;
    }

    /**
     * Starts etcd and the underlay with no node yet, and points the cluster's weftd launcher at
     * dist/bin/weftd: every node the caller adds then runs the production launcher.
     */
    public static SimCluster emptyCluster(SimCluster.Options o) {
        Path weftd = launcher();
        SimCluster c = SimCluster.start(new SimCluster.Options(0, o.netConf(), o.leaseTtl(), o.extraArgs(), o.etcdArgs()));
        try {
            Files.writeString(c.launchers().weftd(), "#!/bin/sh\nexec '" + weftd + "' \"$@\"\n");
            return c;
        } catch (IOException e) {
            c.close();
            throw new UncheckedIOException(e);
        }
    }

    /** {@link #emptyCluster} with {@code nodes} nodes n1, n2 … added, each with its subnet.env written. */
    public static SimCluster cluster(SimCluster.Options o, int nodes) {
        SimCluster c = emptyCluster(o);
        try {
            for (int i = 1; i <= nodes; i++) {
                c.addNode("n" + i);
            }
            for (SimCluster.Node n : c.nodes()) {
                c.awaitSubnetEnv(n, java.time.Duration.ofSeconds(60));
            }
            return c;
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /**
     * The JVM flags a running weftd was started with (its java command line up to the class
     * path), read from /proc so the report shows what ran; fails when the pid is not a JVM.
     */
    public static String jvmFlags(long pid) {
        List<String> cmd = javaCommand(pid);
        return String.join(" ", cmd.subList(1, cmd.size()));
    }

    /** The java executable of a running JVM and its flags up to the class path (see {@link #jvmFlags}). */
    public static List<String> javaCommand(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
            String[] argv = new String(raw, 0, Math.min(raw.length, 1 << 16), StandardCharsets.UTF_8).split("\0");
            if (argv.length == 0 || !argv[0].endsWith("java")) {
                throw new IllegalStateException("pid " + pid + " is not a JVM: " + String.join(" ", argv));
            }
            List<String> cmd = new ArrayList<>(List.of(argv[0]));
            for (int i = 1; i < argv.length && !argv[i].equals("-cp"); i++) {
                cmd.add(argv[i]);
            }
            return cmd;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
