package dev.weft.cni.masq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.cni.spec.CniError;
import dev.weft.net.Cidr;
import dev.weft.exec.HangingTools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wedged firewall tools (fake ones that never exit): every masquerade call returns a CNI error that
 * names the tool, instead of hanging the runtime's ADD/DEL, and leaves no process behind.
 */
class HangingToolsTest {
    private static final List<Cidr> ADDRS = List.of(Cidr.parse("10.1.0.5/24"));

    /** Every fake tool of the test, behind a runner with a short timeout. */
    private static HangingTools hanging(Path dir) {
        return HangingTools.in(dir, Duration.ofMillis(500), "iptables-save", "iptables-restore", "ip6tables-save",
                "ip6tables-restore", "nft");
    }

    private static void assertTimedOut(CniError e, String tool) {
        assertEquals(CniError.INTERNAL, e.code());
        assertTrue(e.details().contains(tool) && e.details().contains("timed out"), e.getMessage() + ": " + e.details());
    }

    @Test
    void iptablesSetupTeardownAndGcReturnErrors(@TempDir Path dir) {
        HangingTools tools = hanging(dir);
        assertTimedOut(assertThrows(CniError.class,
                () -> Masquerade.forBackend("iptables", tools.runner()).setup("wtnet", "c1", "eth0", ADDRS)), "iptables-save");
        // Teardown sweeps both backends; a hanging tool is a failure, not "not installed".
        CniError e = assertThrows(CniError.class,
                () -> Masquerade.forBackend("iptables", tools.runner()).teardown("wtnet", "c1", "eth0", ADDRS));
        assertTrue(e.getMessage().contains("iptables-save") && e.getMessage().contains("nft"), e.getMessage());
        GcResult gc = Masquerade.forBackend("iptables", tools.runner()).gc("wtnet", List.of());
        assertEquals(3, gc.errors().size(), gc.errors().toString());
        assertTrue(gc.errors().stream().allMatch(m -> m.contains("timed out")), gc.errors().toString());
        tools.assertNoneLeft();
    }

    @Test
    void nftablesSetupReturnsAnError(@TempDir Path dir) {
        HangingTools tools = hanging(dir);
        assertTimedOut(assertThrows(CniError.class,
                () -> Masquerade.forBackend("nftables", tools.runner()).setup("wtnet", "c1", "eth0", ADDRS)), "nft");
        tools.assertNoneLeft();
    }
}
