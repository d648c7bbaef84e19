package dev.weft.flannel.rules;

import dev.weft.firewall.IpFamily;
import dev.weft.exec.CommandRunner;

import static dev.weft.flannel.rules.Expected.C4;
import static dev.weft.flannel.rules.Expected.P4;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.net.Cidr;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.NftRuleset;
import dev.weft.testkit.TestNetns;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@KernelTest
class NftablesRulesTest {
    private static final IpFamily V4 = IpFamily.IPV4;
    private static final IpFamily V6 = IpFamily.IPV6;

    private static NftablesRules rules(TestNetns ns) {
        return new NftablesRules(CommandRunner.inNetns(ns.name()));
    }

    /** Each rule of a chain from {@code nft -j}, rendered in a neutral notation of this test's own. */
    private static List<String> jsonRules(NftRuleset rs, String family, String table, String chain) {
        List<String> out = new ArrayList<>();
        for (JsonNode rule : rs.rules(family, table, chain)) {
            StringBuilder b = new StringBuilder();
            for (JsonNode e : rule.path("expr")) {
                if (e.has("match")) {
                    JsonNode m = e.get("match");
                    b.append(operand(m.get("left"))).append(' ').append(m.path("op").asText()).append(' ')
                            .append(operand(m.get("right"))).append(' ');
                } else if (e.has("masquerade")) {
                    JsonNode flags = e.get("masquerade").path("flags");
                    b.append("masquerade").append(flags.isMissingNode() ? "" : "(" + flags.asText() + ")").append(' ');
                } else if (!e.has("counter")) {
                    b.append(e.fieldNames().next()).append(' ');
                }
            }
            out.add(b.append("#").append(rule.path("comment").asText()).toString());
        }
        return out;
    }

    private static String operand(JsonNode n) {
        if (n.has("payload")) {
            return n.get("payload").path("protocol").asText() + "." + n.get("payload").path("field").asText();
        }
        if (n.has("meta")) {
            return "meta." + n.get("meta").path("key").asText();
        }
        if (n.has("&")) {
            return operand(n.get("&").get(0)) + "&" + operand(n.get("&").get(1));
        }
        if (n.has("prefix")) {
            return n.get("prefix").path("addr").asText() + "/" + n.get("prefix").path("len").asInt();
        }
        return n.asText();
    }

    private static void assertWeftTables(TestNetns ns) {
        NftRuleset rs = Fw.nft(ns.name());
        JsonNode post4 = rs.chain("ip", "weft-ipv4", "postrtg").orElseThrow();
        assertEquals("nat", post4.path("type").asText());
        assertEquals("postrouting", post4.path("hook").asText());
        assertEquals(100, post4.path("prio").asInt());
        assertEquals("accept", post4.path("policy").asText());
        JsonNode fwd6 = rs.chain("ip6", "weft-ipv6", "forward").orElseThrow();
        assertEquals("filter", fwd6.path("type").asText());
        assertEquals("forward", fwd6.path("hook").asText());
        assertEquals(0, fwd6.path("prio").asInt());

        assertEquals(List.of(
                "meta.mark&16384 == 16384 return #weftd masq",
                "ip.saddr == 10.244.3.0/24 ip.daddr == 10.244.0.0/16 return #weftd masq",
                "ip.saddr == 10.244.0.0/16 ip.daddr == 10.244.3.0/24 return #weftd masq",
                "ip.saddr != 10.244.0.0/16 ip.daddr == 10.244.3.0/24 return #weftd masq",
                "ip.saddr == 10.244.0.0/16 ip.daddr != 224.0.0.0/4 masquerade(fully-random) #weftd masq",
                "ip.saddr != 10.244.0.0/16 ip.daddr == 10.244.0.0/16 masquerade(fully-random) #weftd masq"),
                jsonRules(rs, "ip", "weft-ipv4", "postrtg"));
        assertEquals(List.of(
                "ip.saddr == 10.244.0.0/16 accept #weftd forward",
                "ip.daddr == 10.244.0.0/16 accept #weftd forward"),
                jsonRules(rs, "ip", "weft-ipv4", "forward"));
        assertEquals(List.of(
                "meta.mark&16384 == 16384 return #weftd masq",
                "ip6.saddr == fd00:10:244:3::/64 ip6.daddr == fd00:10:244::/48 return #weftd masq",
                "ip6.saddr == fd00:10:244::/48 ip6.daddr == fd00:10:244:3::/64 return #weftd masq",
                "ip6.saddr != fd00:10:244::/48 ip6.daddr == fd00:10:244:3::/64 return #weftd masq",
                "ip6.saddr == fd00:10:244::/48 ip6.daddr != ff00::/8 masquerade(fully-random) #weftd masq",
                "ip6.saddr != fd00:10:244::/48 ip6.daddr == fd00:10:244::/48 masquerade(fully-random) #weftd masq"),
                jsonRules(rs, "ip6", "weft-ipv6", "postrtg"));
        assertEquals(List.of(
                "ip6.saddr == fd00:10:244::/48 accept #weftd forward",
                "ip6.daddr == fd00:10:244::/48 accept #weftd forward"),
                jsonRules(rs, "ip6", "weft-ipv6", "forward"));

        // and the text listing is what we wrote
        assertEquals(Map.of("postrtg", Expected.NFT_POSTRTG_V4, "forward", Expected.NFT_FORWARD_V4), Fw.nftChains(ns.name(), V4));
        assertEquals(Map.of("postrtg", Expected.NFT_POSTRTG_V6, "forward", Expected.NFT_FORWARD_V6), Fw.nftChains(ns.name(), V6));
    }

