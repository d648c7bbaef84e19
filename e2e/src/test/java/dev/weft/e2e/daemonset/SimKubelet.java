package dev.weft.e2e.daemonset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.testkit.Cmd;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What kubelet does with a DaemonSet's pod on one node, without Kubernetes: the volumes (each
 * hostPath under this node's own root directory, so two nodes on one machine do not share their
 * /run/flannel or /opt/cni/bin, except /run/netns, where the pods' namespaces are; ConfigMap and Secret volumes as files), the environment
 * (values, ConfigMap keys, the node's name and address), the init containers one after another
 * to completion, then the container, with the spec's command, args, mounts and privileges, all in
 * the node's network namespace (hostNetwork). Containers are removed by ID in {@link #close()}.
 * Anything in the spec it does not know is an error, never ignored.
 */
final class SimKubelet implements AutoCloseable {
    /** containerd's default capabilities (what a container gets before the spec adds any). */
    private static final List<String> DEFAULT_CAPS = List.of("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD",
            "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE");
    private static final Duration INIT_TIMEOUT = Duration.ofMinutes(4);
    /** Where runtimes name the pods' network namespaces (/var/run/netns is the same directory). */
    private static final String NETNS_DIR = "/run/netns";

    private final Manifest manifest;
    private final String nodeName;
    private final String netns;
    private final String nodeAddress;
    private final Path root;
    private final String image;
    private final Map<String, Path> volumes = new LinkedHashMap<>();
    private final List<String> containerIds = new ArrayList<>();

    SimKubelet(Manifest manifest, String nodeName, String netns, String nodeAddress, Path root, String image) {
        this.manifest = manifest;
        this.nodeName = nodeName;
        this.netns = netns;
        this.nodeAddress = nodeAddress;
        this.root = root;
        this.image = image;
    }

    /** This node's view of a host path. */
    Path host(String path) {
        return root.resolve(path.substring(1));
    }

    /** Sets up the volumes, then runs every init container to completion; their output, in order. */
    String runInitContainers() throws IOException {
        JsonNode spec = manifest.podSpec();
        for (JsonNode v : spec.path("volumes")) {
            volumes.put(v.path("name").asText(), materialize(v));
        }
        StringBuilder out = new StringBuilder();
        for (JsonNode c : spec.path("initContainers")) {
            String id = create(c);
            Cmd.Result r = Cmd.of(withArgs(Podman.command("start"), "--attach", id)).timeout(INIT_TIMEOUT).tryRun();
            if (!r.ok()) {
                throw new IllegalStateException("init container " + c.path("name").asText() + " on " + nodeName + " failed: " + r);
            }
            out.append(r.stdout()).append(r.stderr());
        }
        return out.toString();
    }

    /** Starts the pod's (one) container; returns its container ID. */
    String startContainer() {
        JsonNode containers = manifest.podSpec().path("containers");
        if (containers.size() != 1) {
            throw new IllegalStateException("expected one container, found " + containers.size());
        }
        String id = create(containers.get(0));
        Cmd.of(withArgs(Podman.command("start"), id)).timeout(Duration.ofSeconds(60)).run();
        return id;
    }

    String logs(String id) {
        Cmd.Result r = Cmd.of(withArgs(Podman.command("logs"), id)).tryRun();
        String all = r.stdout() + r.stderr();
        return all.length() > 6000 ? all.substring(all.length() - 6000) : all;
    }

    boolean running(String id) {
        Cmd.Result r = Cmd.of(withArgs(Podman.command("inspect"), "--format", "{{.State.Running}}", id)).tryRun();
        return r.ok() && r.stdout().strip().equals("true");
    }

    /**
     * The container's preStop hook, as kubelet runs an exec hook: the command in the running
     * container (its environment, mounts and namespaces), bounded by the pod's
     * terminationGracePeriodSeconds, which the hook counts against.
     */
    Cmd.Result runPreStop(String id) {
        JsonNode command = manifest.podSpec().path("containers").get(0).path("lifecycle").path("preStop").path("exec").path("command");
        if (!command.isArray() || command.isEmpty()) {
            throw new IllegalStateException("the container has no preStop exec command");
        }
        long grace = manifest.podSpec().path("terminationGracePeriodSeconds").asLong(30);
        List<String> argv = withArgs(Podman.command("exec"), id);
        argv.addAll(strings(command));
        return Cmd.of(argv).timeout(Duration.ofSeconds(grace)).tryRun();
    }

    /** The container's exit status once it has stopped, waiting at most {@code timeout}; -1 if it still runs. */
    int exitCode(String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (running(id)) {
            if (System.nanoTime() > deadline) {
                return -1;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
        return Integer.parseInt(Cmd.of(withArgs(Podman.command("inspect"), "--format", "{{.State.ExitCode}}", id)).run().stdout().strip());
    }

    /** A probe's httpGet, as kubelet sends it to a hostNetwork pod: to the node's address. Status code or -1. */
    int probe(JsonNode probe) {
        JsonNode get = probe.path("httpGet");
        if (get.isMissingNode()) {
            throw new IllegalStateException("only httpGet probes are known here: " + probe);
        }
        String url = get.path("scheme").asText("HTTP").toLowerCase() + "://" + nodeAddress + ":" + get.path("port").asInt()
                + get.path("path").asText("/");
        Cmd.Result r = Cmd.of("ip", "netns", "exec", netns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "--max-time", "2", url).timeout(Duration.ofSeconds(10)).tryRun();
        try {
            return Integer.parseInt(r.stdout().strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** GET http://node:port/path from the node's network namespace, as a scraper would; the body. */
    String httpGet(int port, String path) {
        return Cmd.of("ip", "netns", "exec", netns, "curl", "-sf", "--max-time", "5", "http://" + nodeAddress + ":" + port + path)
                .timeout(Duration.ofSeconds(10)).run().stdout();
    }

    private String create(JsonNode c) {
        List<String> argv = Podman.command("create");
        argv.addAll(List.of("--pull=never", "--network", "ns:/run/netns/" + netns, "--log-driver", "k8s-file",
                "--name", "wt-" + nodeName + "-" + c.path("name").asText() + "-" + Long.toHexString(System.nanoTime())));
        argv.addAll(Podman.ulimits());
        securityContext(c.path("securityContext"), argv);
        for (JsonNode e : c.path("env")) {
            argv.addAll(List.of("--env", e.path("name").asText() + "=" + envValue(e)));
        }
        for (JsonNode m : c.path("volumeMounts")) {
            if (m.has("subPath")) {
                throw new IllegalStateException("subPath is not known here: " + m);
            }
            Path src = volumes.get(m.path("name").asText());
            if (src == null) {
                throw new IllegalStateException("volumeMount of an undeclared volume: " + m);
            }
            List<String> opts = new ArrayList<>();
            if (m.path("readOnly").asBoolean()) {
                opts.add("ro");
            }
            String propagation = propagation(m.path("mountPropagation").asText("None"));
            if (propagation != null) {
                opts.add(propagation);
            }
            argv.addAll(List.of("--volume", src + ":" + m.path("mountPath").asText() + (opts.isEmpty() ? "" : ":" + String.join(",", opts))));
        }
        List<String> command = strings(c.path("command"));
        if (!command.isEmpty()) {
            argv.add("--entrypoint");
            argv.add(jsonArray(command));
        }
        argv.add(image);
        argv.addAll(strings(c.path("args")));
        String id = Cmd.of(argv).timeout(Duration.ofSeconds(60)).run().stdout().strip();
        containerIds.add(id);
        return id;
    }

    /** A volumeMount's mountPropagation as the runtime maps it (CRI: rslave, rshared), null for None. */
    private static String propagation(String k8s) {
        return switch (k8s) {
            case "None" -> null;
            case "HostToContainer" -> "rslave";
            case "Bidirectional" -> "rshared";
            default -> throw new IllegalStateException("mountPropagation '" + k8s + "' is not known here");
        };
    }

    private static void securityContext(JsonNode sc, List<String> argv) {
        if (sc.path("privileged").asBoolean()) {
            argv.add("--privileged");
            return;
        }
        argv.addAll(List.of("--cap-drop", "all"));
        for (String cap : DEFAULT_CAPS) {
            argv.addAll(List.of("--cap-add", cap));
        }
        for (String cap : strings(sc.path("capabilities").path("add"))) {
            argv.addAll(List.of("--cap-add", cap));
        }
        for (String cap : strings(sc.path("capabilities").path("drop"))) {
            argv.addAll(List.of("--cap-drop", cap));
        }
    }

    private String envValue(JsonNode e) {
        if (e.has("value")) {
            return e.path("value").asText();
        }
        JsonNode from = e.path("valueFrom");
        if (from.has("configMapKeyRef") || from.has("secretKeyRef")) {
            boolean cm = from.has("configMapKeyRef");
            JsonNode ref = from.path(cm ? "configMapKeyRef" : "secretKeyRef");
            String v = manifest.data(cm ? "ConfigMap" : "Secret", ref.path("name").asText()).get(ref.path("key").asText());
            if (v == null) {
                throw new IllegalStateException("env " + e.path("name").asText() + ": no key " + ref);
            }
            return v;
        }
        String field = from.path("fieldRef").path("fieldPath").asText();
        return switch (field) {
            case "spec.nodeName" -> nodeName;
            case "status.hostIP", "status.podIP" -> nodeAddress;
            default -> throw new IllegalStateException("env " + e.path("name").asText() + ": unknown source " + from);
        };
    }

    private Path materialize(JsonNode v) throws IOException {
        String name = v.path("name").asText();
        if (v.has("hostPath")) {
            String path = v.path("hostPath").path("path").asText();
            String type = v.path("hostPath").path("type").asText("");
            // The pods' namespaces are the machine's: the test's pods are made in the real /run/netns,
            // as NodeCni's plugins see them (a runtime's CNI_NETNS on a node lives there too).
            Path p = path.equals(NETNS_DIR) ? Path.of(path) : host(path);
            switch (type) {
                case "DirectoryOrCreate" -> Files.createDirectories(p);
                case "FileOrCreate" -> {
                    Files.createDirectories(p.getParent());
                    if (!Files.exists(p)) {
                        Files.createFile(p);
                    }
                }
                // a device is the machine's, not the node's: the real one
                case "CharDevice" -> {
                    Path dev = Path.of(path);
                    Cmd.Result r = Cmd.run("stat", "-c", "%F", dev.toString());
                    if (!r.stdout().strip().equals("character special file")) {
                        throw new IllegalStateException(path + " is not a character device here");
                    }
                    return dev;
                }
                case "Directory", "File" -> {
                    if (!Files.exists(p)) {
                        throw new IllegalStateException("hostPath " + path + " (type " + type + ") is missing on " + nodeName);
                    }
                }
                default -> throw new IllegalStateException("hostPath type '" + type + "' is not known here: " + v);
            }
            return p;
        }
        boolean cm = v.has("configMap");
        if (cm || v.has("secret")) {
            JsonNode src = v.path(cm ? "configMap" : "secret");
            Map<String, String> data = manifest.data(cm ? "ConfigMap" : "Secret", src.path(cm ? "name" : "secretName").asText());
            Path dir = Files.createDirectories(root.resolve(".kubelet/volumes").resolve(name));
            if (src.has("items")) {
                throw new IllegalStateException("items are not known here: " + v);
            }
            for (Map.Entry<String, String> e : data.entrySet()) {
                Path f = dir.resolve(e.getKey());
                Files.writeString(f, e.getValue());
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(cm ? "rw-r--r--" : "r--------"));
            }
            return dir;
        }
        throw new IllegalStateException("volume kind not known here: " + v);
    }

    private static List<String> strings(JsonNode array) {
        List<String> l = new ArrayList<>();
        array.forEach(n -> l.add(n.asText()));
        return l;
    }

    private static List<String> withArgs(List<String> base, String... more) {
        base.addAll(List.of(more));
        return base;
    }

    private static String jsonArray(List<String> items) {
        com.fasterxml.jackson.databind.node.ArrayNode a = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
        items.forEach(a::add);
        return a.toString();
    }

    /** Removes every container it made, by ID (stopping a running one first, SIGTERM then 10 s). */
    @Override
    public void close() {
        for (String id : containerIds) {
            Cmd.of(withArgs(Podman.command("rm"), "--force", "--time", "10", id)).timeout(Duration.ofSeconds(60)).tryRun();
        }
        containerIds.clear();
    }
}
