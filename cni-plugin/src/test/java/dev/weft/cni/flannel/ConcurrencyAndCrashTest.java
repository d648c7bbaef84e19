package dev.weft.cni.flannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.cni.testing.Cni;
import dev.weft.cni.testing.CniBin;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole chain (weft-flannel → weft-bridge → weft-host-local, masquerade on) under load and
 * under kill -9: distinct IPs, and nothing left after DEL or GC — no IP file, veth, chain or
 * saved delegate config.
 */
@KernelTest
class ConcurrencyAndCrashTest {
    private TestNetns host;
    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        host = TestNetns.create("node");
        dir = Files.createTempDirectory("wt-flannel");
        // FLANNEL_IPMASQ=false: the delegate masquerades itself (ipMasq = !FLANNEL_IPMASQ), so chains are made.
        Files.writeString(dir.resolve("subnet.env"), "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.9.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n");
    }

    @AfterEach
    void tearDown() throws IOException {
        host.close();
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private String conf(String version) {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"wtload\",\"type\":\"weft-flannel\",\"subnetFile\":\"" + dir.resolve("subnet.env")
                + "\",\"dataDir\":\"" + dir.resolve("saved") + "\",\"delegate\":{\"bridge\":\"wt-load0\"},\"ipam\":{\"dataDir\":\""
                + dir.resolve("ipam") + "\"}}";
    }

    private void assertNothingLeft() throws IOException {
        // a pod namespace deleted without a DEL takes its veth down in the kernel's own time, a little
        // after the namespace's file is gone: wait for it (10 s) instead of reading the links once
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (KernelState.links(host.name()).stream().anyMatch(l -> l.ifname().startsWith("veth")) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        assertTrue(KernelState.links(host.name()).stream().noneMatch(l -> l.ifname().startsWith("veth")), "no veth left");
        Path ipam = dir.resolve("ipam").resolve("wtload");
        if (Files.isDirectory(ipam)) {
            try (var s = Files.list(ipam)) {
                List<String> left = s.map(p -> p.getFileName().toString())
                        .filter(n -> !n.equals("lock") && !n.startsWith("last_reserved_ip")).toList();
                assertEquals(List.of(), left, "no reservation left");
            }
        }
        Path saved = dir.resolve("saved");
        if (Files.isDirectory(saved)) {
            try (var s = Files.list(saved)) {
                assertEquals(List.of(), s.map(p -> p.getFileName().toString()).toList(), "no saved delegate config left");
            }
        }
        String nat = host.exec("iptables-save", "-t", "nat").stdout();
        assertTrue(!nat.contains("CNI-"), "no masquerade chain left:\n" + nat);
    }

    @Test
    void hundredAddsFromEightProcessesGetDistinctIpsAndDelsLeaveNothing() throws Exception {
        int n = 100;
        List<TestNetns> pods = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int i = 0; i < n; i++) {
                pods.add(TestNetns.create("p"));
            }
            String conf = conf("1.0.0");
            List<Future<Cni.Outcome>> adds = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                TestNetns p = pods.get(i);
                String id = "load-" + i;
                adds.add(pool.submit(() -> Cni.plugin("weft-flannel").in(host.name()).attachment("ADD", id, p.path().toString()).config(conf).run()));
            }
            Set<String> ips = new HashSet<>();
            for (Future<Cni.Outcome> f : adds) {
                Cni.Outcome o = f.get(5, TimeUnit.MINUTES).requireOk();
                ips.add(o.json().path("ips").get(0).path("address").asText());
            }
            assertEquals(n, ips.size(), "every ADD got its own IP");
            String nat = host.exec("iptables-save", "-t", "nat").stdout();
            assertEquals(n, nat.lines().filter(l -> l.startsWith(":CNI-")).count(), "one masquerade chain per pod");

            List<Future<Cni.Outcome>> dels = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                TestNetns p = pods.get(i);
                String id = "load-" + i;
                dels.add(pool.submit(() -> Cni.plugin("weft-flannel").in(host.name()).attachment("DEL", id, p.path().toString()).config(conf).run()));
            }
            for (Future<Cni.Outcome> f : dels) {
                f.get(5, TimeUnit.MINUTES).requireOk();
            }
            assertNothingLeft();
        } finally {
            pool.shutdownNow();
            pods.forEach(TestNetns::close);
        }
    }

    @Test
    void killMinusNineAnywhereInAddThenDelOrGcLeavesNothing() throws Exception {
        Random rnd = new Random(42);
        String conf = conf("1.1.0");
        int trials = 50;
        // The kill points must fall inside a running ADD wherever the chain's speed ends up (it got
        // several times faster), so they are spread over the time an unkilled ADD takes here, now.
        long addMillis = medianAddMillis(conf);
        int killed = 0;
        for (int t = 0; t < trials; t++) {
            String id = "crash-" + t;
            TestNetns pod = TestNetns.create("p");
            try {
                ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", host.name(), CniBin.plugin("weft-flannel").toString());
                pb.environment().keySet().removeIf(k -> k.startsWith("CNI_"));
                pb.environment().put("CNI_COMMAND", "ADD");
                pb.environment().put("CNI_CONTAINERID", id);
                pb.environment().put("CNI_NETNS", pod.path().toString());
                pb.environment().put("CNI_IFNAME", "eth0");
                pb.environment().put("CNI_PATH", CniBin.cniPath());
                pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
                Process p = pb.start();
                p.getOutputStream().write(conf.getBytes());
                p.getOutputStream().close();
                Thread.sleep(rnd.nextInt((int) Math.max(1, addMillis * 9 / 10)));
                if (p.isAlive()) {
                    killed++;
                }
                p.destroyForcibly(); // SIGKILL to our own child (ip netns exec has exec'd into the plugin)
                p.waitFor();
                if (t % 2 == 0) {
                    Cni.plugin("weft-flannel").in(host.name()).attachment("DEL", id, pod.path().toString()).config(conf).run().requireOk();
                } else {
                    pod.close(); // the pod is gone; only GC can clean up now
                    Cni.plugin("weft-flannel").in(host.name()).command("GC").config(conf.replace("{\"cniVersion\"",
                            "{\"cni.dev/valid-attachments\":[],\"cniVersion\"")).run().requireOk();
                }
                assertNothingLeft();
            } finally {
                pod.close();
            }
        }
        assertTrue(killed >= trials / 2, "most trials must really kill a running ADD (killed " + killed + " of " + trials
                + ", ADD takes " + addMillis + " ms)");
    }

    /** The median wall time of three complete ADDs of the whole chain, each undone by DEL. */
    private long medianAddMillis(String conf) throws Exception {
        long[] took = new long[3];
        for (int i = 0; i < took.length; i++) {
            String id = "calibrate-" + i;
            try (TestNetns pod = TestNetns.create("p")) {
                long start = System.nanoTime();
                Cni.plugin("weft-flannel").in(host.name()).attachment("ADD", id, pod.path().toString()).config(conf).run().requireOk();
                took[i] = (System.nanoTime() - start) / 1_000_000;
                Cni.plugin("weft-flannel").in(host.name()).attachment("DEL", id, pod.path().toString()).config(conf).run().requireOk();
            }
        }
        assertNothingLeft();
        java.util.Arrays.sort(took);
        return took[1];
    }
}
