package dev.weft.cni.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.cni.testing.Cni;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.NftRuleset;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code macspoofchk}: the same nftables objects as the reference bridge plugin (so either one's
 * DEL removes the other's rules), frames with a forged source MAC dropped before the bridge learns
 * them, and nothing left after DEL or a failed ADD.
 */
@KernelTest
class MacSpoofCheckTest {
    /** host-local's dataDir; JUnit removes it after each test. */
    @TempDir
    Path dataDir;

    private String conf(String bridgeType, String ipamType, Path dir, boolean spoofCheck) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"wtmsc\",\"type\":\"" + bridgeType + "\",\"bridge\":\"wt-msc0\",\"isGateway\":true,"
                + "\"macspoofchk\":" + spoofCheck + ",\"ipam\":{\"type\":\"" + ipamType + "\",\"subnet\":\"10.213.40.0/24\",\"dataDir\":\""
                + dir + "\"}}";
    }

    private String weft(boolean spoofCheck) {
        return conf("weft-bridge", "weft-host-local", dataDir, spoofCheck);
    }

    private String ref() {
        return conf("bridge", "host-local", dataDir, true);
    }

    private static Cni.Outcome run(String plugin, TestNetns host, String verb, String id, TestNetns pod, String conf) {
        return Cni.plugin(plugin).in(host.name()).attachment(verb, id, pod.path().toString()).config(conf).run();
    }

    /**
     * The bridge-family nftables state with handles dropped and this attachment's host veth name and
     * pod MAC replaced by placeholders, one JSON object per line.
     */
    private static List<String> spoofState(TestNetns host, JsonNode addResult) {
        String veth = addResult == null ? null : addResult.path("interfaces").get(1).path("name").asText();
        String mac = addResult == null ? null : addResult.path("interfaces").get(2).path("mac").asText();
        NftRuleset rs = KernelState.nft(host.name());
        List<String> out = new ArrayList<>();
        for (String type : List.of("table", "chain", "rule")) {
            for (JsonNode o : rs.objects(type)) {
                if (!"bridge".equals(o.path("family").asText())) {
                    continue;
                }
                ObjectNode copy = ((ObjectNode) o).deepCopy();
                copy.remove("handle");
                String s = type + " " + copy;
                if (veth != null) {
                    s = s.replace("\"" + veth + "\"", "\"VETH\"").replace("\"" + mac + "\"", "\"PODMAC\"");
                }
                out.add(s);
            }
        }
        return out;
    }

    private static List<String> leftovers(TestNetns host) {
        return spoofState(host, null).stream().filter(s -> s.contains("cni-br-iface") || s.contains("macspoofchk")).toList();
    }

    @Test
    void sameNftablesObjectsAsTheReference() throws IOException {
        try (TestNetns refHost = TestNetns.create("rh"); TestNetns refPod = TestNetns.create("rp");
             TestNetns weftHost = TestNetns.create("wh"); TestNetns weftPod = TestNetns.create("wp")) {
            Path refDir = dataDir.resolve("ref");
            Path weftDir = dataDir.resolve("weft");
            String refConf = conf("bridge", "host-local", refDir, true);
            String weftConf = conf("weft-bridge", "weft-host-local", weftDir, true);
            JsonNode r = run("bridge", refHost, "ADD", "msc1", refPod, refConf).requireOk().json();
            JsonNode w = run("weft-bridge", weftHost, "ADD", "msc1", weftPod, weftConf).requireOk().json();

            List<String> expected = spoofState(refHost, r);
            assertEquals(8, expected.size(), "one table, three chains, four rules: " + expected);
            assertEquals(expected, spoofState(weftHost, w));
            assertTrue(expected.stream().anyMatch(s -> s.contains("\"comment\":\"macspoofchk-msc1-eth0\"") && s.contains("PODMAC")), expected.toString());

            run("bridge", refHost, "DEL", "msc1", refPod, refConf).requireOk();
            run("weft-bridge", weftHost, "DEL", "msc1", weftPod, weftConf).requireOk();
            assertEquals(spoofState(refHost, null), spoofState(weftHost, null), "after DEL");
            assertEquals(List.of(), leftovers(weftHost));
        }
    }

    @Test
    void eachPluginsDelRemovesWhatTheOthersAddMade() {
        try (TestNetns host = TestNetns.create("node"); TestNetns a = TestNetns.create("pa"); TestNetns b = TestNetns.create("pb")) {
            run("bridge", host, "ADD", "x1", a, ref()).requireOk();
            assertFalse(leftovers(host).isEmpty());
            run("weft-bridge", host, "DEL", "x1", a, weft(true)).requireOk();
            assertEquals(List.of(), leftovers(host), "we removed the reference's chains and rule");

            run("weft-bridge", host, "ADD", "x2", b, weft(true)).requireOk();
            assertEquals(4, leftovers(host).stream().filter(s -> s.startsWith("rule ")).count(), leftovers(host).toString());
            run("bridge", host, "DEL", "x2", b, ref()).requireOk();
            assertEquals(List.of(), leftovers(host), "the reference removed ours");
        }
    }

    @Test
    void delIsIdempotentAndCleansUpWithoutTheNetns() {
        try (TestNetns host = TestNetns.create("node"); TestNetns a = TestNetns.create("pa"); TestNetns b = TestNetns.create("pb")) {
            run("weft-bridge", host, "ADD", "d1", a, weft(true)).requireOk();
            run("weft-bridge", host, "ADD", "d2", b, weft(true)).requireOk();
            run("weft-bridge", host, "DEL", "d1", a, weft(true)).requireOk();
            run("weft-bridge", host, "DEL", "d1", a, weft(true)).requireOk();
            assertTrue(leftovers(host).stream().noneMatch(s -> s.contains("d1-eth0")), leftovers(host).toString());
            assertTrue(leftovers(host).stream().anyMatch(s -> s.contains("d2-eth0")), "the other pod's rules stay");

            // The runtime lost the netns: DEL with an empty CNI_NETNS still removes the rules.
            Cni.plugin("weft-bridge").in(host.name()).command("DEL").containerId("d2").ifname("eth0").netns("")
                    .config(weft(true)).run().requireOk();
            assertEquals(List.of(), leftovers(host));
            Cni.plugin("weft-bridge").in(host.name()).command("DEL").containerId("d2").ifname("eth0").netns("")
                    .config(weft(true)).run().requireOk();
        }
    }

    /**
     * A pod that changes its MAC is cut off at the bridge's door: its frames are dropped before the
     * bridge learns the forged address (no FDB entry), while a pod without the check on the same
     * bridge can do the same thing and is heard. Restoring the real MAC restores traffic.
     */
    @Test
    void framesWithAForgedSourceMacAreDroppedWhileNormalTrafficFlows() {
        String forgedA = "02:00:5e:10:00:0a";
        String forgedB = "02:00:5e:10:00:0b";
        try (TestNetns host = TestNetns.create("node"); TestNetns a = TestNetns.create("pa"); TestNetns b = TestNetns.create("pb")) {
            JsonNode ra = run("weft-bridge", host, "ADD", "fa", a, weft(true)).requireOk().json();
            JsonNode rb = run("weft-bridge", host, "ADD", "fb", b, weft(false)).requireOk().json();
            String ipB = rb.path("ips").get(0).path("address").asText().split("/")[0];
            String realA = ra.path("interfaces").get(2).path("mac").asText();
            assertTrue(a.tryExec("ping", "-c", "1", "-W", "2", ipB).ok(), "checked pod with its own MAC reaches the other pod");
            assertTrue(a.tryExec("ping", "-c", "1", "-W", "2", "10.213.40.1").ok(), "and the gateway");

            forge(a, forgedA, host, b);
            assertFalse(a.tryExec("ping", "-c", "2", "-W", "1", "10.213.40.1").ok(), "forged MAC must not get through");
            assertTrue(fdbMacs(host).stream().noneMatch(forgedA::equals), "the bridge never saw the forged MAC: " + fdbMacs(host));

            forge(b, forgedB, host, a);
            assertTrue(b.tryExec("ping", "-c", "1", "-W", "2", "10.213.40.1").ok(), "an unchecked pod with a changed MAC is heard");
            assertTrue(fdbMacs(host).contains(forgedB), "and the bridge learned it: " + fdbMacs(host));

            forge(a, realA, host, b);
            assertTrue(a.tryExec("ping", "-c", "1", "-W", "2", "10.213.40.1").ok(), "the real MAC works again");

            run("weft-bridge", host, "DEL", "fa", a, weft(true)).requireOk();
            run("weft-bridge", host, "DEL", "fb", b, weft(false)).requireOk();
            assertEquals(List.of(), leftovers(host));
        }
    }

    /** Sets the pod's MAC and forgets every neighbour entry that could hide a change. */
    private static void forge(TestNetns pod, String mac, TestNetns host, TestNetns other) {
        pod.ip("link", "set", "eth0", "address", mac);
        for (TestNetns ns : List.of(pod, host, other)) {
            ns.ip("neigh", "flush", "all");
        }
    }

    private static List<String> fdbMacs(TestNetns host) {
        List<String> macs = new ArrayList<>();
        for (var l : KernelState.links(host.name())) {
            if (l.ifname().startsWith("veth")) {
                KernelState.fdb(host.name(), l.ifname()).forEach(f -> macs.add(f.mac()));
            }
        }
        return macs;
    }

    /** A failure after the rules went in (a bridge address conflict) takes them out again. */
    @Test
    void failedAddLeavesNoRulesBehind() throws IOException {
        try (TestNetns host = TestNetns.create("node"); TestNetns a = TestNetns.create("pa")) {
            host.ip("link", "add", "wt-msc0", "type", "bridge");
            // Same subnet, other address: still refused (another subnet's stale gateway would be replaced).
            host.ip("addr", "add", "10.213.40.77/24", "dev", "wt-msc0");
            Cni.Outcome o = run("weft-bridge", host, "ADD", "f1", a, weft(true));
            assertFalse(o.ok(), o.toString());
            assertTrue(o.msg().contains("already has an IP address different from"), o.toString());
            assertEquals(List.of(), leftovers(host));
            assertEquals(List.of("lo"), KernelState.links(a.name()).stream().map(l -> l.ifname()).toList());
            assertTrue(KernelState.links(host.name()).stream().noneMatch(l -> l.ifname().startsWith("veth")));
            try (var s = Files.list(dataDir.resolve("wtmsc"))) {
                assertTrue(s.map(p -> p.getFileName().toString()).noneMatch(n -> n.startsWith("10.")), "no reservation left");
            }
        }
    }
}
