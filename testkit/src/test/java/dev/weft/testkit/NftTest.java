package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@KernelTest
class NftTest {

    @Test
    void tableChainRuleAndSetReadBack(TestNetns ns) {
        assertTrue(KernelState.nft(ns.name()).isEmpty(), "fresh namespace has no ruleset");
        ns.nft("""
                table inet wt_test {
                    set peers {
                        type ipv4_addr
                        elements = { 10.1.0.1, 10.1.0.2 }
                    }
                    chain input {
                        type filter hook input priority 0; policy accept;
                        tcp dport 22 counter accept
                        ip saddr @peers counter drop
                    }
                    chain wt_fwd {
                    }
                }
                """);
        JsonNode root = KernelState.nftRuleset(ns.name());
        assertTrue(root.path("nftables").isArray());
        assertTrue(root.path("nftables").get(0).has("metainfo"));

        NftRuleset rs = KernelState.nft(ns.name());
        JsonNode table = rs.table("inet", "wt_test").orElseThrow();
        assertEquals("wt_test", table.path("name").asText());
        assertTrue(rs.table("ip", "wt_test").isEmpty());

        JsonNode input = rs.chain("inet", "wt_test", "input").orElseThrow();
        assertEquals("filter", input.path("type").asText());
        assertEquals("input", input.path("hook").asText());
        assertEquals(0, input.path("prio").asInt());
        assertEquals("accept", input.path("policy").asText());
        assertEquals(2, rs.chains("inet", "wt_test").size());

        List<JsonNode> rules = rs.rules("inet", "wt_test", "input");
        assertEquals(2, rules.size());
        JsonNode match = rules.get(0).path("expr").get(0).path("match");
        assertEquals("tcp", match.path("left").path("payload").path("protocol").asText());
        assertEquals(22, match.path("right").asInt());
        assertTrue(rules.get(0).path("expr").get(2).has("accept"));
        assertTrue(rs.rules("inet", "wt_test", "wt_fwd").isEmpty());

        JsonNode set = rs.set("inet", "wt_test", "peers").orElseThrow();
        assertEquals("ipv4_addr", set.path("type").asText());
        assertEquals(2, set.path("elem").size());

        // and it really is per namespace
        ns.nft("delete table inet wt_test\n");
        assertTrue(KernelState.nft(ns.name()).isEmpty());
    }
}