    @Test
    void installsTheEquivalentRulesForIpv4AndIpv6(TestNetns ns) {
        NftablesRules r = rules(ns);
        assertTrue(r.supportsRandomFully());
        RuleSet set = Expected.dualStack().build();
        assertFalse(r.isComplete(set));

        r.install(set);

        assertWeftTables(ns);
        assertTrue(r.isComplete(set));
        assertEquals(4, Fw.nft(ns.name()).chains(null, null).size(), "no other chains (the probe left nothing)");
    }

    @Test
    void installTwiceLeavesOneCopy(TestNetns ns) {
        RuleSet set = Expected.dualStack().build();
        rules(ns).install(set);
        rules(ns).install(set);
        NftablesRules third = rules(ns);
        assertTrue(third.isComplete(set));
        third.install(set);
        assertWeftTables(ns);
    }

    @Test
    void aMissingRuleOrChainOrTableIsNoticedAndRestored(TestNetns ns) {
        NftablesRules r = rules(ns);
        RuleSet set = Expected.dualStack().build();
        r.install(set);

        deleteRule(ns, V4, "postrtg", 2);
        assertFalse(r.isComplete(set));
        r.install(set);
        assertWeftTables(ns);

        Fw.nftScript(ns.name(), "flush chain ip6 weft-ipv6 forward\n");
        assertFalse(r.isComplete(set));
        r.install(set);
        assertWeftTables(ns);

        Fw.nftScript(ns.name(), "delete table ip weft-ipv4\n");
        assertFalse(r.isComplete(set));
        r.install(set);
        assertWeftTables(ns);

        Fw.nftScript(ns.name(), "add rule ip weft-ipv4 postrtg ip saddr 10.9.0.0/16 return\n");
        assertFalse(r.isComplete(set), "a foreign rule in our chain is drift");
        r.install(set);
        assertWeftTables(ns);
    }

    @Test
    void aChainWithTheWrongHookIsReplaced(TestNetns ns) {
        Fw.nftScript(ns.name(), "add table ip weft-ipv4\n"
                + "add chain ip weft-ipv4 postrtg { type nat hook prerouting priority -100; }\n");
        rules(ns).install(Expected.dualStack().build());
        assertWeftTables(ns);
    }

    @Test
    void switchedOffPartsAreRemoved(TestNetns ns) {
        NftablesRules r = rules(ns);
        r.install(Expected.dualStack().build());
        RuleSet v4NoMasq = RuleSet.builder().ipv4(C4, P4).build();

        r.install(v4NoMasq);

        assertEquals(Map.of("forward", Expected.NFT_FORWARD_V4), Fw.nftChains(ns.name(), V4));
        assertTrue(Fw.nft(ns.name()).table("ip6", "weft-ipv6").isEmpty());
        assertTrue(r.isComplete(v4NoMasq));
    }

