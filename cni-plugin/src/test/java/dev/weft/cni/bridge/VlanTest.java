package dev.weft.cni.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.cni.testing.Cni;
import dev.weft.testkit.AddrInfo;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vlan}, {@code vlanTrunk}, {@code preserveDefaultVlan} and {@code vlan} with
 * {@code isGateway}. Validation is checked everywhere. The kernel state needs
 * CONFIG_BRIDGE_VLAN_FILTERING: on a kernel with it, the state is compared with the reference's;
 * on one without it (the development machines), both plugins must refuse the same way and Weft must
 * leave nothing behind. Which of the two ran is printed, never skipped.
 */
@KernelTest
class VlanTest {
    /** host-local's dataDir; JUnit removes it after each test. */
    @TempDir
    Path dataDir;

    private static String conf(String bridgeType, String ipamType, Path dir, String extra) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"wtvlan\",\"type\":\"" + bridgeType + "\",\"bridge\":\"wt-vl0\"," + extra
                + ",\"ipam\":{\"type\":\"" + ipamType + "\",\"subnet\":\"10.213.50.0/24\",\"dataDir\":\"" + dir + "\"}}";
    }

    private String weft(String extra) {
        return conf("weft-bridge", "weft-host-local", dataDir, extra);
    }

    private static Cni.Outcome run(String plugin, TestNetns host, String verb, String id, TestNetns pod, String conf) {
        return Cni.plugin(plugin).in(host.name()).attachment(verb, id, pod.path().toString()).config(conf).run();
    }

    @Test
    void badVlanConfigIsACodeSevenWithTheReferencesMessageAndLeavesNothing() throws IOException {
        Map<String, String> cases = new TreeMap<>(Map.ofEntries(
                Map.entry("\"vlan\":5000", "invalid VLAN ID 5000 (must be between 0 and 4094)"),
                Map.entry("\"vlan\":-1", "invalid VLAN ID -1 (must be between 0 and 4094)"),
                Map.entry("\"vlanTrunk\":[{\"id\":0}]", "incorrect trunk id parameter"),
                Map.entry("\"vlanTrunk\":[{\"id\":7},{\"id\":4095}]", "incorrect trunk id parameter"),
                Map.entry("\"vlanTrunk\":[{\"minID\":0,\"maxID\":5}]", "incorrect trunk minID parameter"),
                Map.entry("\"vlanTrunk\":[{\"minID\":5,\"maxID\":4095}]", "incorrect trunk maxID parameter"),
                Map.entry("\"vlanTrunk\":[{\"minID\":9,\"maxID\":5}]", "minID is greater than maxID in trunk parameter"),
                Map.entry("\"vlanTrunk\":[{\"maxID\":5}]", "minID and maxID should be configured simultaneously, minID is missing"),
                Map.entry("\"vlanTrunk\":[{\"minID\":5}]", "minID and maxID should be configured simultaneously, maxID is missing"),
                Map.entry("\"vlan\":10,\"vlanTrunk\":[{\"id\":20}]", "cannot set vlan and vlanTrunk at the same time"),
                Map.entry("\"vlanTrunk\":{\"id\":3}", "invalid config: \"vlanTrunk\" must be a list"),
                Map.entry("\"vlanTrunk\":[{\"id\":\"3\"}]", "invalid config: \"id\" must be an integer")));
        try (TestNetns host = TestNetns.create("node"); TestNetns pod = TestNetns.create("pod")) {
            for (var c : cases.entrySet()) {
                Cni.Outcome o = run("weft-bridge", host, "ADD", "bad", pod, weft(c.getKey()));
                assertEquals(7, o.errorCode(), c.getKey() + ": " + o);
                assertEquals(c.getValue(), o.msg(), c.getKey());
                assertEquals(List.of("lo"), names(pod), c.getKey());
                assertEquals(List.of("lo"), names(host), c.getKey() + ": not even the bridge");
                assertFalse(Files.exists(dataDir.resolve("wtvlan")) && reservations() > 0, c.getKey());
            }
            // The installed reference (1.1.1) knows "vlan" but not "vlanTrunk": same words for the former.
            for (String bad : List.of("\"vlan\":5000", "\"vlan\":-1")) {
                Cni.Outcome ref = run("bridge", host, "ADD", "bad", pod, conf("bridge", "host-local", dataDir, bad));
                assertEquals(cases.get(bad), ref.msg(), ref.toString());
            }
        }
    }

    @Test
    void vlanKernelStateMatchesTheReferenceOrBothRefuse() throws IOException {
        boolean capable;
        try (TestNetns probe = TestNetns.create("probe")) {
            capable = probe.tryExec("ip", "link", "add", "wt-probe", "type", "bridge", "vlan_filtering", "1").ok();
        }
        System.err.println("VlanTest: kernel " + (capable ? "has" : "has NO") + " bridge VLAN filtering: "
                + (capable ? "comparing kernel state with the reference" : "checking that both plugins refuse alike"));
        if (capable) {
            accessPortsAndGatewayMatchTheReference();
            trunkPortsCarryTheirVlansTagged();
        } else {
            bothRefuseAndWeftLeavesNothing();
        }
    }

    /** Without VLAN filtering the bridge cannot be made VLAN-aware, nor a port given a VLAN. */
    private void bothRefuseAndWeftLeavesNothing() throws IOException {
        try (TestNetns refHost = TestNetns.create("rh"); TestNetns refPod = TestNetns.create("rp");
             TestNetns host = TestNetns.create("wh"); TestNetns pod = TestNetns.create("wp")) {
            String gw = "\"isGateway\":true,\"vlan\":100";
            Cni.Outcome ref = run("bridge", refHost, "ADD", "v1", refPod, conf("bridge", "host-local", dataDir.resolve("ref"), gw));
            Cni.Outcome ours = run("weft-bridge", host, "ADD", "v1", pod, weft(gw));
            assertFalse(ref.ok(), ref.toString());
            assertFalse(ours.ok(), ours.toString());
            assertTrue(ref.msg().startsWith("failed to create bridge \"wt-vl0\""), ref.toString());
            assertTrue(ours.msg().startsWith("failed to create bridge \"wt-vl0\""), ours.toString());
            assertEquals("EOPNOTSUPP", ours.json().path("details").asText(), ours.toString());
            assertClean(host, pod);
            assertEquals(List.of("lo"), names(refHost));

            for (String trunk : List.of("\"vlanTrunk\":[{\"id\":5},{\"minID\":10,\"maxID\":20}]", "\"vlanTrunk\":[]")) {
                Cni.Outcome t = run("weft-bridge", host, "ADD", "v2", pod, weft(trunk));
                assertTrue(t.msg().startsWith("failed to create bridge \"wt-vl0\""), trunk + ": " + t);
                assertClean(host, pod);
            }

            // A bridge that is already there is not made VLAN-aware (as in the reference); the
            // port's VLAN is what fails then, with the reference's words.
            refHost.ip("link", "add", "wt-vl0", "type", "bridge");
            host.ip("link", "add", "wt-vl0", "type", "bridge");
            ref = run("bridge", refHost, "ADD", "v3", refPod, conf("bridge", "host-local", dataDir.resolve("ref"), gw));
            ours = run("weft-bridge", host, "ADD", "v3", pod, weft(gw));
            String prefix = "failed to setup vlan tag on interface \"veth";
            assertTrue(ref.msg().startsWith(prefix), ref.toString());
            assertTrue(ours.msg().startsWith(prefix), ours.toString());
            assertClean(host, pod);
            assertEquals(List.of("lo", "wt-vl0"), names(host), "the bridge stays, nothing else");
            // The reference leaves its veth pair for the runtime's DEL; ours is gone already. DEL is fine for both.
            run("bridge", refHost, "DEL", "v3", refPod, conf("bridge", "host-local", dataDir.resolve("ref"), gw)).requireOk();
            run("weft-bridge", host, "DEL", "v3", pod, weft(gw)).requireOk();
            run("weft-bridge", host, "DEL", "v3", pod, weft(gw)).requireOk();
            assertEquals(names(refHost), names(host));
        }
    }

    /** Two pods on VLAN 100 with the gateway on wt-vl0.100, one pod on VLAN 200; as the reference. */
    private void accessPortsAndGatewayMatchTheReference() throws IOException {
        try (TestNetns refHost = TestNetns.create("rh"); TestNetns r1 = TestNetns.create("r1");
             TestNetns host = TestNetns.create("wh"); TestNetns p1 = TestNetns.create("p1"); TestNetns p2 = TestNetns.create("p2");
             TestNetns p3 = TestNetns.create("p3")) {
            String gw = "\"isGateway\":true,\"vlan\":100";
            JsonNode ref = run("bridge", refHost, "ADD", "a1", r1, conf("bridge", "host-local", dataDir.resolve("ref"), gw)).requireOk().json();
            JsonNode ours = run("weft-bridge", host, "ADD", "a1", p1, weft(gw)).requireOk().json();
            assertEquals(interfaceNames(ref), interfaceNames(ours));
            assertEquals(List.of("wt-vl0", "veth*", "eth0", "wt-vl0.100"), interfaceNames(ours));
            assertEquals(ref.path("ips").toString(), ours.path("ips").toString());
            assertEquals(nodeVlanState(refHost), nodeVlanState(host));
            assertTrue(KernelState.addresses(host.name(), "wt-vl0.100").stream().anyMatch(a -> a.cidr().equals("10.213.50.1/24")));
            assertTrue(KernelState.addresses(host.name(), "wt-vl0").stream().noneMatch(a -> "global".equals(a.scope())));

            JsonNode second = run("weft-bridge", host, "ADD", "a2", p2, weft(gw)).requireOk().json();
            String ip1 = ours.path("ips").get(0).path("address").asText().split("/")[0];
            assertEquals(4, second.path("interfaces").size(), "the gateway is reused and reported again");
            assertTrue(p2.tryExec("ping", "-c", "1", "-W", "2", ip1).ok(), "pods on one VLAN reach each other");
            assertTrue(p2.tryExec("ping", "-c", "1", "-W", "2", "10.213.50.1").ok(), "and the VLAN's gateway");
            run("weft-bridge", host, "ADD", "a3", p3, weft("\"vlan\":200")).requireOk();
            assertFalse(p3.tryExec("ping", "-c", "1", "-W", "1", ip1).ok(), "another VLAN is not reachable");

            run("bridge", refHost, "DEL", "a1", r1, conf("bridge", "host-local", dataDir.resolve("ref"), gw)).requireOk();
            for (var e : List.of(Map.entry("a1", p1), Map.entry("a2", p2))) {
                run("weft-bridge", host, "DEL", e.getKey(), e.getValue(), weft(gw)).requireOk();
                run("weft-bridge", host, "DEL", e.getKey(), e.getValue(), weft(gw)).requireOk();
            }
            run("weft-bridge", host, "DEL", "a3", p3, weft("\"vlan\":200")).requireOk();
            assertTrue(KernelState.link(refHost.name(), "wt-vl0.100").isPresent(), "the reference keeps the VLAN gateway");
            assertTrue(KernelState.link(host.name(), "wt-vl0.100").isPresent(), "so do we");
        }
    }

    /** The installed reference predates vlanTrunk: checked against the upstream behaviour instead. */
    private void trunkPortsCarryTheirVlansTagged() throws IOException {
        try (TestNetns host = TestNetns.create("wh"); TestNetns p1 = TestNetns.create("p1"); TestNetns p2 = TestNetns.create("p2")) {
            String trunk = "\"vlanTrunk\":[{\"id\":5},{\"minID\":10,\"maxID\":12},{\"id\":11}]";
            JsonNode r = run("weft-bridge", host, "ADD", "t1", p1, weft(trunk)).requireOk().json();
            assertEquals(List.of("1 PVID Egress Untagged", "5", "10", "11", "12"), portVlans(host, r.path("interfaces").get(1).path("name").asText()));
            JsonNode r2 = run("weft-bridge", host, "ADD", "t2", p2, weft(trunk + ",\"preserveDefaultVlan\":false")).requireOk().json();
            assertEquals(List.of("5", "10", "11", "12"), portVlans(host, r2.path("interfaces").get(1).path("name").asText()));
            assertEquals(1, KernelState.requireLink(host.name(), "wt-vl0").infoData().path("vlan_filtering").asInt());
            run("weft-bridge", host, "DEL", "t1", p1, weft(trunk)).requireOk();
            run("weft-bridge", host, "DEL", "t2", p2, weft(trunk)).requireOk();
        }
    }

    private static List<String> portVlans(TestNetns host, String port) {
        List<String> out = new ArrayList<>();
        for (JsonNode dev : KernelState.parse(host.bridge("-j", "vlan", "show", "dev", port))) {
            for (JsonNode v : dev.path("vlans")) {
                List<String> flags = new ArrayList<>();
                v.path("flags").forEach(f -> flags.add(f.asText()));
                int end = v.path("vlanEnd").asInt(v.path("vlan").asInt());
                for (int vid = v.path("vlan").asInt(); vid <= end; vid++) {
                    out.add((vid + " " + String.join(" ", flags)).strip());
                }
            }
        }
        return out;
    }

    /** Links (veth names blanked), masters, vlan_filtering, addresses and each port's VLANs, sorted. */
    private static List<String> nodeVlanState(TestNetns host) {
        List<String> out = new ArrayList<>();
        for (LinkInfo l : KernelState.links(host.name())) {
            String name = l.ifname().startsWith("veth") ? "veth*" : l.ifname();
            out.add("link " + name + " " + l.kind() + " master " + l.master() + " up " + l.isUp()
                    + " vlan_filtering " + l.infoData().path("vlan_filtering").asText("-"));
            for (AddrInfo a : KernelState.addresses(host.name(), l.ifname())) {
                if (!"link".equals(a.scope())) {
                    out.add("addr " + name + " " + a.cidr());
                }
            }
            if (l.master() != null) {
                out.add("vlans " + name + " " + portVlans(host, l.ifname()));
            }
        }
        out.sort(null);
        return out;
    }

    private static List<String> interfaceNames(JsonNode result) {
        List<String> out = new ArrayList<>();
        result.path("interfaces").forEach(i -> out.add(i.path("name").asText().startsWith("veth") ? "veth*" : i.path("name").asText()));
        return out;
    }

    private static List<String> names(TestNetns ns) {
        return KernelState.links(ns.name()).stream().map(LinkInfo::ifname).toList();
    }

    private void assertClean(TestNetns host, TestNetns pod) throws IOException {
        assertEquals(List.of("lo"), names(pod));
        assertTrue(names(host).stream().noneMatch(n -> n.startsWith("veth") || n.startsWith("wt-vl0.")), names(host).toString());
        assertEquals(0, reservations());
    }

    private long reservations() throws IOException {
        Path d = dataDir.resolve("wtvlan");
        if (!Files.isDirectory(d)) {
            return 0;
        }
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("10.")).count();
        }
    }
}
