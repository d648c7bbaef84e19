package dev.weft.cni.flannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.cni.testing.Cni;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** weft-flannel against a subnet.env written by the test, delegating to weft-bridge + weft-host-local. */
@KernelTest
class FlannelPluginTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TestNetns host;
    private Path dir;
    private Path subnetEnv;

    @BeforeEach
    void setUp() throws IOException {
        host = TestNetns.create("node");
        dir = Files.createTempDirectory("wt-flannel");
        subnetEnv = dir.resolve("subnet.env");
    }

    @AfterEach
    void tearDown() throws IOException {
        host.close();
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private String confWithIpamDir(String version) {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"cbr0\",\"type\":\"weft-flannel\",\"subnetFile\":\"" + subnetEnv
                + "\",\"dataDir\":\"" + dir.resolve("flannel") + "\",\"delegate\":{\"bridge\":\"wt-fl0\",\"hairpinMode\":true,"
                + "\"isDefaultGateway\":true},\"ipam\":{\"dataDir\":\"" + dir.resolve("ipam") + "\"}}";
    }

    private void writeSubnetEnv() throws IOException {
        Files.writeString(subnetEnv, "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.7.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n");
    }

    @Test
    void podGetsAnAddressFromFlannelSubnetARouteToTheNetworkAndTheMtu() throws IOException {
        writeSubnetEnv();
        String conf = confWithIpamDir("1.0.0");
        try (TestNetns pod = TestNetns.create("pod")) {
            JsonNode res = Cni.plugin("weft-flannel").in(host.name()).attachment("ADD", "ctr1", pod.path().toString())
                    .config(conf).run().requireOk().json();
            String addr = res.path("ips").get(0).path("address").asText();
            assertTrue(addr.startsWith("10.244.7.") && addr.endsWith("/24"), addr);
            assertEquals("10.244.7.1", res.path("ips").get(0).path("gateway").asText());
            assertEquals(1450, KernelState.requireLink(pod.name(), "eth0").mtu(), "FLANNEL_MTU on the pod end");
            assertEquals(1450, KernelState.requireLink(host.name(), "wt-fl0").mtu(), "FLANNEL_MTU on the bridge");
            RouteInfo toNetwork = KernelState.routes(pod.name(), 4, "main").stream()
                    .filter(r -> "10.244.0.0/16".equals(r.dst())).findFirst().orElseThrow();
            assertEquals("10.244.7.1", toNetwork.gateway());
            assertTrue(KernelState.routes(pod.name(), 4, "main").stream().anyMatch(RouteInfo::isDefault), "isDefaultGateway from the delegate block");
            assertTrue(KernelState.bridgePort(host.name(), KernelState.links(host.name()).stream()
                    .filter(l -> l.ifname().startsWith("veth")).findFirst().orElseThrow().ifname()).orElseThrow().hairpin());

            Path saved = dir.resolve("flannel").resolve("ctr1");
            assertTrue(Files.exists(saved), "the delegate config is saved before delegating");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(saved)));
            JsonNode d = JSON.readTree(saved.toFile());
            assertEquals("weft-bridge", d.path("type").asText());
            assertEquals("cbr0", d.path("name").asText());
            assertFalse(d.path("ipMasq").asBoolean(true), "ipMasq = !FLANNEL_IPMASQ");
            assertEquals(1450, d.path("mtu").asInt());
            assertTrue(d.path("isGateway").asBoolean());
            assertEquals("weft-host-local", d.path("ipam").path("type").asText());
            assertEquals("10.244.7.0/24", d.path("ipam").path("ranges").get(0).get(0).path("subnet").asText());
            assertEquals("10.244.0.0/16", d.path("ipam").path("routes").get(0).path("dst").asText());

            // DEL replays the saved delegate, even if subnet.env is gone meanwhile.
            Files.delete(subnetEnv);
            Cni.plugin("weft-flannel").in(host.name()).attachment("DEL", "ctr1", pod.path().toString()).config(conf).run().requireOk();
            assertFalse(Files.exists(saved));
            assertTrue(KernelState.link(pod.name(), "eth0").isEmpty());
            try (var s = Files.list(dir.resolve("ipam").resolve("cbr0"))) {
                assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("10.")), "the IP was released");
            }
            Cni.plugin("weft-flannel").in(host.name()).attachment("DEL", "ctr1", pod.path().toString()).config(conf).run().requireOk();
        }
    }

    @Test
    void withoutSubnetEnvStatusIs50AndAddSaysWhichFile() throws IOException {
        String conf = confWithIpamDir("1.1.0");
        Cni.Outcome status = Cni.plugin("weft-flannel").in(host.name()).command("STATUS").config(conf).run();
        assertEquals(50, status.errorCode(), status.toString());
        assertTrue(status.msg().contains(subnetEnv.toString()), status.msg());
        try (TestNetns pod = TestNetns.create("pod")) {
            Cni.Outcome add = Cni.plugin("weft-flannel").in(host.name()).attachment("ADD", "c2", pod.path().toString()).config(conf).run();
            assertFalse(add.ok());
            assertTrue(add.msg().contains(subnetEnv.toString()) && add.msg().contains("subnet.env"), add.msg());
            assertTrue(KernelState.link(pod.name(), "eth0").isEmpty());
        }
        // an incomplete file names the missing keys
        Files.writeString(subnetEnv, "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.7.1/24\n");
        Cni.Outcome partial = Cni.plugin("weft-flannel").in(host.name()).command("STATUS").config(conf).run();
        assertEquals(50, partial.errorCode());
        assertTrue(partial.msg().contains("FLANNEL_MTU") && partial.msg().contains("FLANNEL_IPMASQ"), partial.msg());
        writeSubnetEnv();
        Cni.plugin("weft-flannel").in(host.name()).command("STATUS").config(conf).run().requireOk();
    }
}
