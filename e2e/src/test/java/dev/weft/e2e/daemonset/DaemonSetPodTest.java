package dev.weft.e2e.daemonset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.EtcdServer;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.Underlay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The deploy/ manifests' pods, run as kubelet would run them but without Kubernetes, on two
 * simulated nodes each ({@link ManifestNodes}: wt- namespaces on one underlay, etcd a third host
 * there): the manifest is parsed, its etcd_endpoints set, as its header tells an operator to
 * (net-conf.json reaches weftd as a file); {@link SimKubelet} gives each node its own root directory
 * for the hostPaths and runs the init containers, then weftd, from the image scripts/image built of
 * this build (once for both tests), with the manifest's command, args, env, mounts and privileges, in
 * the node's network namespace. Then the pod is ready by the manifest's own probes, the plugins the
 * init container installed make a pod on each node from the conflist it installed, and the pods
 * ping each other across the nodes, cross-checked with {@code ip -j}: over vxlan for
 * weft-flannel.yaml, over BGP-learned block routes for weft-calico.yaml, whose preStop is then run
 * and shown to be a graceful restart.
 */
@KernelTest
class DaemonSetPodTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path REPO = ManifestNodes.REPO;

    @Test
    void flannelManifestPodsReachEachOtherAcrossNodes() throws Exception {
        long start = System.nanoTime();
        String image = image();
        Manifest manifest = Manifest.load(REPO.resolve("deploy/weft-flannel.yaml"));
        try (ManifestNodes nodes = ManifestNodes.start(manifest, image, "192.168.213.0/24")) {
            List<SimKubelet> kubelets = nodes.kubelets;
            List<Underlay.Node> hosts = nodes.hosts;
            EtcdServer etcd = nodes.etcd;
            // weftd, ready by the manifest's own probes.
            nodes.startWeftd();
            String leases = etcd.etcdctl("get", "/", "--prefix");
            String prefix = manifest.data("ConfigMap", nodes.configMapWith("etcd_endpoints")).get("etcd_prefix");
            assertTrue(etcd.get(prefix + "/config").isEmpty(), "leased by the ConfigMap's net-conf.json, no config key in etcd");
            assertTrue(leases.contains("\"PublicIP\""), "some lease written:\n" + leases);
            for (Underlay.Node h : hosts) {
                assertTrue(leases.contains("\"PublicIP\":\"" + h.address() + "\""), "a lease of " + h.label() + "'s address (weftd on its network):\n" + leases);
            }

            // A pod on each node, from the installed conflist and plugins.
            List<ManifestNodes.Pod> pods = new ArrayList<>();
            for (int i = 0; i < kubelets.size(); i++) {
                ManifestNodes.Pod pod = nodes.addPod(i, "dspod-" + i);
                pods.add(pod);
                Map<String, String> env = subnetEnv(kubelets.get(i));
                assertTrue(inSubnet(pod.ip() + "/32", env.get("FLANNEL_SUBNET")), pod.ip() + " in the node's subnet " + env);
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
            pingBothWays(pods);
            for (int i = 0; i < nodes.weftd.size(); i++) {
                assertTrue(kubelets.get(i).running(nodes.weftd.get(i)), "weftd still runs on n" + (i + 1));
            }
            nodes.deletePods();
            System.out.printf("DaemonSetPodTest: flannel manifest, 2 nodes, %.1f s in all%n", (System.nanoTime() - start) / 1e9);
        }
    }

    /**
     * deploy/weft-calico.yaml's pod: routed pods with block IPAM, the blocks routed over BGP; then the
     * manifest's own preStop on n1, as kubelet runs it before a rolling update's SIGTERM, is a
     * graceful restart: the hook exits 0 within the grace period, weftd stopped with status 0, n2
     * keeps n1's block route (stale) and its pod still reaches n1's pod while n1 has no weftd; n1's
     * next weftd brings the session back without n2's route to it ever going, and allocates no
     * address twice.
     */
    @Test
    void calicoManifestRoutesPodsOverBgpAndItsPreStopIsAGracefulRestart() throws Exception {
        long start = System.nanoTime();
        String image = image();
        Manifest manifest = Manifest.load(REPO.resolve("deploy/weft-calico.yaml"));
        try (ManifestNodes nodes = ManifestNodes.start(manifest, image, "192.168.214.0/24")) {
            JsonNode netConf = JSON.readTree(nodes.configMapValueWith("\"Backend\""));
            Cidr network = Cidr.parse(netConf.path("Network").asText());
            int blockSize = netConf.path("IPAM").path("BlockSize").asInt();
            nodes.startWeftd();
            long ready = System.nanoTime();

            List<ManifestNodes.Pod> pods = new ArrayList<>();
            for (int i = 0; i < nodes.hosts.size(); i++) {
                ManifestNodes.Pod pod = nodes.addPod(i, "cpod-" + i);
                assertTrue(network.contains(IpAddress.parse(pod.ip())), pod.ip() + " in the pool " + network);
                pods.add(pod);
            }
            assertNotEquals(pods.get(0).ip(), pods.get(1).ip());
            // The thick path: each node's weftd (SYS_ADMIN, the host's /run/netns) ran its node's ADD
            // of weft-routed itself, and declined none (the shim's JVM would have run those).
            for (int i = 0; i < nodes.hosts.size(); i++) {
                assertTrue(Files.exists(nodes.host(i, "/run/weft/cni.sock.thick")), "weftd on n" + (i + 1) + " advertises the thick path");
                assertThick(nodes, i, 1);
            }
            // Each node learned the other's block over BGP (protocol bgp, via the other node, Encap None).
            RouteInfo bToA = awaitBgpRoute(nodes, 1, pods.get(0).ip(), nodes.hosts.get(0).address(), blockSize);
            awaitBgpRoute(nodes, 0, pods.get(1).ip(), nodes.hosts.get(1).address(), blockSize);
            pingBothWays(pods);
            long routed = System.nanoTime();

            // The preStop on n1, as kubelet runs it, then the SIGTERM finds weftd gone. Meanwhile n2's
            // route to n1's block is sampled: it must never go.
            SimKubelet a = nodes.kubelets.get(0);
            String stoppedId = nodes.weftd.get(0);
            long grace = manifest.podSpec().path("terminationGracePeriodSeconds").asLong();
            double hookSeconds;
            double restartSeconds;
            String line;
            try (RouteWatch watch = new RouteWatch(nodes.hosts.get(1).netns(), bToA.dst())) {
                long t0 = System.nanoTime();
                Cmd.Result hook = a.runPreStop(stoppedId);
                hookSeconds = (System.nanoTime() - t0) / 1e9;
                assertTrue(hook.ok(), "preStop: " + hook + "\n" + a.logs(stoppedId));
                assertTrue(hookSeconds < grace, "preStop took " + hookSeconds + " s, grace period " + grace + " s");
                line = hook.stdout().strip();
                assertFalse(line.contains("\n"), "one line: " + line);
                assertTrue(line.contains("for a restart") && line.contains("graceful restart") && line.contains("code 11"), line);
                assertEquals(0, a.exitCode(stoppedId, Duration.ofSeconds(10)), "weftd's exit status:\n" + a.logs(stoppedId));

                // n1 has no weftd: n2 keeps n1's block route as stale, and the pods still talk.
                List<RouteInfo> onB = KernelState.routes(nodes.hosts.get(1).netns(), 4);
                assertTrue(onB.contains(bToA) || onB.stream().anyMatch(r -> r.dst().equals(bToA.dst()) && r.gateway().equals(bToA.gateway())),
                        "n2 keeps " + bToA.dst() + " via n1 while n1's weftd is down: " + onB);
                Cmd.Result whileDown = pods.get(1).netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", pods.get(0).ip());
                assertTrue(whileDown.ok(), "pod on n2 -> pod on n1 while n1's weftd is down: " + whileDown);
                // n2's log line and podman's capture of it come in their own time: poll for it (10 s)
                String bLog = nodes.kubelets.get(1).logs(nodes.weftd.get(1));
                for (long until = System.nanoTime() + 10_000_000_000L; !bLog.contains("(graceful)") && System.nanoTime() < until; ) {
                    Thread.sleep(250);
                    bLog = nodes.kubelets.get(1).logs(nodes.weftd.get(1));
                }
                assertTrue(bLog.contains("(graceful)"), "n2 saw a graceful session end:\n" + bLog);

                // The DaemonSet's next pod on n1: a new weftd container; the session comes back.
                long down = System.nanoTime();
                nodes.weftd.set(0, a.startContainer());
                nodes.awaitReady(0);
                JsonNode peerA = awaitEstablished(nodes, 1, nodes.hosts.get(0).address());
                restartSeconds = (System.nanoTime() - down) / 1e9;
                assertTrue(peerA.path("notificationsReceived").isEmpty() || !peerA.path("notificationsReceived").has("6"),
                        "n2 received no Cease from n1: " + peerA);
                awaitBgpRoute(nodes, 1, pods.get(0).ip(), nodes.hosts.get(0).address(), blockSize);
                List<String> gaps = watch.stop();
                assertTrue(gaps.isEmpty(), "n2's route to " + bToA.dst() + " was missing at " + gaps);
            }

            // No address twice: a pod on n1 through the new weftd gets a new address, and etcd's
            // blocks hold each pod's handle with exactly its address.
            ManifestNodes.Pod after = nodes.addPod(0, "cpod-2");
            pods.add(after);
            assertTrue(!after.ip().equals(pods.get(0).ip()) && !after.ip().equals(pods.get(1).ip()), "a fresh address: " + after.ip());
            Map<String, List<String>> byHandle = allocationsByHandle(nodes);
            String net = JSON.readTree(nodes.configMapValueWith("\"plugins\"")).path("name").asText();
            for (int i = 0; i < pods.size(); i++) {
                assertEquals(List.of(pods.get(i).ip()), byHandle.get(net + ".cpod-" + i), "cpod-" + i + "'s allocations: " + byHandle);
            }
            Cmd.Result toNew = pods.get(1).netns().tryExec("ping", "-c", "2", "-i", "0.2", "-W", "2", after.ip());
            assertTrue(toNew.ok(), "pod on n2 -> the new pod on n1: " + toNew);
            nodes.deletePods();
            // n1's second weftd: cpod-2's ADD, cpod-0's and cpod-2's DEL; n2's: cpod-1's ADD and DEL
            assertThick(nodes, 0, 3);
            assertThick(nodes, 1, 2);

            // A node leaving for good: weftctl shutdown --withdraw ends the sessions with a Cease, and
            // n2 drops n1's block route at once instead of keeping it stale.
            String lastId = nodes.weftd.get(0);
            List<String> argv = Podman.command("exec");
            argv.addAll(List.of(lastId, "/opt/weft/bin/weftctl", "shutdown", "--withdraw"));
            Cmd.Result withdraw = Cmd.of(argv)
                    .timeout(Duration.ofSeconds(grace)).tryRun();
            assertTrue(withdraw.ok() && withdraw.stdout().contains("Cease/administrative shutdown"), withdraw.toString());
            assertEquals(0, a.exitCode(lastId, Duration.ofSeconds(10)), "weftd's exit status after --withdraw");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (KernelState.routes(nodes.hosts.get(1).netns(), 4).stream().anyMatch(r -> r.dst().equals(bToA.dst()))) {
                assertTrue(System.nanoTime() < deadline, "n2 still routes " + bToA.dst() + " 10 s after n1's --withdraw");
                dev.weft.e2e.SimCluster.sleep(100);
            }
            System.out.printf("DaemonSetPodTest: calico manifest, 2 nodes, %.1f s in all (ready after %.1f s, routed pods %.1f s,"
                            + " preStop %.1f s, restart to Established %.1f s): %s%n", (System.nanoTime() - start) / 1e9,
                    (ready - start) / 1e9, (routed - ready) / 1e9, hookSeconds, restartSeconds, line);
        }
    }

    /** Node {@code node}'s weftd served {@code served} weft-routed invocations itself and declined none, by its /metrics. */
    private static void assertThick(ManifestNodes nodes, int node, long served) {
        int port = nodes.manifest.podSpec().path("containers").get(0).path("livenessProbe").path("httpGet").path("port").asInt();
        String metrics = nodes.kubelets.get(node).httpGet(port, "/metrics");
        String log = nodes.kubelets.get(node).logs(nodes.weftd.get(node));
        assertEquals(served, sample(metrics, "weft_cni_thick_served_total"), "n" + (node + 1) + "'s weftd ran weft-routed for the shim:\n" + log);
        assertEquals(0, sample(metrics, "weft_cni_thick_declined_total"), "n" + (node + 1) + "'s weftd declined none:\n" + log);
    }

    /** An unlabelled sample's value in a Prometheus text exposition. */
    private static long sample(String exposition, String name) {
        for (String l : exposition.split("\n")) {
            if (l.startsWith(name + " ")) {
                return (long) Double.parseDouble(l.substring(name.length() + 1).strip());
            }
        }
        throw new AssertionError("no " + name + " in /metrics:\n" + exposition);
    }

    /** The bgp route on node {@code node} whose block (/blockSize) holds {@code podIp}, via {@code gateway}; waits up to 30 s. */
    private static RouteInfo awaitBgpRoute(ManifestNodes nodes, int node, String podIp, String gateway, int blockSize) {
        String block = Cidr.parse(podIp + "/" + blockSize).network().toString();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<RouteInfo> routes;
        do {
            routes = KernelState.routes(nodes.hosts.get(node).netns(), 4);
            for (RouteInfo r : routes) {
                if (r.dst().equals(block) && gateway.equals(r.gateway()) && BGP_PROTOCOL.contains(r.protocol())) {
                    return r;
                }
            }
            dev.weft.e2e.SimCluster.sleep(300);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(nodes.hosts.get(node).label() + " has no bgp route " + block + " via " + gateway + ": " + routes);
    }

    /** Node {@code node}'s weftd's view of the peer at {@code address} once Established (weftctl bgp peers in its container). */
    private static JsonNode awaitEstablished(ManifestNodes nodes, int node, String address) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode last = null;
        do {
            List<String> argv = Podman.command("exec");
            argv.addAll(List.of(nodes.weftd.get(node), "/opt/weft/bin/weftctl", "bgp", "peers", "--json"));
            Cmd.Result r = Cmd.of(argv)
                    .timeout(Duration.ofSeconds(30)).tryRun();
            if (r.ok()) {
                for (JsonNode p : JSON.readTree(r.stdout()).path("peers")) {
                    if (p.path("address").asText().equals(address)) {
                        last = p;
                        if (p.path("state").asText().equalsIgnoreCase("established")) {
                            return p;
                        }
                    }
                }
            }
            dev.weft.e2e.SimCluster.sleep(500);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no Established session to " + address + " on " + nodes.hosts.get(node).label() + ": " + last);
    }

    /** Every allocated address in etcd's IPAM blocks, by the handle holding it (Calico's block layout). */
    private static Map<String, List<String>> allocationsByHandle(ManifestNodes nodes) throws Exception {
        String prefix = nodes.manifest.data("ConfigMap", nodes.configMapWith("etcd_prefix")).get("etcd_prefix");
        String values = nodes.etcd.etcdctl("get", prefix + "/ipam/v2/assignment/", "--prefix", "--print-value-only");
        Map<String, List<String>> byHandle = new java.util.TreeMap<>();
        java.util.Set<String> blocks = new java.util.HashSet<>();
        for (String l : values.split("\n")) {
            if (!l.startsWith("{")) {
                continue;
            }
            JsonNode b = JSON.readTree(l);
            Cidr cidr = Cidr.parse(b.path("cidr").asText());
            assertTrue(blocks.add(cidr.toString()), "one block per CIDR: " + cidr);
            long base = ipv4(cidr.network().address().toString());
            JsonNode allocations = b.path("allocations");
            for (int i = 0; i < allocations.size(); i++) {
                if (allocations.get(i).isNull()) {
                    continue;
                }
                String handle = b.path("attributes").path(allocations.get(i).asInt()).path("handle_id").asText();
                long ip = base + i;
                byHandle.computeIfAbsent(handle, h -> new ArrayList<>())
                        .add((ip >> 24 & 255) + "." + (ip >> 16 & 255) + "." + (ip >> 8 & 255) + "." + (ip & 255));
            }
        }
        return byHandle;
    }

    private static long ipv4(String dotted) {
        long v = 0;
        for (String part : dotted.split("\\.")) {
            v = v << 8 | Integer.parseInt(part);
        }
        return v;
    }

    /** Protocol 88 as iproute2 names it: by an rt_protos entry (weft-bgp; bgp in some distributions' files), or "88" without one. */
    private static final java.util.Set<String> BGP_PROTOCOL = java.util.Set.of("weft-bgp", "bgp", "88");

    /** Samples a node's routes every 200 ms on a thread of its own, noting when {@code dst} is missing. */
    private static final class RouteWatch implements AutoCloseable {
        private final List<String> gaps = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        private final Thread thread;

        RouteWatch(String netns, String dst) {
            long t0 = System.nanoTime();
            thread = new Thread(() -> {
                while (running.get()) {
                    if (KernelState.routes(netns, 4).stream().noneMatch(r -> r.dst().equals(dst))) {
                        gaps.add(String.format("%.1f s", (System.nanoTime() - t0) / 1e9));
                    }
                    dev.weft.e2e.SimCluster.sleep(200);
                }
            }, "wt-route-watch");
            thread.setDaemon(true);
            thread.start();
        }

        /** Stops sampling; the times at which the route was missing. */
        List<String> stop() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
            return gaps;
        }

        @Override
        public void close() throws InterruptedException {
            stop();
        }
    }

    private static void pingBothWays(List<ManifestNodes.Pod> pods) {
        Cmd.Result ab = pods.get(0).netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", pods.get(1).ip());
        assertTrue(ab.ok(), "pod on n1 -> pod on n2: " + ab);
        Cmd.Result ba = pods.get(1).netns().tryExec("ping", "-c", "3", "-i", "0.2", "-W", "2", pods.get(0).ip());
        assertTrue(ba.ok(), "pod on n2 -> pod on n1: " + ba);
    }

    /** The image of this build, built (or found) once for every manifest's test. */
    private static synchronized String image() throws java.io.IOException {
        if (image == null) {
            image = WeftImage.ensure(REPO);
        }
        return image;
    }

    private static String image;

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
}
