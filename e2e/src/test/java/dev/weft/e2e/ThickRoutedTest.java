package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.cni.thick.ThickService;
import dev.weft.flannel.ipam.BlockIpam;
import dev.weft.ipam.blocks.BlockAllocator;
import dev.weft.ipam.blocks.Pool;
import dev.weft.ipam.blocks.PoolConfig;
import dev.weft.ipam.socket.IpamFrame;
import dev.weft.net.Cidr;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.EtcdServer;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.TestNetns;
import io.etcd.jetcd.Client;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * weft-routed as a thick plugin (issue 15): its shim hands the invocation to weftd's CNI socket and
 * weftd runs the plugin code (weft-ipam calling the allocator directly), or, when weftd does not
 * serve it, the shim's own JVM runs the plugin as before. The node is a wt- namespace that weftd's
 * block IPAM (this JVM, as in the other block IPAM tests) is told is its network; the plugins run as
 * processes inside it, as a runtime runs them.
 */
@KernelTest
class ThickRoutedTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "/weft/e2e-thick";

    private static Path dir;
    private static Launchers launchers;
    private static TestNetns node;
    private static EtcdServer etcd;
    private static Client client;
    private static BlockIpam weftd;
    private static Path sock;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("wt-thick");
        launchers = Launchers.create(dir.resolve("bin"));
        node = TestNetns.create("node");
        etcd = EtcdServer.launch();
        client = Client.builder().endpoints(etcd.endpoint()).build();
        sock = dir.resolve("run/cni.sock");
        weftd = BlockIpam.start(client, PREFIX, new PoolConfig(List.of(new Pool(Cidr.parse("10.214.0.0/24"), 26)), false, 20), "node-a",
                new BlockIpam.Settings(sock, dir.resolve("journal"), 2, 1000, new BlockAllocator.Options(Duration.ofSeconds(2), 100),
                        BlockIpam.Settings.DEFAULT_GONE_NODE_GRACE).inNodeNetns(node.path().toString()));
    }

    @AfterAll
    static void stop() throws IOException {
        try {
            if (weftd != null) {
                weftd.close();
            }
        } finally {
            if (client != null) {
                client.close();
            }
            if (etcd != null) {
                etcd.close();
            }
            if (node != null) {
                node.close();
            }
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String conf(Path socket, String extra) {
        return "{\"cniVersion\":\"1.1.0\",\"name\":\"thick\",\"type\":\"weft-routed\",\"mtu\":1400" + extra
                + ",\"ipam\":{\"type\":\"weft-ipam\",\"socket\":\"" + socket + "\"}}";
    }

    private static Cmd.Result cni(String verb, String id, TestNetns pod, String conf, boolean thick) {
        Cmd.Call c = Cmd.of("ip", "netns", "exec", node.name(), launchers.plugin("weft-routed").toString()).unsetEnvPrefix("CNI_")
                .env("CNI_COMMAND", verb).env("CNI_PATH", launchers.cniBin().toString());
        if (!thick) {
            c = c.env("WEFT_THICK", "0");
        }
        if (pod != null) {
            c = c.env("CNI_CONTAINERID", id).env("CNI_NETNS", pod.path().toString()).env("CNI_IFNAME", "eth0");
        }
        return c.input(conf).timeout(Duration.ofSeconds(60)).tryRun();
    }

    /** The node's links besides lo: the host ends of the pods' veths. */
    private static List<LinkInfo> hostVeths() {
        return KernelState.links(node.name()).stream().filter(l -> !l.ifname().equals("lo")).toList();
    }

    /**
     * The same sequence through both paths: ADD (Calico's kernel state, read back with ip -j), CHECK,
     * a bad config, DEL (link, route and handle gone), STATUS and GC; the answers agree in
     * everything but the pod's own address, MAC and host veth name, and weftd counts exactly the
     * thick path's invocations as its own.
     */
    @Test
    void bothPathsAnswerAlikeAndLeaveTheSameKernelState() throws Exception {
        List<JsonNode> results = new ArrayList<>();
        for (boolean thick : new boolean[] {true, false}) {
            long served = weftd.thickServed();
            String id = thick ? "thick1" : "plugin1";
            String conf = conf(sock, "");
            try (TestNetns pod = TestNetns.create()) {
                Cmd.Result add = cni("ADD", id, pod, conf, thick);
                assertEquals(0, add.exitCode(), add.toString());
                JsonNode r = JSON.readTree(add.stdout());
                results.add(r);
                String ip = r.get("ips").get(0).get("address").asText();
                assertTrue(ip.endsWith("/32") && Cidr.parse("10.214.0.0/24").contains(Cidr.parse(ip).address()), ip);
                String hostVeth = r.get("interfaces").get(0).get("name").asText();
                LinkInfo h = KernelState.requireLink(node.name(), hostVeth);
                assertEquals("ee:ee:ee:ee:ee:ee", h.address());
                assertEquals(1400, h.mtu());
                String bare = ip.split("/")[0];
                RouteInfo route = KernelState.routes(node.name(), 4).stream().filter(x -> bare.equals(x.dst())).findFirst().orElseThrow();
                assertEquals(hostVeth, route.dev());
                assertEquals("link", route.scope());
                assertEquals("1", node.sysctl("net.ipv4.conf." + hostVeth + ".proxy_arp"));
                assertEquals(List.of(ip), KernelState.addresses(pod.name(), "eth0").stream().filter(a -> !"link".equals(a.scope()))
                        .map(a -> a.local() + "/" + a.prefixlen()).toList());
                assertTrue(KernelState.routes(pod.name(), 4).stream().anyMatch(x -> "default".equals(x.dst()) && "169.254.1.1".equals(x.gateway())));
                assertTrue(etcd.get(PREFIX + "/handle/thick." + id).isPresent(), "the address is the pod's handle's in etcd");

                Cmd.Result check = cni("CHECK", id, pod, conf.substring(0, conf.length() - 1) + ",\"prevResult\":" + add.stdout().strip() + "}", thick);
                assertEquals(0, check.exitCode(), check.toString());
                Cmd.Result bad = cni("ADD", id + "b", pod, conf(sock, ",\"hostVethPrefix\":\"much-too-long-prefix\""), thick);
                assertEquals(1, bad.exitCode(), bad.toString());
                results.add(JSON.readTree(bad.stdout()));

                Cmd.Result del = cni("DEL", id, pod, conf, thick);
                assertEquals(0, del.exitCode(), del.toString());
                assertEquals("", del.stdout());
                assertTrue(KernelState.link(node.name(), hostVeth).isEmpty(), "DEL took the veth");
                assertFalse(KernelState.routes(node.name(), 4).stream().anyMatch(x -> bare.equals(x.dst())), "and the host route");
                assertFalse(etcd.get(PREFIX + "/handle/thick." + id).isPresent(), "and released the address");
            }
            // DEL once the pod's namespace is gone (CNI_NETNS leads nowhere) and a repeated DEL succeed
            try (TestNetns gone = TestNetns.create()) {
                gone.close();
                assertEquals(0, cni("DEL", id, gone, conf(sock, ""), thick).exitCode());
            }
            assertEquals(0, cni("STATUS", "", null, conf(sock, ""), thick).exitCode());
            Cmd.Result gc = cni("GC", "", null, conf(sock, ",\"cni.dev/valid-attachments\":[]"), thick);
            assertEquals(0, gc.exitCode(), gc.toString());
            assertEquals(thick ? 7 : 0, weftd.thickServed() - served, "weftd ran every thick invocation itself, and no other");
        }
        assertTrue(hostVeths().isEmpty(), hostVeths().toString());
        // the answers agree but for what is the pod's own
        assertEquals(shape(results.get(0)), shape(results.get(2)));
        assertEquals(results.get(1), results.get(3), "the same error object");
    }

    /** The result with the pod's own values (address, MAC, host veth name) blanked. */
    private static String shape(JsonNode r) {
        return r.toString().replaceAll("\"10\\.214\\.0\\.[0-9]+/32\"", "ADDR").replaceAll("\"[0-9a-f:]{17}\"", "MAC")
                .replaceAll("\"weft[0-9a-f]{11}\"", "HOSTVETH").replaceAll("/run/netns/[^\"]+", "NETNS");
    }

    /** Eight ADDs at once: weftd runs up to its limit in parallel, the rest run in their own JVMs; every pod gets its own address. */
    @Test
    void manyAddsAtOnce() throws Exception {
        int n = 8;
        List<TestNetns> pods = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            for (int i = 0; i < n; i++) {
                pods.add(TestNetns.create());
            }
            List<Future<Cmd.Result>> adds = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                TestNetns pod = pods.get(i);
                String id = "many" + i;
                adds.add(pool.submit(() -> cni("ADD", id, pod, conf(sock, ""), true)));
            }
            Set<String> ips = new HashSet<>();
            for (Future<Cmd.Result> f : adds) {
                Cmd.Result r = f.get();
                assertEquals(0, r.exitCode(), r.toString());
                ips.add(JSON.readTree(r.stdout()).get("ips").get(0).get("address").asText());
            }
            assertEquals(n, ips.size(), ips.toString());
            assertEquals(n, hostVeths().size());
            for (int i = 0; i < n; i++) {
                assertEquals(0, cni("DEL", "many" + i, pods.get(i), conf(sock, ""), true).exitCode());
            }
            assertTrue(hostVeths().isEmpty(), hostVeths().toString());
        } finally {
            pool.shutdownNow();
            pods.forEach(TestNetns::close);
        }
    }

    /**
     * No weftd to ask: no socket at all, or a stale one nobody listens on. The shim's JVM runs the
     * plugin, whose weft-ipam says weftd is not running, code 11, exactly as before the shim.
     */
    @Test
    void withoutWeftdTheSameJvmRunsThePlugin() throws Exception {
        Path stale = dir.resolve("stale.sock");
        try (var ch = java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(stale));
        } // closed: the file stays, nobody listens
        Files.writeString(dev.weft.cni.thick.ThickService.marker(stale), "1\n"); // and a weftd's marker, left by a kill -9
        assertTrue(Files.exists(dev.weft.cni.thick.ThickService.marker(sock)), "the serving weftd advertises itself");
        long served = weftd.thickServed();
        try (TestNetns pod = TestNetns.create()) {
            for (Path s : List.of(dir.resolve("none.sock"), stale)) {
                Cmd.Result add = cni("ADD", "absent", pod, conf(s, ""), true);
                assertEquals(1, add.exitCode(), add.toString());
                JsonNode err = JSON.readTree(add.stdout());
                assertEquals(11, err.get("code").asInt(), add.stdout());
                assertTrue(err.get("msg").asText().startsWith("weftd is not running"), add.stdout());
                assertTrue(hostVeths().isEmpty(), "nothing left of the failed ADD");
            }
        }
        assertEquals(served, weftd.thickServed());
    }

    /**
     * weftd stopping (its graceful stop's first step): the shim's request is declined, the shim's
     * JVM runs the plugin, and weft-ipam gets weftd's refusal, code 11, as before the shim.
     */
    @Test
    void whileWeftdStopsAnAddIsTryAgainLater() throws Exception {
        Path sock2 = dir.resolve("run2/cni.sock");
        BlockIpam stopping = anotherWeftd("node-b", sock2, ThickService.DEADLINE);
        try (TestNetns pod = TestNetns.create()) {
            stopping.drain(Duration.ofSeconds(5));
            Cmd.Result add = cni("ADD", "stopping", pod, conf(sock2, ""), true);
            assertEquals(1, add.exitCode(), add.toString());
            JsonNode err = JSON.readTree(add.stdout());
            assertEquals(11, err.get("code").asInt(), add.stdout());
            assertTrue(err.get("msg").asText().contains("weftd is stopping"), add.stdout());
            assertEquals(0, stopping.thickServed());
            assertEquals(1, stopping.thickDeclined(), "declined, then run by the shim's JVM");
            assertTrue(hostVeths().isEmpty(), hostVeths().toString());
        } finally {
            stopping.close();
        }
    }

    /**
     * weft-routed as a runtime execs it, but started rather than waited for: a shim the test can
     * kill by its PID (ip netns exec and the launcher both exec, so the PID is the shim's JVM) or
     * race with another. stderr goes to a file beside the test's others.
     */
    private static Process startCni(String verb, String id, TestNetns pod, String conf) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", node.name(), launchers.plugin("weft-routed").toString());
        pb.environment().keySet().removeIf(k -> k.startsWith("CNI_"));
        pb.environment().putAll(Map.of("CNI_COMMAND", verb, "CNI_PATH", launchers.cniBin().toString(), "CNI_CONTAINERID", id,
                "CNI_NETNS", pod.path().toString(), "CNI_IFNAME", "eth0"));
        pb.redirectError(dir.resolve(id + "-" + verb + ".stderr").toFile());
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            in.write(conf.getBytes(StandardCharsets.UTF_8));
        }
        return p;
    }

    /** Holds every thick ADD of {@code id} in {@code weftd} (just before the plugin runs) until the returned latch opens. */
    private static CountDownLatch holdAdds(BlockIpam weftd, String id, CountDownLatch entered) {
        CountDownLatch release = new CountDownLatch(1);
        weftd.beforeThickRunForTest(env -> {
            if (id.equals(env.get("CNI_CONTAINERID")) && "ADD".equals(env.get("CNI_COMMAND"))) {
                entered.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        return release;
    }

    /** Nothing of container {@code id} on the node or in etcd: no host veth, no route to a pool address, no handle or attribute. */
    private static void assertNothingLeftOf(String id, TestNetns pod) {
        assertTrue(hostVeths().isEmpty(), "no host veth: " + hostVeths());
        assertEquals(List.of(), KernelState.routes(node.name(), 4).stream().filter(r -> r.dst() != null && r.dst().startsWith("10.214."))
                .map(RouteInfo::dst).toList(), "no host route to a pod");
        assertTrue(KernelState.link(pod.name(), "eth0").isEmpty(), "no eth0 in the pod");
        assertFalse(etcd.get(PREFIX + "/handle/thick." + id).isPresent(), "no handle");
        String all = etcd.etcdctl("get", "--prefix", PREFIX);
        assertFalse(all.contains(id), "no allocation of " + id + " in the blocks:\n" + all);
    }

    /**
     * The runtime kills the shim (kill -9 by its PID, as containerd does at its timeout) while
     * weftd runs the ADD. weftd's ADD then completes (veth, route, address), finds its caller gone
     * and runs the plugin's DEL: once weftd counts it abandoned, nothing of the pod is left.
     */
    @Test
    void anAddWhoseShimIsKilledLeavesNothing() throws Exception {
        String id = "killedadd1";
        long served = weftd.thickServed();
        long abandoned = weftd.thickAbandoned();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = holdAdds(weftd, id, entered);
        try (TestNetns pod = TestNetns.create()) {
            Process shim = startCni("ADD", id, pod, conf(sock, ""));
            assertTrue(entered.await(30, TimeUnit.SECONDS), "weftd got the ADD");
            assertTrue(shim.info().command().orElse("").endsWith("/java"), "the PID is the shim's JVM: " + shim.info());
            Cmd.run("kill", "-9", String.valueOf(shim.pid()));
            assertTrue(shim.waitFor(10, TimeUnit.SECONDS));
            assertEquals(137, shim.exitValue(), "killed");
            release.countDown();
            awaitCount(weftd::thickAbandoned, abandoned + 1);
            assertEquals(served + 1, weftd.thickServed(), "the ADD ran to its end in weftd");
            assertNothingLeftOf(id, pod);
            // the runtime's DEL, whenever it comes, finds nothing to do
            assertEquals(0, cni("DEL", id, pod, conf(sock, ""), true).exitCode());
        } finally {
            weftd.beforeThickRunForTest(null);
            release.countDown();
        }
    }

    /**
     * The runtime's DEL arrives while weftd still runs the ADD of the same container (its shim
     * alive): the DEL waits for its turn and runs after the ADD, so the ADD's veth, route and
     * address do not outlive it.
     */
    @Test
    void aDelDuringItsAddRunsAfterIt() throws Exception {
        String id = "raceddel1";
        long abandoned = weftd.thickAbandoned();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = holdAdds(weftd, id, entered);
        try (TestNetns pod = TestNetns.create()) {
            Process add = startCni("ADD", id, pod, conf(sock, ""));
            assertTrue(entered.await(30, TimeUnit.SECONDS), "weftd got the ADD");
            Process del = startCni("DEL", id, pod, conf(sock, ""));
            // the DEL reaches weftd and waits behind the ADD (without the turns it would run at once, and end)
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (weftd.thickWaiting() == 0 && del.isAlive() && System.nanoTime() < end) {
                Thread.sleep(5);
            }
            boolean waited = weftd.thickWaiting() == 1 && del.isAlive();
            release.countDown();
            assertTrue(add.waitFor(30, TimeUnit.SECONDS) && del.waitFor(30, TimeUnit.SECONDS));
            String added = new String(add.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, add.exitValue(), added);
            assertTrue(JSON.readTree(added).get("ips").get(0).get("address").asText().startsWith("10.214.0."), added);
            assertEquals(0, del.exitValue(), new String(del.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            assertNothingLeftOf(id, pod);
            assertTrue(waited, "the DEL waited in weftd for the ADD");
            assertEquals(abandoned, weftd.thickAbandoned(), "the ADD's answer was delivered: nothing for weftd to undo");
        } finally {
            weftd.beforeThickRunForTest(null);
            release.countDown();
        }
    }

    /**
     * An ADD that ends after weftd's deadline (here 0.5 s instead of 50) is undone even though its
     * shim still waits: the shim gets code 11 (try again later) and the node keeps nothing.
     */
    @Test
    void anAddPastWeftdsDeadlineIsUndoneAndTryAgainLater() throws Exception {
        Path sock3 = dir.resolve("run3/cni.sock");
        BlockIpam late = anotherWeftd("node-c", sock3, Duration.ofMillis(500));
        late.beforeThickRunForTest(env -> {
            try {
                Thread.sleep(1000); // past the deadline, deterministically: it runs after the request was read
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        String id = "lateadd1";
        try (TestNetns pod = TestNetns.create()) {
            Cmd.Result add = cni("ADD", id, pod, conf(sock3, ""), true);
            assertEquals(1, add.exitCode(), add.toString());
            JsonNode err = JSON.readTree(add.stdout());
            assertEquals(11, err.get("code").asInt(), add.stdout());
            assertTrue(err.get("msg").asText().contains("has undone it"), add.stdout());
            assertEquals(1, late.thickServed());
            assertEquals(1, late.thickAbandoned());
            assertNothingLeftOf(id, pod);
        } finally {
            late.close();
        }
    }

    /**
     * weftd begins its graceful stop while it runs an ADD, and the runtime (which gave up on that
     * ADD) sends DEL for the same container: the DEL is not declined, since the shim would then run
     * it beside the ADD and the ADD would leave what it makes; it gets code 11, and the runtime's
     * retry, served by the next weftd, removes the pod.
     */
    @Test
    void aDelWhileWeftdStopsBehindItsAddIsTryAgainLater() throws Exception {
        Path sock4 = dir.resolve("run4/cni.sock");
        BlockIpam stopping = anotherWeftd("node-d", sock4, ThickService.DEADLINE);
        String id = "stopdel1";
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = holdAdds(stopping, id, entered);
        java.util.concurrent.ExecutorService drainer = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (TestNetns pod = TestNetns.create()) {
            Process add = startCni("ADD", id, pod, conf(sock4, ""));
            assertTrue(entered.await(30, TimeUnit.SECONDS), "weftd got the ADD");
            java.util.concurrent.Future<String> drained = drainer.submit(() -> stopping.drain(Duration.ofSeconds(30)));
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!stopping.stopping() && System.nanoTime() < end) {
                Thread.sleep(5);
            }
            assertTrue(stopping.stopping(), "the drain began");
            Cmd.Result del = cni("DEL", id, pod, conf(sock4, ""), true);
            assertEquals(1, del.exitCode(), del.toString());
            JsonNode err = JSON.readTree(del.stdout());
            assertEquals(11, err.get("code").asInt(), del.stdout());
            assertTrue(err.get("msg").asText().contains("still running here"), del.stdout());
            assertEquals(0, stopping.thickDeclined(), "not declined: the shim did not run the DEL itself");
            release.countDown();
            assertTrue(add.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, add.exitValue(), "the ADD weftd was running ends and is answered");
            assertTrue(drained.get(30, TimeUnit.SECONDS).contains("1 in-flight request(s) finished"), "the drain waited for the ADD");
            // the runtime's retry of the DEL, served by the next weftd (here the test's main one)
            assertEquals(0, cni("DEL", id, pod, conf(sock, ""), true).exitCode());
            assertNothingLeftOf(id, pod);
        } finally {
            release.countDown();
            drainer.shutdownNow();
            stopping.close();
        }
    }

    /** A second weftd's block IPAM on the same pool and node namespace, serving thick plugins on {@code socket}. */
    private static BlockIpam anotherWeftd(String nodeName, Path socket, Duration thickDeadline) throws Exception {
        return BlockIpam.start(client, PREFIX, new PoolConfig(List.of(new Pool(Cidr.parse("10.214.0.0/24"), 26)), false, 20),
                nodeName, new BlockIpam.Settings(socket, socket.resolveSibling("journal"), 0, 1000, new BlockAllocator.Options(Duration.ofSeconds(2), 100),
                        BlockIpam.Settings.DEFAULT_GONE_NODE_GRACE).inNodeNetns(node.path().toString()).withThickDeadline(thickDeadline));
    }

    private static void awaitCount(java.util.function.LongSupplier count, long want) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (count.getAsLong() != want && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        assertEquals(want, count.getAsLong());
    }

    /** Requests no shim sends: each gets an error or a decline, and nothing on the node or in etcd changes. */
    @Test
    void badRequestsOnTheSocketChangeNothing() throws Exception {
        long served = weftd.thickServed();
        String netns = "\"callerNetns\":\"x\",\"targetNetns\":\"\"";
        String good = "\"env\":{\"CNI_COMMAND\":\"ADD\",\"CNI_CONTAINERID\":\"evil\",\"CNI_IFNAME\":\"eth0\",\"CNI_PATH\":\"/x\"}";
        String stdin = java.util.Base64.getEncoder().encodeToString(conf(sock, "").getBytes(StandardCharsets.UTF_8));
        String[][] cases = {
            {"{\"op\":\"cni\",\"plugin\":\"weft-routed\"," + netns + "," + good + ",\"stdin\":\"" + stdin + "\"}", "protocol version, an integer"},
            {"{\"op\":\"cni\",\"v\":1,\"plugin\":\"weft-routed\"," + netns + ",\"env\":{\"PATH\":\"/bin\",\"CNI_COMMAND\":\"ADD\"},\"stdin\":\"\"}", "CNI_* names"},
            {"{\"op\":\"cni\",\"v\":1,\"plugin\":\"weft-routed\"," + netns + "," + good + ",\"stdin\":\"%%%\"}", "base64"},
            {"{\"op\":\"cni\",\"v\":1,\"plugin\":\"weft-routed\"," + netns + ",\"env\":{\"CNI_COMMAND\":\"VERSION\"},\"stdin\":\"\"}", "CNI_COMMAND"},
            {"{\"op\":\"cni\",\"v\":1,\"plugin\":\"weft-routed\"," + netns + ",\"env\":{\"CNI_COMMAND\":\"ADD\",\"CNI_NETNS\":\"/run/netns/../../etc/passwd\"},"
                    + "\"stdin\":\"\"}", "normalized"},
            {"{\"op\":\"cni\",\"v\":1,\"plugin\":\"weft-routed\"," + netns + "," + good + ",\"stdin\":\"" + stdin + "\"}", "another network namespace"},
            {"{\"op\":\"cni\",\"v\":2,\"plugin\":\"weft-routed\"," + netns + "," + good + ",\"stdin\":\"" + stdin + "\"}", "version 2"},
            {"{\"op\":\"cni\",\"v\":1,\"plugin\":\"weft-bridge\"," + netns + "," + good + ",\"stdin\":\"" + stdin + "\"}", "does not run weft-bridge"},
        };
        for (String[] c : cases) {
            String answer = ask(c[0].getBytes(StandardCharsets.UTF_8));
            assertTrue(answer.contains(c[1]) && !answer.contains("\"exit\""), c[0] + " -> " + answer);
        }
        // longer than a frame may be: refused from its length alone, before a byte of it is read
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            ch.write(ByteBuffer.allocate(4).putInt(IpamFrame.MAX_BYTES + 1).flip());
            String answer = new String(IpamFrame.read(Channels.newInputStream(ch)), StandardCharsets.UTF_8);
            assertTrue(answer.contains("longer than the limit"), answer);
        }
        assertEquals(served, weftd.thickServed());
        assertTrue(hostVeths().isEmpty(), hostVeths().toString());
        assertFalse(etcd.get(PREFIX + "/handle/thick.evil").isPresent());
    }

    private static String ask(byte[] frame) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            IpamFrame.write(Channels.newOutputStream(ch), frame);
            InputStream in = Channels.newInputStream(ch);
            return new String(IpamFrame.read(in), StandardCharsets.UTF_8);
        }
    }
}
