package dev.weft.cni.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/**
 * Bad input gets the right error code and a message that says what is wrong, and leaves nothing
 * behind: no link in the node or the pod, no IP reservation, no masquerade chain.
 */
@KernelTest
class BadInputTest {
    private TestNetns host;
    private TestNetns pod;
    private Path dataDir;

    @BeforeEach
    void setUp() throws IOException {
        host = TestNetns.create("node");
        pod = TestNetns.create("pod");
        dataDir = Files.createTempDirectory("wt-ipam");
    }

    @AfterEach
    void tearDown() throws IOException {
        pod.close();
        host.close();
        try (var s = Files.walk(dataDir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private String conf(String subnet) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"wtbad\",\"type\":\"weft-bridge\",\"bridge\":\"wt-bad0\",\"isGateway\":true,"
                + "\"ipMasq\":true,\"ipam\":{\"type\":\"weft-host-local\",\"subnet\":\"" + subnet + "\",\"dataDir\":\"" + dataDir + "\"}}";
    }

    private Cni.Outcome add(String id, String config) {
        return Cni.plugin("weft-bridge").in(host.name()).attachment("ADD", id, pod.path().toString()).config(config).run();
    }

    /** Nothing left: pod has only lo, node has no veth, no reservation file, no CNI- chain. */
    private void assertClean() throws IOException {
        assertEquals(List.of("lo"), KernelState.links(pod.name()).stream().map(l -> l.ifname()).toList());
        assertTrue(KernelState.links(host.name()).stream().noneMatch(l -> l.ifname().startsWith("veth")), "no host veth left");
        Path net = dataDir.resolve("wtbad");
        if (Files.isDirectory(net)) {
            try (var s = Files.list(net)) {
                assertTrue(s.map(p -> p.getFileName().toString()).noneMatch(n -> Character.isDigit(n.charAt(0)) && !n.startsWith("last")),
                        "no reservation left");
            }
        }
        String nat = host.exec("iptables-save", "-t", "nat").stdout();
        assertFalse(nat.contains("CNI-"), "no masquerade chain left:\n" + nat);
    }

    @Test
    void malformedJsonIsCode6() throws IOException {
        Cni.Outcome o = add("bad1", "{\"cniVersion\":\"1.0.0\",\"name\":");
        assertEquals(6, o.errorCode(), o.toString());
        assertClean();
    }

    @Test
    void missingTypeIsCode7() throws IOException {
        Cni.Outcome o = add("bad2", "{\"cniVersion\":\"1.0.0\",\"name\":\"wtbad\"}");
        assertEquals(7, o.errorCode(), o.toString());
        assertTrue(o.msg().contains("type"), o.msg());
        assertClean();
    }

    @Test
    void unknownVersionIsCode1() throws IOException {
        Cni.Outcome o = add("bad3", conf("10.213.9.0/24").replace("1.0.0", "9.9.9"));
        assertEquals(1, o.errorCode(), o.toString());
        assertClean();
    }

    @Test
    void missingEnvIsCode4AndNamesTheVariables() throws IOException {
        Cni.Outcome o = Cni.plugin("weft-bridge").in(host.name()).command("ADD").containerId("bad4").config(conf("10.213.9.0/24")).run();
        assertEquals(4, o.errorCode(), o.toString());
        assertEquals("required env variables [CNI_NETNS,CNI_IFNAME] missing", o.msg());
        Cni.Outcome noCmd = Cni.plugin("weft-bridge").in(host.name()).command("FLY").config(conf("10.213.9.0/24")).run();
        assertEquals(4, noCmd.errorCode(), noCmd.toString());
        assertClean();
    }

    @Test
    void badIfnameAndContainerIdAreCode4() throws IOException {
        for (String ifname : List.of("eth0/x", "a-name-longer-than-15", "..", "eth 0", "eth:0")) {
            Cni.Outcome o = Cni.plugin("weft-bridge").in(host.name()).command("ADD").containerId("bad5").netns(pod.path().toString())
                    .ifname(ifname).config(conf("10.213.9.0/24")).run();
            assertEquals(4, o.errorCode(), ifname + ": " + o);
            assertTrue(o.msg().startsWith("interface name"), o.msg());
        }
        Cni.Outcome id = Cni.plugin("weft-bridge").in(host.name()).attachment("ADD", "-bad/id", pod.path().toString())
                .config(conf("10.213.9.0/24")).run();
        assertEquals(4, id.errorCode(), id.toString());
        assertEquals("invalid characters in containerID", id.msg());
        assertClean();
    }

    @Test
    void netnsThatDoesNotExistIsCode4() throws IOException {
        Cni.Outcome o = Cni.plugin("weft-bridge").in(host.name()).attachment("ADD", "bad6", "/run/netns/wt-no-such-ns")
                .config(conf("10.213.9.0/24")).run();
        assertEquals(4, o.errorCode(), o.toString());
        assertTrue(o.msg().contains("/run/netns/wt-no-such-ns"), o.msg());
        assertClean();
    }

    @Test
    void subnetWithHostBitsIsAConfigError() throws IOException {
        Cni.Outcome o = add("bad7", conf("10.213.9.5/24"));
        assertEquals(7, o.errorCode(), o.toString());
        assertTrue(o.msg().contains("host bits") || o.json().path("details").asText().contains("host bits"), o.toString());
        assertClean();
        assertTrue(KernelState.link(host.name(), "wt-bad0").isEmpty(), "IPAM is asked first: not even the bridge is made");
    }

    @Test
    void exhaustedRangeNamesTheRangeAndLeavesNothing() throws IOException {
        String small = "{\"cniVersion\":\"1.0.0\",\"name\":\"wtbad\",\"type\":\"weft-bridge\",\"bridge\":\"wt-bad0\",\"isGateway\":true,"
                + "\"ipam\":{\"type\":\"weft-host-local\",\"subnet\":\"10.213.9.0/24\",\"rangeStart\":\"10.213.9.10\","
                + "\"rangeEnd\":\"10.213.9.10\",\"dataDir\":\"" + dataDir + "\"}}";
        try (TestNetns first = TestNetns.create("pod")) {
            Cni.plugin("weft-bridge").in(host.name()).attachment("ADD", "only", first.path().toString()).config(small).run().requireOk();
            Cni.Outcome o = add("bad8", small);
            assertFalse(o.ok());
            String text = o.msg() + " " + o.json().path("details").asText();
            assertTrue(text.contains("10.213.9.10-10.213.9.10"), text);
            assertEquals(List.of("lo"), KernelState.links(pod.name()).stream().map(l -> l.ifname()).toList());
            assertEquals(1, KernelState.links(host.name()).stream().filter(l -> l.ifname().startsWith("veth")).count());
            Cni.plugin("weft-bridge").in(host.name()).attachment("DEL", "only", first.path().toString()).config(small).run().requireOk();
        }
        assertClean();
    }

    @Test
    void corruptReservationFileDoesNotBreakAllocation() throws IOException {
        Path net = Files.createDirectories(dataDir.resolve("wtbad"));
        Files.write(net.resolve("10.213.9.2"), new byte[] {0, (byte) 0xff, 13, 10, 7});
        Files.writeString(net.resolve("last_reserved_ip.0"), "not-an-ip\n");
        Files.writeString(net.resolve("garbage-name"), "x");
        Cni.Outcome o = add("ok9", conf("10.213.9.0/24")).requireOk();
        String ip = o.json().path("ips").get(0).path("address").asText();
        assertFalse(ip.startsWith("10.213.9.2/"), "the IP held by a corrupt file stays reserved: " + ip);
        Cni.plugin("weft-bridge").in(host.name()).attachment("DEL", "ok9", pod.path().toString()).config(conf("10.213.9.0/24")).run().requireOk();
        assertTrue(Files.exists(net.resolve("10.213.9.2")), "DEL of another container leaves the corrupt file alone");
        Files.delete(net.resolve("10.213.9.2"));
        Files.delete(net.resolve("garbage-name"));
        assertClean();
    }
}