    @Test
    void removeStaleDeletesOnlyTheOldMasqueradeRules(TestNetns ns) {
        NftablesRules r = rules(ns);
        RuleSet previous = Expected.dualStack().randomFully(false).build();
        r.install(previous);
        RuleSet current = Expected.dualStack().ipv4(C4, Cidr.parse("10.244.9.0/24")).build();

        r.removeStale(RuleSet.staleMasq(previous, current).orElseThrow());

        Map<String, List<String>> v4 = Fw.nftChains(ns.name(), V4);
        assertEquals(List.of(), v4.get("postrtg"));
        assertEquals(Expected.NFT_FORWARD_V4, v4.get("forward"));
        assertEquals(Expected.withoutRandomFully(Expected.NFT_POSTRTG_V6), Fw.nftChains(ns.name(), V6).get("postrtg"));

        r.install(current);
        assertEquals(Expected.NFT_POSTRTG_V4.stream().map(l -> l.replace("10.244.3.0/24", "10.244.9.0/24")).toList(),
                Fw.nftChains(ns.name(), V4).get("postrtg"));
    }

    @Test
    void cleanUpOfEachModeRemovesOnlyItsOwnObjects(TestNetns ns) {
        CommandRunner run = CommandRunner.inNetns(ns.name());
        RuleSet set = Expected.dualStack().build();
        Fw.nftScript(ns.name(), "add table inet other\nadd chain inet other c { type filter hook forward priority 10; }\n"
                + "add rule inet other c accept\n");
        TrafficRules nft = TrafficRules.Mode.NFTABLES.create(run);
        TrafficRules ipt = TrafficRules.Mode.IPTABLES.create(run);
        nft.install(set);
        ipt.install(set);

        nft.cleanUp();
        NftRuleset rs = Fw.nft(ns.name());
        assertTrue(rs.table("ip", "weft-ipv4").isEmpty());
        assertTrue(rs.table("ip6", "weft-ipv6").isEmpty());
        assertTrue(rs.table("inet", "other").isPresent());
        assertTrue(ipt.isComplete(set), "iptables rules untouched");
        assertEquals(Expected.NAT_V4, Fw.rules(ns.name(), V4, "nat"));

        nft.install(set);
        ipt.cleanUp();
        assertEquals(List.of(), Fw.rules(ns.name(), V4, "nat"));
        assertEquals(List.of(), Fw.rules(ns.name(), V6, "filter"));
        assertTrue(nft.isComplete(set), "nftables rules untouched");
        assertWeftTables(ns);
        assertTrue(Fw.nft(ns.name()).table("inet", "other").isPresent());
        nft.cleanUp();
        nft.cleanUp(); // nothing there: fine
    }

    @Test
    void selectCleansUpTheOtherMode(TestNetns ns) {
        CommandRunner run = CommandRunner.inNetns(ns.name());
        RuleSet set = Expected.dualStack().build();
        new IptablesRules(run).install(set);

        TrafficRules chosen = TrafficRules.select(true, run);

        assertTrue(chosen instanceof NftablesRules);
        assertEquals(List.of(), Fw.rules(ns.name(), V4, "nat"));
        chosen.install(set);
        TrafficRules back = TrafficRules.select(false, run);
        assertTrue(back instanceof IptablesRules);
        assertTrue(Fw.nft(ns.name()).table("ip", "weft-ipv4").isEmpty());
    }

    private static void deleteRule(TestNetns ns, IpFamily f, String chain, int index) {
        List<String> lines = Cmd.of("nft", "-a", "list", "chain", f.nftFamily(), NftablesRules.tableName(f), chain).netns(ns.name())
                .run().lines().stream().filter(l -> l.contains("comment \"weftd")).toList();
        String line = lines.get(index);
        String handle = line.substring(line.lastIndexOf("# handle ") + 9).strip();
        Fw.nftScript(ns.name(), "delete rule " + f.nftFamily() + " " + NftablesRules.tableName(f) + " " + chain + " handle " + handle + "\n");
    }
}
