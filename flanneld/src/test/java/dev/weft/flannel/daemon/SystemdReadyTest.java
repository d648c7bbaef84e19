package dev.weft.flannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.netns.NetNs;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * weftd as systemd runs a Type=notify unit: its own process in a node namespace, NOTIFY_SOCKET
 * naming an abstract datagram socket there. READY=1 comes once subnet.env is written, STOPPING=1
 * after SIGTERM, nothing else. The same run proves -iface-can-reach (the interface and source of the
 * route to that address, not the default route's) and -ip-blackhole-route (the route is there at
 * READY with protocol boot, and comes back within a resync period after it is deleted).
 */
@KernelTest
class SystemdReadyTest {
    private static final Duration START = Duration.ofSeconds(40);

    @Test
    void readyAfterSubnetEnvThenStoppingOnSigterm(@TempDir Path dir) throws Exception {
        // the file store, seeded with the network config as etcdctl would put it
        Files.writeString(dir.resolve("subnets.json"), "{\"revision\":1,\"entries\":[{\"key\":\"/coreos.com/network/config\","
                + "\"value\":\"{\\\"Network\\\":\\\"10.99.0.0/16\\\",\\\"SubnetLen\\\":24,\\\"Backend\\\":{\\\"Type\\\":\\\"host-gw\\\"}}\","
                + "\"modRevision\":1,\"expiresAt\":0}]}");
        Path subnetEnv = dir.resolve("run/subnet.env");
        String socket = "@wt-notify-" + ProcessHandle.current().pid();
        try (TestNetns ns = TestNetns.create()) {
            ns.ip("link", "add", "wt-a", "type", "veth", "peer", "name", "wt-a2");
            ns.ip("link", "add", "wt-b", "type", "veth", "peer", "name", "wt-b2");
            for (String l : List.of("wt-a", "wt-a2", "wt-b", "wt-b2")) {
                ns.ip("link", "set", l, "up");
            }
            ns.ip("addr", "add", "192.168.50.2/24", "dev", "wt-a");
            ns.ip("addr", "add", "192.168.50.3/24", "dev", "wt-a"); // a secondary: can-reach takes the route's source
            ns.ip("addr", "add", "192.168.60.2/24", "dev", "wt-b");
            ns.ip("route", "add", "default", "via", "192.168.60.1", "dev", "wt-b");
            ns.ip("route", "add", "10.20.0.0/16", "via", "192.168.50.1", "dev", "wt-a", "src", "192.168.50.3");

            try (NetNs h = NetNs.open(ns.path().toString());
                 NotifyListener listener = h.run(() -> new NotifyListener(socket))) {
                List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name(),
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                        Main.class.getName(),
                        "-subnet-store", "file:" + dir.resolve("subnets.json"),
                        "-subnet-file", subnetEnv.toString(), "-state-dir", dir.resolve("state").toString(),
                        "-iptables-forward-rules=false", "-iptables-resync", "1", "-status-socket", dir.resolve("weftd.sock").toString(),
                        "-iface-can-reach", "10.20.1.1", "-ip-blackhole-route"));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(dir.resolve("weftd.log").toFile());
                Map<String, String> env = pb.environment();
                env.keySet().removeIf(k -> k.startsWith("FLANNELD_"));
                env.put("NOTIFY_SOCKET", socket);
                long t0 = System.nanoTime();
                Process weftd = pb.start();
                try {
                    String ready = listener.receive(START);
                    boolean envThere = Files.exists(subnetEnv);
                    long readyMs = (System.nanoTime() - t0) / 1_000_000;
                    assertNotNull(ready, "no notification within " + START + ":\n" + log(dir));
                    assertTrue(ready.startsWith("READY=1\n"), ready + "\n" + log(dir));
                    assertTrue(envThere, "READY=1 came before subnet.env was written");
                    String subnetLine = Files.readAllLines(subnetEnv).stream().filter(l -> l.startsWith("FLANNEL_SUBNET="))
                            .findFirst().orElseThrow();
                    String subnet = subnetOf(subnetLine.substring("FLANNEL_SUBNET=".length()));
                    assertTrue(ready.contains("STATUS=lease " + subnet + ", backend host-gw"), ready);
                    System.out.println("READY=1 " + readyMs + " ms after start");

                    String log = log(dir);
                    assertTrue(log.contains("external interface wt-a address 192.168.50.3"),
                            "-iface-can-reach picks the route's interface and source:\n" + log);

                    RouteInfo bh = blackhole(ns, subnet).orElseThrow(() -> new AssertionError(
                            "no blackhole route for " + subnet + " at READY: " + KernelState.routes(ns.name(), 4)));
                    assertEquals("boot", bh.protocol(), "flannel's route: netlink's default protocol");
                    ns.ip("route", "del", "blackhole", subnet);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                    while (blackhole(ns, subnet).isEmpty() && System.nanoTime() < deadline) {
                        Thread.sleep(100);
                    }
                    assertTrue(blackhole(ns, subnet).isPresent(), "the blackhole route is re-added within a resync period");

                    assertNull(listener.receive(Duration.ofMillis(200)), "nothing between READY and SIGTERM");
                    weftd.destroy(); // SIGTERM: ip netns exec execs java, so this is weftd's own pid
                    String stopping = listener.receive(Duration.ofSeconds(15));
                    assertEquals("STOPPING=1", stopping, log(dir));
                    assertTrue(weftd.waitFor(15, TimeUnit.SECONDS), "weftd did not exit after SIGTERM");
                    // the JVM ends a SIGTERM'd process with 143 once its hooks are done; weftd.service lists it in SuccessExitStatus
                    assertTrue(weftd.exitValue() == 0 || weftd.exitValue() == 143, weftd.exitValue() + "\n" + log(dir));
                    assertNull(listener.receive(Duration.ofMillis(100)), "nothing after STOPPING=1");
                    assertTrue(!Files.exists(dir.resolve("weftd.sock")), "SIGTERM closes the status socket and removes its file");
                } finally {
                    weftd.destroyForcibly();
                    weftd.waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void pathSocketsAndUnusableValues(@TempDir Path dir) {
        Path sock = dir.resolve("notify");
        try (NotifyListener listener = new NotifyListener(sock.toString())) {
            assertTrue(SystemdNotify.of(sock.toString()).orElseThrow().send("READY=1"));
            assertEquals("READY=1", listener.receive(Duration.ofSeconds(2)));
        }
        assertTrue(SystemdNotify.of(null).isEmpty());
        assertTrue(SystemdNotify.of("").isEmpty());
        assertTrue(SystemdNotify.of("relative/path").isEmpty(), "systemd only gives absolute paths or @names");
        assertTrue(SystemdNotify.of("/" + "x".repeat(SystemdNotify.SUN_PATH)).isEmpty(), "longer than sun_path");
        // a socket nobody listens on: reported, not thrown (weftd keeps running outside systemd's reach)
        assertTrue(!SystemdNotify.of(dir.resolve("gone").toString()).orElseThrow().send("READY=1"));
    }

    /** The status socket replaces a stale socket file, but never a file that is not a socket, nor a live socket. */
    @Test
    void statusSocketLeavesWhatIsNotItsOwn(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("not-a-socket");
        Files.writeString(file, "keep me");
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> HealthServer.unix(file, () -> true, () -> "", () -> "{}"));
        assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
        assertEquals("keep me", Files.readString(file));

        Path sock = dir.resolve("weftd.sock");
        try (HealthServer live = HealthServer.unix(sock, () -> true, () -> "", () -> "{\"ready\":true}")) {
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
            java.io.IOException taken = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                    () -> HealthServer.unix(sock, () -> true, () -> "", () -> "{}"));
            assertTrue(taken.getMessage().contains("another process answers"), taken.getMessage());
        }
        assertTrue(!Files.exists(sock), "removed on close");

        // a weftd killed with SIGKILL leaves its socket file behind: the next one takes the path over
        Path stale = dir.resolve("stale.sock");
        try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.bind(java.net.UnixDomainSocketAddress.of(stale));
        }
        assertTrue(Files.exists(stale));
        try (HealthServer next = HealthServer.unix(stale, () -> true, () -> "", () -> "{}")) {
            assertTrue(Files.exists(stale));
        }
    }

    private static Optional<RouteInfo> blackhole(TestNetns ns, String subnet) {
        return KernelState.routes(ns.name(), 4).stream().filter(r -> r.type().equals("blackhole") && r.dst().equals(subnet)).findFirst();
    }

    /** 10.99.7.1/24 to 10.99.7.0/24 */
    private static String subnetOf(String gatewayCidr) {
        return dev.weft.net.Cidr.parse(gatewayCidr).network().toString();
    }

    private static String log(Path dir) throws IOException {
        Path p = dir.resolve("weftd.log");
        return Files.exists(p) ? Files.readString(p) : "(no log)";
    }
}
