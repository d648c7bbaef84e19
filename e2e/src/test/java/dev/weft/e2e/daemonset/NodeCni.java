package dev.weft.e2e.daemonset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The container runtime's side of CNI on one simulated node: the network config list the init
 * container installed in the node's /etc/cni/net.d, and the plugins it installed in the node's
 * /opt/cni/bin, each run as its own process in the node's network namespace and with the node's
 * files where the plugins look for them (/run, /var/lib, /opt bind-mounted from the node's root in
 * a private mount namespace; the host's /run/netns stays visible for the pods' namespaces).
 */
final class NodeCni {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Runs in the private mount namespace: $0 is the node's root, then the plugin. */
    private static final String NODE_VIEW = "set -e\n"
            + "r=\"$0\"\n"
            + "mkdir -p \"$r/run/netns\" \"$r/var/lib\" \"$r/opt\"\n"
            + "mount --rbind /run/netns \"$r/run/netns\"\n"
            + "mount --rbind \"$r/run\" /run\n"
            + "mount --rbind \"$r/var/lib\" /var/lib\n"
            + "mount --rbind \"$r/opt\" /opt\n"
            + "exec \"$@\"\n";

    private final String netns;
    private final Path root;
    private final JsonNode conflist;

    private NodeCni(String netns, Path root, JsonNode conflist) {
        this.netns = netns;
        this.root = root;
        this.conflist = conflist;
    }

    /** The node's CNI config: the first network config list in its /etc/cni/net.d, as runtimes pick it. */
    static NodeCni of(String netns, Path root) throws IOException {
        Path dir = root.resolve("etc/cni/net.d");
        List<Path> lists;
        try (var s = Files.list(dir)) {
            lists = s.filter(p -> p.getFileName().toString().endsWith(".conflist")).sorted().toList();
        }
        if (lists.isEmpty()) {
            throw new IllegalStateException("no .conflist in " + dir);
        }
        return new NodeCni(netns, root, JSON.readTree(lists.get(0).toFile()));
    }

    JsonNode conflist() {
        return conflist;
    }

    /** ADD through every plugin of the list in order, each given the previous one's result. */
    JsonNode add(String containerId, TestNetns pod) throws IOException {
        JsonNode prev = null;
        for (JsonNode plugin : conflist.path("plugins")) {
            Cmd.Result r = run(plugin, prev, "ADD", containerId, pod);
            if (!r.ok()) {
                throw new IllegalStateException("CNI ADD " + plugin.path("type").asText() + ": " + r + "\nstdout: " + r.stdout()
                        + "\nstderr: " + r.stderr());
            }
            prev = JSON.readTree(r.stdout());
        }
        return prev;
    }

    /** DEL through the list in reverse order, with the ADD's result. */
    Cmd.Result del(String containerId, TestNetns pod, JsonNode result) {
        Cmd.Result last = null;
        JsonNode plugins = conflist.path("plugins");
        for (int i = plugins.size() - 1; i >= 0; i--) {
            last = run(plugins.get(i), result, "DEL", containerId, pod);
            if (!last.ok()) {
                return last;
            }
        }
        return last;
    }

    private Cmd.Result run(JsonNode plugin, JsonNode prevResult, String verb, String containerId, TestNetns pod) {
        ObjectNode conf = plugin.deepCopy();
        conf.put("name", conflist.path("name").asText());
        conf.put("cniVersion", conflist.path("cniVersion").asText());
        if (prevResult != null) {
            conf.set("prevResult", prevResult);
        }
        String exe = "/opt/cni/bin/" + plugin.path("type").asText();
        return Cmd.of("ip", "netns", "exec", netns, "unshare", "--mount", "--propagation", "private",
                        "sh", "-c", NODE_VIEW, root.toString(), exe)
                .unsetEnvPrefix("CNI_")
                .env("CNI_COMMAND", verb).env("CNI_CONTAINERID", containerId).env("CNI_NETNS", pod.path().toString())
                .env("CNI_IFNAME", "eth0").env("CNI_PATH", "/opt/cni/bin")
                // which path ran it (thick or the plugin's own JVM), on stderr, shown when an ADD fails
                .env("WEFT_TRACE", "1")
                .input(conf.toString()).timeout(Duration.ofSeconds(60)).tryRun();
    }
}
