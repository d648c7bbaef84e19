package dev.weft.flannel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.flannel.daemon.Main;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.EtcdServer;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.PromExposition;
import dev.weft.testkit.Underlay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * weftctl status, weftctl leases and /metrics against the real thing: two nodes on an underlay,
 * etcd on the first, a weftd on each (own processes). Status is checked against the node's
 * subnet.env and the kernel's routes, leases (run as a process in node a, where etcd is reachable)
 * against etcd and both subnet.env files, taking etcd from FLANNELD_ETCD_ENDPOINTS as it would from
 * /etc/default/weftd. /metrics is scraped under vxlan and then host-gw (a second network under
 * another etcd prefix) and parsed by the Prometheus project's own text-format parser; masquerading
 * is on so that the rule resyncs show.
 */
@KernelTest
class NodeCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    @Test
    void statusLeasesAndMetricsOnVxlanThenHostGw(@TempDir Path dir) throws Exception {
        try (Underlay ul = Underlay.create()) {
            Underlay.Node a = ul.addNode("a");
            Underlay.Node b = ul.addNode("b");
            try (EtcdServer etcd = EtcdServer.builder().on(a).launch()) {
                etcd.put("/coreos.com/network/config", "{\"Network\":\"10.98.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
                List<Process> weftds = new ArrayList<>();
                try {
                    for (Underlay.Node n : List.of(a, b)) {
                        weftds.add(weftd(n, etcd.endpoint(), dir.resolve(n.label()), "/coreos.com/network"));
                    }
                    Path sock = dir.resolve("a/weftd.sock");
                    long t0 = System.nanoTime();
                    // the socket is a file: weftctl status reaches it from any namespace, so it runs in this JVM
                    JsonNode status = awaitProgrammed(sock, dir, "a");
                    System.out.println("both weftd running and programmed after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
                    assertTrue(status.path("ready").asBoolean(), status.toString());
                    String subnetA = subnet(dir.resolve("a/subnet.env"));
                    String subnetB = subnet(dir.resolve("b/subnet.env"));
                    assertEquals(subnetA, status.path("lease").path("subnet").asText());
                    assertEquals("vxlan", status.path("backend").asText());
                    assertEquals("flannel.1", status.path("device").asText());
                    assertEquals("eth0", status.path("externalInterface").asText());
                    assertEquals(a.address(), status.path("publicIP").asText());
                    assertEquals(1, status.path("peers").path("leasesSeen").asInt(), status.toString());
                    long weftRoutes = KernelState.routes(a.netns(), 4).stream().filter(r -> r.protocol().equals("87")).count();
                    assertEquals(weftRoutes, status.path("peers").path("routesProgrammed").asLong(), "the kernel's count");
                    long left = status.path("lease").path("expiresInSeconds").asLong();
                    assertTrue(left > 500 && left <= 600, "a 10 min lease: " + left);

                    Cmd.Result table = inJvm("status", "--status-socket", sock.toString());
                    assertEquals(0, table.exitCode(), table.toString());
                    assertTrue(table.stdout().contains("Lease ") && table.stdout().contains(subnetA)
                            && table.stdout().contains("1 leases seen, 1 routes programmed"), table.stdout());

                    Map<String, String> env = Map.of("FLANNELD_ETCD_ENDPOINTS", etcd.endpoint());
                    Cmd.Result leases = ctl(a, env, "leases", "-o", "json");
                    assertEquals(0, leases.exitCode(), leases.toString());
                    Set<String> subnets = new TreeSet<>();
                    Map<String, String> ipBySubnet = new HashMap<>();
                    for (JsonNode l : JSON.readTree(leases.stdout()).path("leases")) {
                        subnets.add(l.path("subnet").asText());
                        ipBySubnet.put(l.path("subnet").asText(), l.path("publicIP").asText());
                        assertEquals("vxlan", l.path("backendType").asText());
                        assertTrue(l.path("backendData").path("VtepMAC").isTextual(), l.toString());
                        assertTrue(l.path("expiresInSeconds").asLong() > 500, l.toString());
                    }
                    assertEquals(new TreeSet<>(Set.of(subnetA, subnetB)), subnets);
                    assertEquals(Set.of(subnetA.replace('/', '-'), subnetB.replace('/', '-')), keysInEtcd(etcd));
                    assertEquals(a.address(), ipBySubnet.get(subnetA));
                    assertEquals(b.address(), ipBySubnet.get(subnetB));
                    Cmd.Result leaseTable = ctl(a, env, "leases");
                    assertTrue(leaseTable.stdout().startsWith("SUBNET") && leaseTable.stdout().contains(subnetB)
                            && leaseTable.stdout().contains("VtepMAC"), leaseTable.stdout());

                    Cmd.Result down = inJvm("status", "--status-socket", dir.resolve("nothing.sock").toString());
                    assertEquals(1, down.exitCode());
                    assertTrue(down.stderr().startsWith("weftctl: cannot reach weftd at "), down.stderr());

                    checkMetrics(a, status);
                } finally {
                    stop(weftds);
                }

                // host-gw: another network under another prefix; the vxlan routes stay, and are not counted
                etcd.put("/wt-hostgw/network/config", "{\"Network\":\"10.97.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}");
                weftds.clear();
                try {
                    for (Underlay.Node n : List.of(a, b)) {
                        weftds.add(weftd(n, etcd.endpoint(), dir.resolve("gw-" + n.label()), "/wt-hostgw/network"));
                    }
                    JsonNode status = awaitProgrammed(dir.resolve("gw-a/weftd.sock"), dir, "gw-a");
                    assertEquals("host-gw", status.path("backend").asText());
                    assertTrue(status.path("device").isNull(), "host-gw has no device of its own: " + status);
                    checkMetrics(a, status);
                } finally {
                    stop(weftds);
                }
            }
        }
    }

    private static JsonNode awaitProgrammed(Path sock, Path dir, String node) throws Exception {
        long t0 = System.nanoTime();
        JsonNode status = null;
        while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(40)) {
            Cmd.Result r = inJvm("status", "-o", "json", "--status-socket", sock.toString());
            if (r.ok()) {
                status = JSON.readTree(r.stdout());
                if (status.path("peers").path("routesProgrammed").asInt() == 1) {
                    return status;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("weftd " + node + " never programmed its peer: " + status + "\n" + log(dir, node));
    }

    /**
     * Scrapes node a's /metrics and checks the node families with Prometheus' parser: those of
     * every backend ({@link PromExposition#assertNodeFamilies}), then the lease and rule ones
     * against the status and the kernel.
     */
    private static void checkMetrics(Underlay.Node a, JsonNode status) throws Exception {
        PromExposition m = scrape(a);
        m.assertNodeFamilies();
        dev.weft.build.BuildInfo build = dev.weft.build.BuildInfo.current();
        JsonNode info = m.only("weft_build_info", "gauge");
        assertEquals(build.version(), info.get(1).path("version").asText());
        assertEquals(build.commit(), info.get(1).path("commit").asText());
        double expiry = m.only("weft_lease_expiry_timestamp_seconds", "gauge").get(2).asDouble();
        double expected = java.time.Instant.parse(status.path("lease").path("expires").asText()).toEpochMilli() / 1000.0;
        assertTrue(Math.abs(expiry - expected) < 60, expiry + " vs " + expected); // a renewal may fall in between
        assertEquals(1.0, m.only("weft_remote_leases", "gauge").get(2).asDouble());
        dev.weft.net.Cidr network = dev.weft.net.Cidr.parse(status.path("network").asText());
        long kernel = KernelState.routes(a.netns(), 4).stream().filter(r -> r.protocol().equals("87")
                && network.contains(dev.weft.net.Cidr.parse(r.dst()))).count();
        assertEquals((double) kernel, m.only("weft_remote_routes_programmed", "gauge").get(2).asDouble());
        assertEquals(Set.of("success", "error"), m.labels("weft_lease_renewals", "counter", "result"));
        assertEquals(Set.of("added", "removed", "snapshot"), m.labels("weft_lease_events", "counter", "type"));
        assertTrue(m.sum("weft_lease_events", "weft_lease_events_total") >= 1,
                "the watch delivered at least its snapshot: " + m.families().path("weft_lease_events"));
        m.only("weft_store_watch_restarts", "counter");
        m.only("weft_store_watch_errors", "counter");
        assertTrue(m.sum("weft_netlink_requests", "weft_netlink_requests_total", "op", "newroute", "result", "ok") >= 1,
                "the peer's route was programmed through rtnetlink");
        // -ip-masq with a 1 s -iptables-resync: the keeper's checks find the rules in place
        long t0 = System.nanoTime();
        while (m.sum("weft_rule_resyncs", "weft_rule_resyncs_total", "result", "in_place") < 1
                && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10)) {
            Thread.sleep(200);
            m = scrape(a);
        }
        assertEquals(Set.of("in_place", "repaired", "failed"), m.labels("weft_rule_resyncs", "counter", "result"));
        assertTrue(m.sum("weft_rule_resyncs", "weft_rule_resyncs_total", "result", "in_place") >= 1, m.text());
        assertEquals(0.0, m.sum("weft_rule_resyncs", "weft_rule_resyncs_total", "result", "failed"));
    }

    private static PromExposition scrape(Underlay.Node a) {
        Cmd.Result scrape = a.exec("curl", "-sS", "--max-time", "5", "http://127.0.0.1:" + METRICS_PORT + "/metrics");
        return PromExposition.parse(scrape.stdout());
    }

    static final int METRICS_PORT = 9467;

    private static void stop(List<Process> weftds) throws InterruptedException {
        for (Process p : weftds) {
            p.destroy();
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    private static Process weftd(Underlay.Node n, String etcd, Path dir, String prefix) throws Exception {
        Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", n.netns(), JAVA, "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "-etcd-endpoints", etcd, "-iface", "eth0", "-subnet-file", dir.resolve("subnet.env").toString(),
                "-state-dir", dir.resolve("state").toString(), "-status-socket", dir.resolve("weftd.sock").toString(),
                "-iptables-forward-rules=false", "-ip-masq=true", "-iptables-resync", "1", "-subnet-lease-ttl", "10m", "-etcd-prefix", prefix,
                "-healthz-ip", "127.0.0.1", "-healthz-port", Integer.toString(METRICS_PORT)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("weftd.log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_"));
        return pb.start();
    }

    private static Cmd.Result ctl(Underlay.Node n, Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", n.netns(), "env"));
        env.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.addAll(List.of(JAVA, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                NodeCommands.class.getName()));
        cmd.addAll(List.of(args));
        return Cmd.tryRun(Duration.ofSeconds(60), cmd.toArray(String[]::new));
    }

    private static Cmd.Result inJvm(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int rc = NodeCommands.run(args, new java.io.PrintWriter(out), new java.io.PrintWriter(err));
        return new Cmd.Result(List.of(args), rc, out.toString(), err.toString(), false, Duration.ZERO);
    }

    private static Set<String> keysInEtcd(EtcdServer etcd) {
        Set<String> keys = new TreeSet<>();
        for (String line : etcd.etcdctl("get", "--prefix", "--keys-only", "/coreos.com/network/subnets/").split("\n")) {
            if (!line.isBlank()) {
                keys.add(line.substring(line.lastIndexOf('/') + 1));
            }
        }
        return keys;
    }

    /**
     * Node b writes subnet.env only after its lease is in etcd and its backend is up, so node a can
     * have programmed b's route before b's file exists: wait for it rather than race.
     */
    private static String subnet(Path subnetEnv) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(subnetEnv) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        for (String l : Files.readAllLines(subnetEnv)) {
            if (l.startsWith("FLANNEL_SUBNET=")) {
                return dev.weft.net.Cidr.parse(l.substring("FLANNEL_SUBNET=".length())).network().toString();
            }
        }
        throw new AssertionError("no FLANNEL_SUBNET in " + subnetEnv);
    }

    private static String log(Path dir, String node) throws Exception {
        Path p = dir.resolve(node).resolve("weftd.log");
        return Files.exists(p) ? Files.readString(p) : "(no log)";
    }
}
