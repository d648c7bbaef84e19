package dev.weft.e2e.daemonset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.AddrInfo;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.EtcdServer;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.TestNetns;
import dev.weft.testkit.Underlay;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A manifest's DaemonSet pod on two simulated nodes, the part every manifest's test shares: the
 * nodes ({@code wt-} namespaces on one underlay, a default route each, etcd a third host there),
 * {@code etcd_endpoints} set as the manifest's header tells an operator to (and nothing else), a
 * {@link SimKubelet} per node with its own root directory, the init containers run on both nodes
 * at once and what they installed checked, weftd started and ready by the manifest's own probes, and
 * pods made from the installed conflist. {@link #close} removes pods, containers, etcd, namespaces
 * and directories, whatever failed before.
 */
final class ManifestNodes implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** From the e2e module directory (surefire's working directory). */
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    /** A pod made by the node's CNI plugins: its namespace, the ADD's result, its IPv4 address. */
    record Pod(TestNetns netns, JsonNode result, String ip) {
    }

    final Manifest manifest;
    final EtcdServer etcd;
    final List<Underlay.Node> hosts = new ArrayList<>();
    final List<SimKubelet> kubelets = new ArrayList<>();
    /** The current weftd container of each node. */
    final List<String> weftd = new ArrayList<>();
    private final Underlay underlay;
    private final Path work;
    private final List<Runnable> podCleanups = new ArrayList<>();

    private ManifestNodes(Manifest manifest, Underlay underlay, EtcdServer etcd, Path work) {
        this.manifest = manifest;
        this.underlay = underlay;
        this.etcd = etcd;
        this.work = work;
    }

    /** Two nodes on {@code subnet} with the init containers of {@code manifest} run and checked. */
    static ManifestNodes start(Manifest manifest, String image, String subnet) throws Exception {
        assertTrue(manifest.podSpec().path("hostNetwork").asBoolean(), "a hostNetwork pod");
        Path work = Files.createTempDirectory(Path.of("/var/tmp"), "wt-dspod");
        Underlay ul = null;
        ManifestNodes m = null;
        try {
            ul = Underlay.builder().subnet(subnet).build();
            EtcdServer etcd = EtcdServer.builder().on(ul.addNode("etcd")).launch();
            m = new ManifestNodes(manifest, ul, etcd, work);
            manifest.setConfigMapValue(m.configMapWith("etcd_endpoints"), "etcd_endpoints", etcd.endpoint());
            for (String label : List.of("n1", "n2")) {
                Underlay.Node h = ul.addNode(label);
                // A real node has a default route; weftd without -iface (like flanneld) takes its interface.
                Cmd.runInNetns(h.netns(), "ip", "route", "add", "default", "dev", Underlay.Node.IFNAME);
                m.hosts.add(h);
                m.kubelets.add(new SimKubelet(manifest, h.label(), h.netns(), h.address(), work.resolve(h.label()), image));
            }
            long t0 = System.nanoTime();
            m.runInitContainers();
            System.out.printf("DaemonSetPodTest: init containers on both nodes %.1f s%n", (System.nanoTime() - t0) / 1e9);
            return m;
        } catch (Exception | AssertionError e) {
            if (m != null) {
                m.close();
            } else {
                if (ul != null) {
                    ul.close();
                }
                dev.weft.e2e.SimCluster.deleteTree(work);
            }
            throw e;
        }
    }

    /** The init containers, on both nodes at once (each kubelet does its own), then what they left. */
    private void runInitContainers() throws Exception {
        List<CompletableFuture<String>> inits = new ArrayList<>();
        for (SimKubelet k : kubelets) {
            inits.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return k.runInitContainers();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        for (CompletableFuture<String> f : inits) {
            String out = f.get();
            assertTrue(!out.contains("no class-data archive"), "every plugin's archive trained:\n" + out);
        }
        String conflistText = configMapValueWith("\"plugins\"");
        for (SimKubelet k : kubelets) {
            checkInstalled(k, conflistText);
        }
    }

    /** weftd on every node, each ready by the readiness probe and live by the liveness probe. */
    void startWeftd() {
        long t0 = System.nanoTime();
        for (SimKubelet k : kubelets) {
            weftd.add(k.startContainer());
        }
        for (int i = 0; i < kubelets.size(); i++) {
            awaitReady(i);
            assertEquals(200, kubelets.get(i).probe(container().path("livenessProbe")), "liveness");
        }
        System.out.printf("DaemonSetPodTest: weftd ready on both nodes %.1f s after podman start%n", (System.nanoTime() - t0) / 1e9);
    }

    /** The pod's one container in the manifest. */
    JsonNode container() {
        return manifest.podSpec().path("containers").get(0);
    }

    void awaitReady(int node) {
        SimKubelet k = kubelets.get(node);
        String id = weftd.get(node);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        int code;
        while ((code = k.probe(container().path("readinessProbe"))) != 200) {
            if (!k.running(id) || System.nanoTime() > deadline) {
                throw new IllegalStateException("weftd not ready (last /readyz " + code + ", running " + k.running(id) + "):\n" + k.logs(id));
            }
            dev.weft.e2e.SimCluster.sleep(500);
        }
    }

    /** A pod on node {@code node} from the installed conflist and plugins; DEL'd on {@link #close} or {@link #deletePods}. */
    Pod addPod(int node, String containerId) throws IOException {
        NodeCni cni = NodeCni.of(hosts.get(node).netns(), work.resolve(hosts.get(node).label()));
        TestNetns pod = TestNetns.create("pod");
        JsonNode result;
        try {
            result = cni.add(containerId, pod);
        } catch (IOException | RuntimeException e) {
            pod.close();
            throw new IllegalStateException(e.getMessage() + "\nweftd on " + hosts.get(node).label() + ":\n"
                    + kubelets.get(node).logs(weftd.get(node)), e);
        }
        podCleanups.add(() -> {
            Cmd.Result del = cni.del(containerId, pod, result);
            pod.close();
            assertTrue(del.ok(), "CNI DEL: " + del);
        });
        String cidr = result.path("ips").path(0).path("address").asText();
        List<String> onEth0 = KernelState.addresses(pod.name(), "eth0").stream().map(AddrInfo::cidr).toList();
        assertTrue(onEth0.contains(cidr), "the pod's eth0 has " + onEth0 + ", ADD said " + cidr);
        return new Pod(pod, result, cidr.substring(0, cidr.indexOf('/')));
    }

    /** DEL of every pod, in order; each must succeed. */
    void deletePods() {
        List<Runnable> all = new ArrayList<>(podCleanups);
        podCleanups.clear();
        for (Runnable r : all) {
            r.run();
        }
    }

    /** This node's view of a host path. */
    Path host(int node, String path) {
        return kubelets.get(node).host(path);
    }

    /** The one ConfigMap that has {@code key}. */
    String configMapWith(String key) {
        List<String> with = manifest.names("ConfigMap").stream().filter(n -> manifest.data("ConfigMap", n).containsKey(key)).toList();
        assertEquals(1, with.size(), "ConfigMaps with " + key + ": " + with);
        return with.get(0);
    }

    /** The ConfigMap value that contains {@code marker} (the conflist, net-conf.json). */
    String configMapValueWith(String marker) {
        List<String> values = manifest.names("ConfigMap").stream().flatMap(n -> manifest.data("ConfigMap", n).values().stream())
                .filter(v -> v.contains(marker)).toList();
        assertEquals(1, values.size(), "ConfigMap values with " + marker);
        return values.get(0);
    }

    /** What the init containers left on the node: plugins, runtime, archives, the conflist, no temporaries. */
    private static void checkInstalled(SimKubelet k, String conflistText) throws IOException {
        Path bin = k.host("/opt/cni/bin");
        try (var s = Files.list(REPO.resolve("dist/cni/bin"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith("weft-")).toList()) {
                String name = p.getFileName().toString();
                assertTrue(Files.isExecutable(bin.resolve(name)), name + " installed");
                assertTrue(Files.size(bin.resolve(name + ".jsa")) > 0, name + ".jsa trained");
            }
        }
        Path link = Files.readSymbolicLink(bin.resolve(".weft/runtime"));
        assertTrue(link.toString().startsWith("runtime-") && Files.isExecutable(bin.resolve(".weft").resolve(link).resolve("bin/java")),
                "the runtime behind .weft/runtime: " + link);
        Path netd = k.host("/etc/cni/net.d");
        try (var s = Files.list(netd)) {
            List<String> names = s.map(p -> p.getFileName().toString()).toList();
            assertEquals(1, names.size(), "one file in net.d, no temporaries: " + names);
            assertEquals(conflistText, Files.readString(netd.resolve(names.get(0))), "the ConfigMap's conflist");
            JSON.readTree(conflistText);
        }
    }

    @Override
    public void close() {
        for (Runnable r : podCleanups) {
            try {
                r.run();
            } catch (RuntimeException | AssertionError ignored) {
                // the test already failed; the namespaces go below regardless
            }
        }
        podCleanups.clear();
        for (SimKubelet k : kubelets) {
            k.close();
        }
        try {
            etcd.close();
        } finally {
            try {
                underlay.close();
            } finally {
                dev.weft.e2e.SimCluster.deleteTree(work);
            }
        }
    }
}
