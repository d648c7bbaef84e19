package dev.weft.cni.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.cni.testing.Cni;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CNI conformance harness: every supported version × every verb, run against weft-bridge (with
 * weft-host-local) and weft-loopback as separate processes inside a test namespace playing the node.
 */
@KernelTest
class ConformanceTest {
    static final List<String> VERSIONS = List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0");
    static final String IPAM = System.getProperty("weft.test.ipam", "weft-host-local");
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestNetns host;
    private Path dataDir;

    @BeforeEach
    void setUp() throws IOException {
        host = TestNetns.create("node");
        dataDir = Files.createTempDirectory("wt-ipam");
    }

    @AfterEach
    void tearDown() throws IOException {
        host.close();
        try (var s = Files.walk(dataDir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    String bridgeConf(String version) {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"wtconf\",\"type\":\"weft-bridge\",\"bridge\":\"wt-cbr0\","
                + "\"isGateway\":true,\"ipam\":{\"type\":\"" + IPAM + "\",\"subnet\":\"10.213.8.0/24\",\"dataDir\":\"" + dataDir
                + "\",\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}}";
    }

    private static String withPrev(String conf, JsonNode prev) throws IOException {
        ObjectNode o = (ObjectNode) JSON.readTree(conf);
        o.set("prevResult", prev);
        return JSON.writeValueAsString(o);
    }

    private Cni bridge(String command, String id, TestNetns pod) {
        return Cni.plugin("weft-bridge").in(host.name()).attachment(command, id, pod == null ? "" : pod.path().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"})
    void everyVerbAtEveryVersion(String v) throws IOException {
        try (TestNetns pod = TestNetns.create("pod")) {
            String conf = bridgeConf(v);
            Cni.Outcome add = bridge("ADD", "c-" + v.replace('.', '-'), pod).config(conf).run().requireOk();
            JsonNode res = add.json();
            assertEquals(v, res.path("cniVersion").asText(), "output is in the config's version");
            assertEquals(3, res.path("interfaces").size());
            assertEquals("wt-cbr0", res.path("interfaces").get(0).path("name").asText());
            assertEquals(pod.path().toString(), res.path("interfaces").get(2).path("sandbox").asText());
            JsonNode ip = res.path("ips").get(0);
            assertEquals(2, ip.path("interface").asInt());
            assertEquals("10.213.8.1", ip.path("gateway").asText());
            if (v.startsWith("0.")) {
                assertEquals("4", ip.path("version").asText(), "0.3.x/0.4.0 results carry ips[].version");
            } else {
                assertFalse(ip.has("version"), "1.x results have no ips[].version");
            }
            String addr = ip.path("address").asText().split("/")[0];
            assertTrue(KernelState.addresses(pod.name(), "eth0").stream().anyMatch(a -> addr.equals(a.local())));

            Cni.Outcome check = bridge("CHECK", "c-" + v.replace('.', '-'), pod).config(withPrev(conf, res)).run();
            if (v.equals("0.3.0") || v.equals("0.3.1")) {
                assertEquals(1, check.errorCode(), check.toString());
                assertEquals("config version does not allow CHECK", check.msg());
            } else {
                check.requireOk();
                assertEquals("", check.stdout().strip(), "CHECK prints nothing on success");
            }

            Cni.Outcome status = Cni.plugin("weft-bridge").in(host.name()).command("STATUS").config(conf).run();
            Cni.Outcome gc = Cni.plugin("weft-bridge").in(host.name()).command("GC").config(conf).run();
            if (v.equals("1.1.0")) {
                status.requireOk();
                gc.requireOk();
            } else {
                assertEquals(1, status.errorCode(), status.toString());
                assertEquals("config version does not allow STATUS", status.msg());
                assertEquals(1, gc.errorCode(), gc.toString());
                assertEquals("config version does not allow GC", gc.msg());
            }

            String id = "c-" + v.replace('.', '-');
            // GC above (1.1.0) had no valid-attachments: it released this pod's IP; re-ADD is not the point here.
            bridge("DEL", id, pod).config(withPrev(conf, res)).run().requireOk();
            bridge("DEL", id, pod).config(conf).run().requireOk(); // repeated, and without prevResult
            assertTrue(KernelState.link(pod.name(), "eth0").isEmpty());
            assertEquals(List.of("lo", "wt-cbr0"), KernelState.links(host.name()).stream().map(l -> l.ifname()).sorted().toList());
        }
    }

    @Test
    void delSucceedsWithEmptyOrMissingNetnsAndReleasesTheIp() throws IOException {
        String conf = bridgeConf("1.0.0");
        try (TestNetns pod = TestNetns.create("pod")) {
            bridge("ADD", "gone", pod).config(conf).run().requireOk();
            assertEquals(1, reservations());
            // The netns disappears before DEL (node reboot, crashed runtime).
            pod.close();
            bridge("DEL", "gone", pod).config(conf).run().requireOk();
            assertEquals(0, reservations(), "IPAM must release even when the netns is gone");
        }
        try (TestNetns pod = TestNetns.create("pod")) {
            bridge("ADD", "empty", pod).config(conf).run().requireOk();
            Cni.plugin("weft-bridge").in(host.name()).command("DEL").containerId("empty").ifname("eth0").config(conf).run().requireOk();
            assertEquals(0, reservations(), "DEL with no CNI_NETNS still releases the IP");
            // the pod side was not cleaned (no netns given); removing the namespace removes it
        }
        Cni.plugin("weft-loopback").in(host.name()).command("DEL").containerId("x").ifname("eth0").netns("")
                .config("{\"cniVersion\":\"1.0.0\",\"name\":\"lo\",\"type\":\"weft-loopback\"}").run().requireOk();
        Cni.plugin("weft-loopback").in(host.name()).attachment("DEL", "x", "/run/netns/wt-does-not-exist")
                .config("{\"cniVersion\":\"1.0.0\",\"name\":\"lo\",\"type\":\"weft-loopback\"}").run().requireOk();
    }

    private long reservations() throws IOException {
        Path d = dataDir.resolve("wtconf");
        if (!Files.isDirectory(d)) {
            return 0;
        }
        try (var s = Files.list(d)) {
            return s.filter(p -> !p.getFileName().toString().equals("lock") && !p.getFileName().toString().startsWith("last_reserved_ip")).count();
        }
    }

    @Test
    void addWhenTheIfnameAlreadyExistsFailsAndLeavesNothing() throws IOException {
        try (TestNetns pod = TestNetns.create("pod")) {
            pod.ip("link", "add", "eth0", "type", "bridge");
            Cni.Outcome add = bridge("ADD", "dup", pod).config(bridgeConf("1.0.0")).run();
            assertFalse(add.ok());
            assertTrue(add.msg().contains("already exists"), add.toString());
            assertEquals(0, reservations());
            assertTrue(KernelState.links(host.name()).stream().noneMatch(l -> l.ifname().startsWith("veth")));
        }
    }

    @Test
    void unknownCniArgsNeedIgnoreUnknown() throws IOException {
        try (TestNetns pod = TestNetns.create("pod")) {
            Cni.Outcome bad = bridge("ADD", "args", pod).args("FOO=bar").config(bridgeConf("1.0.0")).run();
            assertEquals(4, bad.errorCode(), bad.toString());
            assertTrue(bad.msg().contains("FOO"), bad.msg());
            assertEquals(0, reservations());
            bridge("ADD", "args", pod).args("IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;FOO=bar")
                    .config(bridgeConf("1.0.0")).run().requireOk();
            bridge("DEL", "args", pod).args("IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;FOO=bar")
                    .config(bridgeConf("1.0.0")).run().requireOk();
        }
    }

    @Test
    void versionIgnoresTheEnvironment() {
        for (String plugin : List.of("weft-bridge", "weft-loopback", "weft-flannel", "weft-host-local", "weft-routed")) {
            Cni.Outcome o = Cni.plugin(plugin).command("VERSION").netns("dummy").ifname("dummy").env("CNI_PATH", "dummy")
                    .config("{\"cniVersion\":\"1.1.0\"}").run().requireOk();
            assertEquals("1.1.0", o.json().path("cniVersion").asText());
            List<String> supported = JSON.convertValue(o.json().path("supportedVersions"), List.class);
            assertEquals(VERSIONS, supported, plugin);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.1.0", "0.2.0", "", "2.0.0", "1.0"})
    void unsupportedVersionsAreRejectedWithCode1(String v) {
        try (TestNetns pod = TestNetns.create("pod")) {
            String conf = v.isEmpty() ? "{\"name\":\"wtconf\",\"type\":\"weft-loopback\"}"
                    : "{\"cniVersion\":\"" + v + "\",\"name\":\"wtconf\",\"type\":\"weft-loopback\"}";
            Cni.Outcome o = Cni.plugin("weft-loopback").in(host.name()).attachment("ADD", "v", pod.path().toString()).config(conf).run();
            assertEquals(1, o.errorCode(), o.toString());
            assertEquals("incompatible CNI versions", o.msg());
            String shown = v.isEmpty() ? "0.1.0" : v;
            assertEquals("config is \"" + shown + "\", plugin supports [\"0.3.0\" \"0.3.1\" \"0.4.0\" \"1.0.0\" \"1.1.0\"]",
                    o.json().path("details").asText());
        }
    }

    @Test
    void loopbackAtEveryVersion() {
        for (String v : VERSIONS) {
            try (TestNetns pod = TestNetns.create("pod")) {
                String conf = "{\"cniVersion\":\"" + v + "\",\"name\":\"lo\",\"type\":\"weft-loopback\"}";
                JsonNode r = Cni.plugin("weft-loopback").in(host.name()).attachment("ADD", "lo", pod.path().toString())
                        .config(conf).run().requireOk().json();
                assertEquals(v, r.path("cniVersion").asText());
                assertEquals("127.0.0.1/8", r.path("ips").get(0).path("address").asText());
                assertTrue(KernelState.requireLink(pod.name(), "lo").isUp());
                if (!v.startsWith("0.3")) {
                    Cni.plugin("weft-loopback").in(host.name()).attachment("CHECK", "lo", pod.path().toString()).config(conf).run().requireOk();
                }
                Cni.plugin("weft-loopback").in(host.name()).attachment("DEL", "lo", pod.path().toString()).config(conf).run().requireOk();
                assertFalse(KernelState.requireLink(pod.name(), "lo").isUp());
            }
        }
    }
}
