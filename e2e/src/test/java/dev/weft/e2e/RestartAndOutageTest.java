package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelTest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Tests 3 and 4: restarting weftd under traffic loses at most 1 packet in 100; an etcd outage of
 * 30 s interrupts nothing, loses no lease, and what was written meanwhile is applied afterwards.
 */
@KernelTest
class RestartAndOutageTest {

    /** Runs ping in the background: count packets at the given interval; returns the loss in percent. */
    private static CompletableFuture<Double> ping(SimCluster.Pod from, String to, int count, String interval) {
        return CompletableFuture.supplyAsync(() -> {
            Cmd.Result r = Cmd.of("ip", "netns", "exec", from.netns().name(), "ping", "-q", "-c", String.valueOf(count), "-i", interval,
                    "-W", "1", to).timeout(Duration.ofMinutes(3)).tryRun();
            Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(r.stdout());
            if (!m.find()) {
                throw new IllegalStateException("ping printed no summary: " + r.stdout() + r.stderr());
            }
            int tx = Integer.parseInt(m.group(1));
            int rx = Integer.parseInt(m.group(2));
            return 100.0 * (tx - rx) / tx;
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"vxlan", "host-gw"})
    void restartingWeftdUnderTrafficLosesAtMostOnePacketInAHundred(String backend) throws Exception {
        try (SimCluster c = SimCluster.start(SimCluster.Options.of(2, "{\"Type\":\"" + backend + "\"}"))) {
            SimCluster.Pod a = c.addPod(c.node(0));
            SimCluster.Pod b = c.addPod(c.node(1));
            // each node learns the other's lease through its watch: the first ping waits for that
            ClusterAssertions.eventually(Duration.ofSeconds(15), () -> a.netns().tryExec("ping", "-c", "2", "-W", "2", b.ip()).ok(),
                    "a reaches b before the restarts");
            CompletableFuture<Double> loss = ping(a, b.ip(), 300, "0.05");
            SimCluster.sleep(1500);
            c.node(1).weftd().restart();
            c.node(0).weftd().restart();
            double pct = loss.get();
            System.out.printf("RestartTest %s: %.1f %% loss over 300 pings across two restarts%n", backend, pct);
            assertTrue(pct <= 1.0, "lost " + pct + " % of packets across weftd restarts");
            assertTrue(c.node(0).weftd().isAlive() && c.node(1).weftd().isAlive());
        }
    }

    @Test
    void etcdOutageOfThirtySecondsInterruptsNothing() throws Exception {
        try (SimCluster c = SimCluster.start(SimCluster.Options.of(2, "{\"Type\":\"vxlan\"}").withLeaseTtl("60s"))) {
            SimCluster.Pod a = c.addPod(c.node(0));
            SimCluster.Pod b = c.addPod(c.node(1));
            var leasesBefore = ClusterAssertions.leases(c).keySet();
            CompletableFuture<Double> loss = ping(a, b.ip(), 180, "0.2");
            SimCluster.sleep(1000);
            c.etcd().stop();
            SimCluster.sleep(30_000);
            c.etcd().start();
            // Written at once after the restart, while the daemons are still reconnecting (backoff).
            String mac = "0e:11:22:33:44:55";
            c.etcd().put(SimCluster.PREFIX + "/subnets/10.244.250.0-24",
                    "{\"PublicIP\":\"192.168.213.250\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}}");
            double pct = loss.get();
            System.out.printf("EtcdOutageTest: %.1f %% ping loss during a 30 s etcd outage%n", pct);
            assertTrue(pct <= 1.0, "traffic interrupted during the etcd outage: " + pct + " % lost");
            assertEquals(leasesBefore, ClusterAssertions.leases(c).keySet().stream().filter(k -> !k.startsWith("10.244.250."))
                    .collect(java.util.stream.Collectors.toSet()), "no lease lost");
            for (SimCluster.Node n : c.nodes()) {
                ClusterAssertions.eventually(Duration.ofSeconds(20), () -> ClusterAssertions.actualVxlan(n).contains("fdb " + mac + " 192.168.213.250"),
                        n.name() + " applied the lease written after reconnecting");
            }
        }
    }
}
