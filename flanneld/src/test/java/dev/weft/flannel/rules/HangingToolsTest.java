package dev.weft.flannel.rules;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.exec.HangingTools;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wedged firewall tools (fake ones that never exit): each call fails with the tool named, the keeper
 * keeps retrying at its period instead of hanging, and no process is left behind.
 */
class HangingToolsTest {
    private static final Duration RESYNC = Duration.ofMillis(200);
    /** Bound for three attempts of a few killed commands each, on a loaded machine. */
    private static final Duration RETRIES = Duration.ofSeconds(60);

    /** Every fake tool of the test, behind a runner with a short timeout. */
    private static HangingTools hanging(Path dir) {
        return HangingTools.in(dir, Duration.ofMillis(300), "iptables", "iptables-save", "iptables-restore", "ip6tables",
                "ip6tables-save", "ip6tables-restore", "nft");
    }

    @Test
    void iptablesCallsFailNamingTheToolAndTheKeeperRetries(@TempDir Path dir) {
        HangingTools tools = hanging(dir);
        RuleSet set = Expected.dualStack().build();
        RulesException e = assertThrows(RulesException.class, () -> new IptablesRules(tools.runner()).install(set));
        assertTrue(e.getMessage().contains("iptables") && e.getMessage().contains("timed out"), e.getMessage());
        keeperRetries(new IptablesRules(tools.runner()), set);
        tools.assertNoneLeft();
    }

    @Test
    void nftablesCallsFailNamingTheToolAndTheKeeperRetries(@TempDir Path dir) {
        HangingTools tools = hanging(dir);
        RuleSet set = Expected.dualStack().build();
        RulesException e = assertThrows(RulesException.class, () -> new NftablesRules(tools.runner()).cleanUp());
        assertTrue(e.getMessage().contains("nft") && e.getMessage().contains("timed out"), e.getMessage());
        keeperRetries(new NftablesRules(tools.runner()), set);
        tools.assertNoneLeft();
    }

    private static void keeperRetries(TrafficRules rules, RuleSet set) {
        try (RulesKeeper keeper = RulesKeeper.start(rules, set, RESYNC)) {
            assertFalse(keeper.rulesInPlace(), "the first install failed, and start returned");
            Fw.await(RETRIES, "three installs, each failed by a timeout", () -> keeper.installs() >= 3);
            assertFalse(keeper.rulesInPlace());
        }
    }
}
