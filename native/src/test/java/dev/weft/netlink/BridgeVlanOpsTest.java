package dev.weft.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.libc.Errno;
import dev.weft.netns.NetNs;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import dev.weft.testkit.Tools;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bridge VLAN requests. The kernel may lack VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING), as the
 * development machines do, so the requests are first proven byte for byte against what iproute2's
 * {@code bridge vlan} sends for the same command (captured with strace); then the kernel's answer
 * is cross-checked with {@code bridge -j vlan show} whichever way it goes.
 */
@KernelTest
class BridgeVlanOpsTest {
    private TestNetns ns;
    private NetNs handle;
    private RtNetlink nl;
    private int port;
    private int bridge;

    @BeforeEach
    void setUp() {
        ns = TestNetns.create("vl");
        handle = NetNs.open(ns.path().toString());
        nl = RtNetlink.open(handle);
        nl.create(new LinkSpec.Bridge("wt-vbr"));
        nl.create(new LinkSpec.Veth("wt-va", "wt-vb"));
        bridge = nl.requireLink("wt-vbr").index();
        port = nl.requireLink("wt-va").index();
        nl.setMaster(port, bridge);
    }

    @AfterEach
    void tearDown() {
        nl.close();
        handle.close();
        ns.close();
    }

    @Test
    void requestsAreWhatIproute2Sends() throws IOException {
        int pu = Rt.BRIDGE_VLAN_INFO_PVID | Rt.BRIDGE_VLAN_INFO_UNTAGGED;
        assertSameRequest(Rt.RTM_SETLINK, w -> BridgeVlanCodec.write(w, port, 7, 7, pu, false),
                "vlan", "add", "dev", "wt-va", "vid", "7", "pvid", "untagged", "master");
        assertSameRequest(Rt.RTM_SETLINK, w -> BridgeVlanCodec.write(w, port, 10, 20, 0, false),
                "vlan", "add", "dev", "wt-va", "vid", "10-20", "master");
        assertSameRequest(Rt.RTM_SETLINK, w -> BridgeVlanCodec.write(w, port, 1, 4094, Rt.BRIDGE_VLAN_INFO_UNTAGGED, false),
                "vlan", "add", "dev", "wt-va", "vid", "1-4094", "untagged", "master");
        assertSameRequest(Rt.RTM_DELLINK, w -> BridgeVlanCodec.write(w, port, 1, 1, 0, false),
                "vlan", "del", "dev", "wt-va", "vid", "1", "master");
        assertSameRequest(Rt.RTM_SETLINK, w -> BridgeVlanCodec.write(w, bridge, 30, 30, 0, true),
                "vlan", "add", "dev", "wt-vbr", "vid", "30", "self");
    }

    @Test
    void vlanIdsOutsideOneTo4094AreRefusedBeforeAnythingIsSent() {
        assertThrows(IllegalArgumentException.class, () -> nl.addBridgeVlan(port, 0, true, true, false));
        assertThrows(IllegalArgumentException.class, () -> nl.addBridgeVlanRange(port, 5, 4095, false, false));
    }

    /**
     * With VLAN filtering in the kernel, what Weft adds is what {@code bridge vlan show} lists and
     * what {@link RtNetlink#bridgeVlans} reads; without it, the kernel refuses Weft and iproute2 alike.
     */
    @Test
    void kernelStateMatchesTheBridgeTool() {
        try {
            nl.addBridgeVlan(port, 7, true, true, false);
        } catch (NetlinkException e) {
            assertEquals(Errno.EOPNOTSUPP, e.errno(), e.getMessage());
            Cmd.Result r = ns.tryExec("bridge", "vlan", "add", "dev", "wt-va", "vid", "7", "pvid", "untagged", "master");
            assertFalse(r.ok(), "iproute2 succeeded where Weft got EOPNOTSUPP: " + r);
            assertTrue(r.stderr().contains("Operation not supported"), r.toString());
            assertEquals(List.of(), nl.bridgeVlans(port));
            assertEquals(List.of(), toolVlans());
            System.err.println("BridgeVlanOpsTest: this kernel has no bridge VLAN filtering; only the refusal was checked");
            return;
        }
        nl.addBridgeVlanRange(port, 100, 103, false, false);
        nl.deleteBridgeVlan(port, 101, false);
        List<BridgeVlan> expected = new ArrayList<>(List.of(new BridgeVlan(1, false, true), new BridgeVlan(7, true, true),
                new BridgeVlan(100, false, false), new BridgeVlan(102, false, false), new BridgeVlan(103, false, false)));
        assertEquals(expected, toolVlans());
        assertEquals(expected, nl.bridgeVlans(port));
    }

    /** {@code bridge -j vlan show dev wt-va}, one entry per VID (ranges expanded). */
    private List<BridgeVlan> toolVlans() {
        List<BridgeVlan> out = new ArrayList<>();
        for (JsonNode dev : KernelState.parse(ns.bridge("-j", "vlan", "show", "dev", "wt-va"))) {
            for (JsonNode v : dev.path("vlans")) {
                java.util.Set<String> flags = new java.util.HashSet<>();
                v.path("flags").forEach(f -> flags.add(f.asText()));
                int end = v.path("vlanEnd").asInt(v.path("vlan").asInt());
                for (int vid = v.path("vlan").asInt(); vid <= end; vid++) {
                    out.add(new BridgeVlan(vid, flags.contains("PVID"), flags.contains("Egress Untagged")));
                }
            }
        }
        return out;
    }

    /** Runs {@code bridge <args>} under strace and compares its last netlink request with ours. */
    private void assertSameRequest(int type, Consumer<MessageWriter> body, String... bridgeArgs) throws IOException {
        Path trace = Files.createTempFile("wt-strace", ".txt");
        try {
            List<String> argv = new ArrayList<>(List.of(Tools.which("strace"), "-e", "trace=sendmsg", "-e", "write=all",
                    "-o", trace.toString(), "bridge", "-n", ns.name()));
            argv.addAll(List.of(bridgeArgs));
            Cmd.tryRun(argv); // the kernel may refuse; what was sent is what counts
            byte[] theirs = lastSentMessage(Files.readAllLines(trace));
            MessageWriter w = new MessageWriter(256);
            w.begin(type, Rt.NLM_F_REQUEST | Rt.NLM_F_ACK, 0);
            body.accept(w);
            w.end();
            ByteBuffer b = w.flip();
            byte[] ours = new byte[b.remaining()];
            b.get(ours);
            zeroSeq(theirs);
            assertEquals(HexFormat.of().formatHex(theirs), HexFormat.of().formatHex(ours), "bridge " + String.join(" ", bridgeArgs));
        } finally {
            Files.deleteIfExists(trace);
        }
    }

    /** The hex dump strace prints under the last sendmsg line ("| 00000  3c 00 00 00 ...  |"). */
    private static byte[] lastSentMessage(List<String> lines) {
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("sendmsg(")) {
                start = i;
            }
        }
        assertTrue(start >= 0, "strace saw no sendmsg: " + lines);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = start + 1; i < lines.size() && !lines.get(i).contains("sendmsg("); i++) {
            String l = lines.get(i).strip();
            if (!l.startsWith("| ")) {
                continue;
            }
            String hex = l.substring(2, Math.min(l.length(), 58)).substring(7).strip();
            for (String h : hex.split("\\s+")) {
                if (!h.isEmpty()) {
                    out.write(Integer.parseInt(h, 16));
                }
            }
        }
        return out.toByteArray();
    }

    private static void zeroSeq(byte[] message) {
        for (int i = 8; i < 12 && i < message.length; i++) {
            message[i] = 0;
        }
    }
}
