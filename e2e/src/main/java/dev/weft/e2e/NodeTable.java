package dev.weft.e2e;

import dev.weft.testkit.Cmd;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code weftctl nodes} as an operator runs it on a node: its own JVM inside the node's namespace,
 * where the cluster's etcd is reachable, with weftd's etcd flags.
 */
public final class NodeTable {
    private NodeTable() {
    }

    public static Cmd.Result run(SimCluster c, SimCluster.Node on, String... more) {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", on.netns(), javaBin,
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "dev.weft.bgp.status.cli.Weftctl", "nodes", "-etcd-endpoints", c.endpointOnUnderlay(), "-etcd-prefix", SimCluster.PREFIX));
        cmd.addAll(List.of(more));
        return Cmd.of(cmd.toArray(String[]::new)).unsetEnvPrefix("FLANNELD_").timeout(Duration.ofSeconds(60)).tryRun();
    }
}
