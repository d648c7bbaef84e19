package dev.weft.cni.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.testing.Cni;
import dev.weft.testkit.AddrInfo;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Parity with the Debian reference plugins (bridge + host-local in /usr/lib/cni): the same config
 * through both gives the same result and the same kernel state, and the two share one IPAM store.
 */
@KernelTest
class ReferenceParityTest {
    private Path work;

    @BeforeEach
    void setUp() throws IOException {
        work = Files.createTempDirectory("wt-parity");
    }

    @AfterEach
    void tearDown() throws IOException {
        try (var s = Files.walk(work)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static String conf(String bridgeType, String ipamType, Path dataDir) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"wtpar\",\"type\":\"" + bridgeType + "\",\"bridge\":\"wt-par0\",\"isGateway\":true,"
                + "\"isDefaultGateway\":true,\"ipMasq\":true,\"hairpinMode\":true,\"mtu\":1400,\"ipam\":{\"type\":\"" + ipamType
                + "\",\"subnet\":\"10.213.30.0/24\",\"routes\":[{\"dst\":\"192.168.240.0/24\"}],\"dataDir\":\"" + dataDir + "\"}}";
    }

    @Test
    void sameConfigGivesTheSameResultAndKernelState() throws IOException {
        try (TestNetns refHost = TestNetns.create("rh"); TestNetns refPod = TestNetns.create("rp");
             TestNetns weftHost = TestNetns.create("wh"); TestNetns weftPod = TestNetns.create("wp")) {
            String refConf = conf("bridge", "host-local", work.resolve("ref"));
            String weftConf = conf("weft-bridge", "weft-host-local", work.resolve("weft"));
            JsonNode ref = Cni.plugin("bridge").in(refHost.name()).attachment("ADD", "par1", refPod.path().toString())
                    .config(refConf).run().requireOk().json();
            JsonNode weft = Cni.plugin("weft-bridge").in(weftHost.name()).attachment("ADD", "par1", weftPod.path().toString())
                    .config(weftConf).run().requireOk().json();

            // The result: same interfaces in the same order, same addresses, gateways and routes.
            assertEquals(normalize(ref, refPod), normalize(weft, weftPod));

            // Pod side.
            assertEquals(podState(refPod), podState(weftPod));
            // Node side: bridge, its address and MTU, the port flags, sysctls.
            assertEquals(nodeState(refHost), nodeState(weftHost));
            // Masquerade: the same CNI- chain, rules and comments.
            assertEquals(natRules(refHost), natRules(weftHost));
            assertTrue(natRules(weftHost).stream().anyMatch(l -> l.contains("MASQUERADE")), natRules(weftHost).toString());

            Cni.plugin("bridge").in(refHost.name()).attachment("DEL", "par1", refPod.path().toString()).config(refConf).run().requireOk();
            Cni.plugin("weft-bridge").in(weftHost.name()).attachment("DEL", "par1", weftPod.path().toString()).config(weftConf).run().requireOk();
            assertEquals(podState(refPod), podState(weftPod));
            assertEquals(nodeState(refHost), nodeState(weftHost));
            assertEquals(natRules(refHost), natRules(weftHost));
        }
    }

    /** Result JSON with the random parts (MACs, host veth name) blanked. */
    private static String normalize(JsonNode r, TestNetns pod) {
        StringBuilder s = new StringBuilder();
        for (JsonNode i : r.path("interfaces")) {
            String name = i.path("name").asText();
            s.append("if ").append(name.startsWith("veth") ? "veth*" : name).append(" sandbox=")
                    .append(i.path("sandbox").asText().equals(pod.path().toString()) ? "POD" : i.path("sandbox").asText()).append('\n');
        }
        for (JsonNode ip : r.path("ips")) {
            s.append("ip ").append(ip.path("address").asText()).append(" gw ").append(ip.path("gateway").asText())
                    .append(" if ").append(ip.path("interface").asInt()).append('\n');
        }
        for (JsonNode rt : r.path("routes")) {
            s.append("route ").append(rt.path("dst").asText()).append(" gw ").append(rt.path("gw").asText()).append('\n');
        }
        // Debian's 1.1.1 prints an empty "dns":{}, newer reference releases omit it: equivalent.
        s.append("cniVersion ").append(r.path("cniVersion").asText()).append(" dns ").append(r.path("dns").size() > 0 ? r.get("dns") : "none");
        return s.toString();
    }

    private static String podState(TestNetns pod) {
        StringBuilder s = new StringBuilder();
        for (LinkInfo l : KernelState.links(pod.name())) {
            s.append("link ").append(l.ifname()).append(' ').append(l.kind()).append(" mtu ").append(l.mtu()).append(" up ").append(l.isUp()).append('\n');
            if (!l.ifname().equals("lo")) {
                for (AddrInfo a : KernelState.addresses(pod.name(), l.ifname())) {
                    if (!"link".equals(a.scope())) {
                        s.append("  addr ").append(a.cidr()).append(" brd ").append(a.broadcast()).append('\n');
                    }
                }
                s.append("  arp_notify ").append(pod.sysctl("net.ipv4.conf." + l.ifname() + ".arp_notify")).append('\n');
                s.append("  accept_dad ").append(pod.sysctl("net.ipv6.conf." + l.ifname() + ".accept_dad")).append('\n');
            }
        }
        for (RouteInfo r : KernelState.routes(pod.name(), 4, "main")) {
            s.append("route ").append(r.dst()).append(" via ").append(r.gateway()).append(" dev ").append(r.dev())
                    .append(" scope ").append(r.scope()).append(" proto ").append(r.protocol()).append('\n');
        }
        return s.toString();
    }

    private static String nodeState(TestNetns host) {
        StringBuilder s = new StringBuilder();
        for (LinkInfo l : KernelState.links(host.name())) {
            String name = l.ifname().startsWith("veth") ? "veth*" : l.ifname();
            s.append("link ").append(name).append(' ').append(l.kind()).append(" mtu ").append(l.mtu()).append(" master ")
                    .append(l.master()).append(" up ").append(l.isUp()).append('\n');
            if (!l.ifname().equals("lo")) {
                for (AddrInfo a : KernelState.addresses(host.name(), l.ifname())) {
                    if (!"link".equals(a.scope())) {
                        s.append("  addr ").append(a.cidr()).append('\n');
                    }
                }
                s.append("  accept_ra ").append(host.sysctl("net.ipv6.conf." + l.ifname() + ".accept_ra")).append('\n');
                KernelState.bridgePort(host.name(), l.ifname()).ifPresent(p -> s.append("  hairpin ").append(p.hairpin()).append('\n'));
            }
        }
        s.append("ip_forward ").append(host.sysctl("net.ipv4.ip_forward")).append('\n');
        return s.toString();
    }

    /** iptables-save of the nat table without counters and headers, sorted. */
    private static List<String> natRules(TestNetns host) {
        return host.exec("iptables-save", "-t", "nat").stdout().lines()
                .filter(l -> !l.startsWith("#") && !l.startsWith("*") && !l.equals("COMMIT"))
                .map(l -> l.replaceAll("\\[\\d+:\\d+\\]", ""))
                .sorted().collect(Collectors.toList());
    }

    @Test
    void reservationsCrossBetweenTheTwoOnOneDataDir() throws IOException {
        Path shared = work.resolve("shared");
        try (TestNetns host = TestNetns.create("node"); TestNetns a = TestNetns.create("pa"); TestNetns b = TestNetns.create("pb")) {
            // ours adds, the reference deletes
            Cni.plugin("weft-bridge").in(host.name()).attachment("ADD", "x1", a.path().toString())
                    .config(conf("weft-bridge", "weft-host-local", shared)).run().requireOk();
            assertEquals(1, reservations(shared));
            Cni.plugin("bridge").in(host.name()).attachment("DEL", "x1", a.path().toString())
                    .config(conf("bridge", "host-local", shared)).run().requireOk();
            assertEquals(0, reservations(shared), "the reference released our reservation");
            assertTrue(KernelState.link(a.name(), "eth0").isEmpty());
            // the reference adds, ours deletes
            Cni.plugin("bridge").in(host.name()).attachment("ADD", "x2", b.path().toString())
                    .config(conf("bridge", "host-local", shared)).run().requireOk();
            assertEquals(1, reservations(shared));
            Cni.plugin("weft-bridge").in(host.name()).attachment("DEL", "x2", b.path().toString())
                    .config(conf("weft-bridge", "weft-host-local", shared)).run().requireOk();
            assertEquals(0, reservations(shared), "we released the reference's reservation");
            assertTrue(natRules(host).stream().noneMatch(l -> l.contains("CNI-")), "and its masquerade chain");
        }
    }

    @Test
    void bothAllocateConcurrentlyOnOneDataDirWithoutDuplicates() throws Exception {
        Path shared = work.resolve("shared");
        int each = 12;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<TestNetns> pods = new ArrayList<>();
        try (TestNetns host = TestNetns.create("node")) {
            List<Future<Cni.Outcome>> f = new ArrayList<>();
            for (int i = 0; i < 2 * each; i++) {
                TestNetns pod = TestNetns.create("p");
                pods.add(pod);
                boolean ours = i % 2 == 0;
                String id = (ours ? "w" : "r") + i;
                f.add(pool.submit(() -> Cni.plugin(ours ? "weft-bridge" : "bridge").in(host.name()).attachment("ADD", id, pod.path().toString())
                        .config(ours ? conf("weft-bridge", "weft-host-local", shared) : conf("bridge", "host-local", shared)).run()));
            }
            Set<String> ips = new HashSet<>();
            for (Future<Cni.Outcome> o : f) {
                ips.add(o.get(5, TimeUnit.MINUTES).requireOk().json().path("ips").get(0).path("address").asText());
            }
            assertEquals(2 * each, ips.size(), "no IP handed out twice: " + ips);
            assertEquals(2 * each, reservations(shared));
            for (int i = 0; i < pods.size(); i++) {
                boolean ours = i % 2 == 0;
                Cni.plugin(ours ? "weft-bridge" : "bridge").in(host.name()).attachment("DEL", (ours ? "w" : "r") + i, pods.get(i).path().toString())
                        .config(ours ? conf("weft-bridge", "weft-host-local", shared) : conf("bridge", "host-local", shared)).run().requireOk();
            }
            assertEquals(0, reservations(shared));
        } finally {
            pool.shutdownNow();
            pods.forEach(TestNetns::close);
        }
    }

    private static long reservations(Path dataDir) throws IOException {
        Path d = dataDir.resolve("wtpar");
        if (!Files.isDirectory(d)) {
            return 0;
        }
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("lock") && !n.startsWith("last_reserved_ip")).count();
        }
    }
}
