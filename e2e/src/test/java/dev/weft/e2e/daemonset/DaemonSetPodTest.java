package dev.weft.e2e.daemonset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.AddrInfo;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.EtcdServer;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.TestNetns;
import dev.weft.testkit.Underlay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * deploy/weft-flannel.yaml's pod, run as kubelet would run it but without Kubernetes, on two
 * simulated nodes (wt- namespaces on one underlay, etcd a third host there): the manifest is parsed,
 * its etcd_endpoints set, as its header tells an operator to (net-conf.json reaches weftd as a file);
 * {@link SimKubelet} gives each node its own root directory for the hostPaths and runs the init
 * containers, then weftd, from the image scripts/image built of this build, with the manifest's
 * command, args, env, mounts and privileges, in the node's network namespace. Then the pod is ready by the manifest's own probes,
 * the plugins the init container installed make a pod on each node from the conflist it
 * installed, and the pods ping each other across the nodes, cross-checked with {@code ip -j}.
 */
@KernelTest
class DaemonSetPodTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** From the e2e module directory (surefire's working directory). */
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    @Test
    void flannelManifestPodsReachEachOtherAcrossNodes() throws Exception {
        long start = System.nanoTime();
        String image = WeftImage.ensure(REPO);
        Manifest manifest = Manifest.load(REPO.resolve("deploy/weft-flannel.yaml"));
        JsonNode spec = manifest.podSpec();
        assertTrue(spec.path("hostNetwork").asBoolean(), "a hostNetwork pod");

        Path work = Files.createTempDirectory(Path.of("/var/tmp"), "wt-dspod");
        List<SimKubelet> kubelets = new ArrayList<>();
        List<Runnable> podCleanups = new ArrayList<>();
        try (Underlay ul = Underlay.builder().subnet("192.168.213.0/24").build();
             EtcdServer etcd = EtcdServer.builder().on(ul.addNode("etcd")).launch()) {
            // What the manifest's header tells an operator to do: set etcd's address. The network
            // config comes from the ConfigMap's file alone: nothing is put into etcd by hand.
            String cfg = configMapWith(manifest, "etcd_endpoints");
            manifest.setConfigMapValue(cfg, "etcd_endpoints", etcd.endpoint());
            List<Underlay.Node> hosts = List.of(ul.addNode("n1"), ul.addNode("n2"));
            for (Underlay.Node h : hosts) {
                // A real node has a default route; weftd without -iface (like flanneld) takes its interface.
                Cmd.runInNetns(h.netns(), "ip", "route", "add", "default", "dev", Underlay.Node.IFNAME);
            }
            for (Underlay.Node h : hosts) {
                kubelets.add(new SimKubelet(manifest, h.label(), h.netns(), h.address(), work.resolve(h.label()), image));
            }

            // The init containers, on both nodes at once (each kubelet does its own).
            List<CompletableFuture<String>> inits = new ArrayList<>();
            for (SimKubelet k : kubelets) {
                inits.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return k.runInitContainers();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }));
            }
            for (CompletableFuture<String> f : inits) {
                String out = f.get();
                assertTrue(!out.contains("no class-data archive"), "every plugin's archive trained:\n" + out);
            }
            String conflistText = configMapValueWith(manifest, "\"plugins\"");
            for (SimKubelet k : kubelets) {
                checkInstalled(k, conflistText);
            }

            // weftd, ready by the manifest's own probes.
            JsonNode container = spec.path("containers").get(0);
            List<String> ids = new ArrayList<>();
            for (SimKubelet k : kubelets) {
                ids.add(k.startContainer());
            }
            for (int i = 0; i < kubelets.size(); i++) {
                awaitReady(kubelets.get(i), ids.get(i), container);
                assertEquals(200, kubelets.get(i).probe(container.path("livenessProbe")), "liveness");
            }
            String leases = etcd.etcdctl("get", "/", "--prefix");
            String prefix = manifest.data("ConfigMap", cfg).get("etcd_prefix");
            assertTrue(etcd.get(prefix + "/config").isEmpty(), "leased by the ConfigMap's net-conf.json, no config key in etcd");
            assertTrue(leases.contains("\"PublicIP\""), "some lease written:\n" + leases);
            for (Underlay.Node h : hosts) {
                assertTrue(leases.contains("\"PublicIP\":\"" + h.address() + "\""), "a lease of " + h.label() + "'s address (weftd on its network):\n" + leases);
            }

            // A pod on each node, from the installed conflist and plugins.
            List<String> ips = new ArrayList<>();
            List<TestNetns> pods = new ArrayList<>();
            for (int i = 0; i < kubelets.size(); i++) {
                NodeCni cni = NodeCni.of(hosts.get(i).netns(), work.resolve(hosts.get(i).label()));
                TestNetns pod = TestNetns.create("pod");
                pods.add(pod);
                String cid = "dspod-" + i;
                JsonNode result = cni.add(cid, pod);
                podCleanups.add(() -> {
                    Cmd.Result del = cni.del(cid, pod, result);
                    pod.close();
                    assertTrue(del.ok(), "CNI DEL: " + del);
                });
                String cidr = result.path("ips").path(0).path("address").asText();
                List<String> onEth0 = KernelState.addresses(pod.name(), "eth0").stream().map(AddrInfo::cidr).toList();
                assertTrue(onEth0.contains(cidr), "the pod's eth0 has " + onEth0 + ", ADD said " + cidr);
                Map<String, String> env = subnetEnv(kubelets.get(i));
                assertTrue(inSubnet(cidr, env.get("FLANNEL_SUBNET")), cidr + " in the node's subnet " + env);
                ips.add(cidr.substring(0, cidr.indexOf('/')));
            }

            // vxlan between the nodes, by the kernel's own account: each node's device, and a route
            // to the other node's subnet through it.
            for (int i = 0; i < hosts.size(); i++) {
                String ns = hosts.get(i).netns();
                LinkInfo vtep = KernelState.requireLink(ns, "flannel.1");
                assertEquals("vxlan", vtep.kind(), vtep.toString());
                String other = subnetNetwork(subnetEnv(kubelets.get(1 - i)).get("FLANNEL_SUBNET"));
                List<RouteInfo> routes = KernelState.routes(ns, 4);
                assertTrue(routes.stream().anyMatch(r -> r.dst().equals(other) && "flannel.1".equals(r.dev())),
                        hosts.get(i).label() + " routes " + other + " through flannel.1: " + routes);
            }
            Cmd.Result ab = pods.get(0).tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", ips.get(1));
            assertTrue(ab.ok(), "pod on n1 -> pod on n2: " + ab);
            Cmd.Result ba = pods.get(1).tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", ips.get(0));
            assertTrue(ba.ok(), "pod on n2 -> pod on n1: " + ba);
            for (int i = 0; i < ids.size(); i++) {
                assertTrue(kubelets.get(i).running(ids.get(i)), "weftd still runs on n" + (i + 1));
            }
            for (Runnable r : podCleanups) {
                r.run();
            }
            podCleanups.clear();
            System.out.printf("DaemonSetPodTest: flannel manifest, 2 nodes, %.1f s in all%n", (System.nanoTime() - start) / 1e9);
        } finally {
            for (Runnable r : podCleanups) {
                try {
                    r.run();
                } catch (RuntimeException | AssertionError ignored) {
                    // the test already failed; the namespaces go below regardless
                }
            }
            for (SimKubelet k : kubelets) {
                k.close();
            }
            dev.weft.e2e.SimCluster.deleteTree(work);
        }
    }

    private static void awaitReady(SimKubelet k, String id, JsonNode container) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        int code;
        while ((code = k.probe(container.path("readinessProbe"))) != 200) {
            if (!k.running(id) || System.nanoTime() > deadline) {
                throw new IllegalStateException("weftd not ready (last /readyz " + code + ", running " + k.running(id) + "):\n" + k.logs(id));
            }
            sleep(500);
        }
    }

    /** The one ConfigMap that has {@code key}. */
    private static String configMapWith(Manifest m, String key) {
        List<String> with = m.names("ConfigMap").stream().filter(n -> m.data("ConfigMap", n).containsKey(key)).toList();
        assertEquals(1, with.size(), "ConfigMaps with " + key + ": " + with);
        return with.get(0);
    }

    /** The ConfigMap value that contains {@code marker} (the conflist). */
    private static String configMapValueWith(Manifest m, String marker) {
        List<String> values = m.names("ConfigMap").stream().flatMap(n -> m.data("ConfigMap", n).values().stream())
                .filter(v -> v.contains(marker)).toList();
        assertEquals(1, values.size(), "ConfigMap values with " + marker);
        return values.get(0);
    }

    /** What the init containers left on the node: plugins, runtime, archives, the conflist, no temporaries. */
    private static void checkInstalled(SimKubelet k, String conflistText) throws Exception {
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

    private static Map<String, String> subnetEnv(SimKubelet k) throws java.io.IOException {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (String l : Files.readAllLines(k.host("/run/flannel/subnet.env"))) {
            int eq = l.indexOf('=');
            if (eq > 0) {
                m.put(l.substring(0, eq), l.substring(eq + 1));
            }
        }
        return m;
    }

    /** "10.244.3.1/24" -> "10.244.3.0/24" (the leases here are /24s on octet boundaries). */
    private static String subnetNetwork(String gatewayCidr) {
        String ip = gatewayCidr.substring(0, gatewayCidr.indexOf('/'));
        return ip.substring(0, ip.lastIndexOf('.')) + ".0" + gatewayCidr.substring(gatewayCidr.indexOf('/'));
    }

    private static boolean inSubnet(String cidr, String subnet) {
        String net = subnetNetwork(subnet);
        return cidr.substring(0, cidr.lastIndexOf('.')).equals(net.substring(0, net.lastIndexOf('.')));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
