package dev.weft.e2e;

import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15's crash case: a real weftd (block IPAM on a real etcd) is killed with -9 in the middle
 * of 50 pod ADDs (weft-routed + weft-ipam, separate processes, 4 at a time, in the node's
 * namespace). ADDs after it fail with code 11 and leave no link; one that was in flight may have
 * its address written to etcd with the answer lost. weftd comes back (on a node whose pod routes
 * are in its Network); the runtime's DEL of some failed pods and half the live ones, then a GC
 * after the other pods are gone, leave no pod allocation in etcd (only weftd's own reserve) and no
 * pod veth and no /32 route on the node.
 */
@KernelTest
class BlockIpamCrashTest {
    private static final int PODS = 50;

    @Test
    void killMinus9DuringFiftyAddsThenDelAndGcLeaveNothing(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("n1-cni.sock");
        String netConf = "{\"Network\":\"10.246.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"},"
                + "\"IPAM\":{\"Type\":\"blocks\",\"BlockSize\":26}}";
        String conf = "{\"cniVersion\":\"1.1.0\",\"name\":\"net1\",\"type\":\"weft-routed\",\"mtu\":1450,"
                + "\"ipam\":{\"type\":\"weft-ipam\",\"socket\":\"" + sock + "\"}}";
        List<TestNetns> pods = new ArrayList<>();
        try (SimCluster c = SimCluster.start(SimCluster.Options.of(1, "{}").withNetConf(netConf)
                .withExtraArgs(List.of("-cni-socket", sock.toString(), "-node-name", "n1")))) {
            SimCluster.Node node = c.nodes().get(0);
            awaitSocket(sock);
            for (int i = 0; i < PODS; i++) {
                pods.add(TestNetns.create("pod"));
            }
            Cmd.Result[] adds = new Cmd.Result[PODS];
            AtomicInteger done = new AtomicInteger();
            ExecutorService runtime = Executors.newFixedThreadPool(4);
            List<Future<?>> jobs = new ArrayList<>();
            for (int i = 0; i < PODS; i++) {
                int k = i;
                jobs.add(runtime.submit(() -> {
                    adds[k] = cni(c, node, "ADD", "p" + k, pods.get(k), conf);
                    done.incrementAndGet();
                }));
            }
            while (done.get() < 20) {
                Thread.sleep(20);
            }
            node.weftd().kill(); // SIGKILL with ADDs in flight
            for (Future<?> f : jobs) {
                f.get(300, TimeUnit.SECONDS);
            }
            runtime.shutdown();
            List<Integer> ok = new ArrayList<>();
            List<Integer> failed = new ArrayList<>();
            for (int i = 0; i < PODS; i++) {
                if (adds[i].exitCode() == 0) {
                    ok.add(i);
                } else {
                    failed.add(i);
                    assertTrue(adds[i].stdout().contains("\"code\":11") || adds[i].stdout().contains("\"code\": 11"),
                            "an ADD without weftd is code 11: " + adds[i]);
                }
            }
            assertTrue(ok.size() >= 20 && !failed.isEmpty(), "weftd was killed during the ADDs: " + ok.size() + " ok");
            // weft-routed asks IPAM before it makes a link, so a failed ADD leaves none
            int veths = vethCount(node);
            assertEquals(ok.size(), veths, "a host veth for each pod whose ADD succeeded, none for the others");
            System.out.printf("block IPAM crash: weftd killed -9 after 20 of %d ADDs: %d succeeded, %d failed (%s), %d host veths%n",
                    PODS, ok.size(), failed.size(), failed.stream().map(i -> adds[i].stdout().strip()).distinct().toList(), veths);

            node.weftd().start();
            awaitAnswering(c, node, conf);
            for (int i : failed.subList(0, Math.min(3, failed.size()))) { // the runtime deletes a pod whose ADD failed (GC catches the others)
                Cmd.Result del = cni(c, node, "DEL", "p" + i, pods.get(i), conf);
                assertEquals(0, del.exitCode(), del.toString());
            }
            List<Integer> viaGc = new ArrayList<>();
            for (int j = 0; j < ok.size(); j++) {
                int i = ok.get(j);
                if (j % 2 == 0) {
                    Cmd.Result del = cni(c, node, "DEL", "p" + i, pods.get(i), conf);
                    assertEquals(0, del.exitCode(), del.toString());
                } else {
                    viaGc.add(i);
                    pods.get(i).close(); // the pod vanished without a DEL: its veth pair goes with its namespace
                }
            }
            Cmd.Result gc = Cmd.of("ip", "netns", "exec", node.netns(), c.launchers().plugin("weft-routed").toString())
                    .unsetEnvPrefix("CNI_").env("CNI_COMMAND", "GC").env("CNI_PATH", c.launchers().cniBin().toString())
                    .input(conf.substring(0, conf.length() - 1) + ",\"cni.dev/valid-attachments\":[]}")
                    .timeout(Duration.ofSeconds(60)).tryRun();
            assertEquals(0, gc.exitCode(), gc.toString());

            String handles = c.etcd().etcdctl("get", "--prefix", "--keys-only", "--", SimCluster.PREFIX + "/ipam/v2/handle/");
            assertEquals(List.of(), handles.lines().filter(l -> l.contains("/handle/net1.")).toList(),
                    "no pod allocation left in etcd (" + viaGc.size() + " released by GC)");
            String blocks = c.etcd().etcdctl("get", "--prefix", "--print-value-only", "--", SimCluster.PREFIX + "/ipam/v2/assignment/");
            assertTrue(!blocks.contains("\"net1."), "no block holds a pod's address: " + blocks);
            // a deleted namespace takes its veth (and the host route through it) down a little later,
            // in the kernel's own time: wait for that rather than read it once
            ClusterAssertions.eventually(Duration.ofSeconds(10), () -> 0, () -> vethCount(node), "no host veth left");
            ClusterAssertions.eventually(Duration.ofSeconds(10), () -> !Cmd.runInNetns(node.netns(), "ip", "-j", "route", "show",
                    "proto", "boot").stdout().contains("\"dst\":\"10.246."), "no /32 pod route left");
        } finally {
            for (TestNetns p : pods) {
                p.close();
            }
        }
    }

    private static Cmd.Result cni(SimCluster c, SimCluster.Node node, String verb, String id, TestNetns pod, String conf) {
        return Cmd.of("ip", "netns", "exec", node.netns(), c.launchers().plugin("weft-routed").toString())
                .unsetEnvPrefix("CNI_").env("CNI_COMMAND", verb).env("CNI_CONTAINERID", id)
                .env("CNI_NETNS", pod.path().toString()).env("CNI_IFNAME", "eth0").env("CNI_PATH", c.launchers().cniBin().toString())
                .input(conf).timeout(Duration.ofSeconds(60)).tryRun();
    }

    /** Pods' host veths on the node (MAC ee:ee:ee:ee:ee:ee; the node's own eth0 is a veth too). */
    private static int vethCount(SimCluster.Node node) {
        String j = Cmd.runInNetns(node.netns(), "ip", "-j", "link", "show", "type", "veth").stdout();
        int n = 0;
        String mac = "\"address\":\"ee:ee:ee:ee:ee:ee\"";
        for (int i = j.indexOf(mac); i >= 0; i = j.indexOf(mac, i + 1)) {
            n++;
        }
        return n;
    }

    private static void awaitSocket(Path sock) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Files.exists(sock) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(Files.exists(sock), "weftd serves " + sock);
    }

    /** Waits until the restarted weftd answers on its socket (the dead one's socket file is still there). */
    private static void awaitAnswering(SimCluster c, SimCluster.Node node, String conf) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        Cmd.Result st;
        do {
            Thread.sleep(200);
            st = Cmd.of("ip", "netns", "exec", node.netns(), c.launchers().plugin("weft-ipam").toString())
                    .unsetEnvPrefix("CNI_").env("CNI_COMMAND", "STATUS").env("CNI_PATH", c.launchers().cniBin().toString())
                    .input(conf).timeout(Duration.ofSeconds(30)).tryRun();
        } while (st.exitCode() != 0 && System.nanoTime() < deadline);
        assertEquals(0, st.exitCode(), "weftd is back: " + st + node.weftd().logTail(2000));
    }
}
