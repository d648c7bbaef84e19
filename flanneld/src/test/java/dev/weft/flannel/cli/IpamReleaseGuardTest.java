package dev.weft.flannel.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ipam.IpamException;
import dev.weft.ipam.blocks.AddressRelease;
import dev.weft.ipam.blocks.AllocationAttribute;
import dev.weft.ipam.blocks.Problem;
import dev.weft.net.IpAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What weftctl ipam release refuses, decided on the holder as read (no etcd). */
class IpamReleaseGuardTest {
    private static final Path DIR = Path.of("/var/lib/cni/results");
    private static final CniCache.Pod WEB = new CniCache.Pod(DIR.resolve("net-c1-eth0"), "net", "c1", "eth0", "default", "web",
            Set.of(IpAddress.parse("10.9.0.1")));
    private static final CniCache.Pods PODS = new CniCache.Pods(DIR, true, List.of(WEB), List.of());

    private static AddressRelease.Holder held(String handle, String node) {
        return new AddressRelease.Holder(IpAddress.parse("10.9.0.1"), "/p/assignment/ipv4/block/10.9.0.0-26", handle,
                new AllocationAttribute(handle, Map.of("node", node)));
    }

    private static String refusal(AddressRelease.Holder h, CniCache.Pods pods, Set<String> journaled) {
        return assertThrows(IpamException.class, () -> IpamReleaseCommand.guard(h, "node-a", pods, journaled)).getMessage();
    }

    @Test
    void aLivePodsAddressIsRefusedNamingThePod() {
        String m = refusal(held("net.c1", "node-a"), PODS, Set.of());
        assertTrue(m.contains("in use by pod default/web (container c1), interface eth0 on this node node-a"), m);
    }

    @Test
    void theReserveAndJournaledPodsAreRefused() {
        assertTrue(refusal(held("weftd-reserve.node-a.3", "node-a"), PODS, Set.of()).contains("weftd's reserve"));
        assertTrue(refusal(held("net.off", "node-a"), PODS, Set.of("net.off")).contains("has not replayed yet"));
    }

    @Test
    void thisNodesAddressNeedsEveryPodKnown() {
        CniCache.Pods missing = new CniCache.Pods(DIR, false, List.of(), List.of());
        CniCache.Pods unreadable = new CniCache.Pods(DIR, true, List.of(), List.of(
                new Problem(Problem.Kind.UNREADABLE_POD_RECORD, DIR.resolve("x").toString(), "not JSON")));
        assertTrue(refusal(held("net.gone", "node-a"), missing, Set.of()).contains("does not exist"));
        assertTrue(refusal(held("net.gone", "node-a"), unreadable, Set.of()).contains("1 unreadable file(s)"));
        // another node's pods are not this node's to know: its orphan may go
        assertDoesNotThrow(() -> IpamReleaseCommand.guard(held("net.gone", "node-b"), "node-a", missing, Set.of()));
        assertDoesNotThrow(() -> IpamReleaseCommand.guard(held("net.gone", "node-a"), "node-a", PODS, Set.of()));
        assertDoesNotThrow(() -> IpamReleaseCommand.guard(held(null, "node-a"), "node-a", PODS, Set.of()));
    }
}
