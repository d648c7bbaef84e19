package dev.weft.firewall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.exec.CommandRunner;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.TestNetns;
import dev.weft.testkit.KernelTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The nft runner and the text listing reader against real nft, cross-checked with {@code nft -j}. */
@KernelTest
class NftRunnerTest {
    private static final String TABLE = """
            add table inet wt_t
            add set inet wt_t s { type ipv4_addr ; }
            add chain inet wt_t c { type filter hook forward priority 10 ; policy accept ; comment "a chain" ; }
            add chain inet wt_t d
            add rule inet wt_t c ip saddr 10.1.0.0/16 counter accept comment "with spaces, and: punctuation"
            add rule inet wt_t c ip6 daddr != ff00::/8 jump d
            add rule inet wt_t c meta mark & 0x00004000 == 0x00004000 return
            add rule inet wt_t d ip saddr @s drop
            """;

    @Test
    void appliesListsAndFindsHandlesAsNftJsonHasThem(TestNetns ns) {
        Nft nft = new Nft(CommandRunner.inNetns(ns.name()));
        assertTrue(nft.check(TABLE).ok(), "a valid script checks");
        assertTrue(KernelState.nft(ns.name()).table("inet", "wt_t").isEmpty(), "-c applies nothing");
        CommandRunner.Result r = nft.apply(TABLE);
        assertTrue(r.ok(), r.describe());

        CommandRunner.Result listed = nft.command("-a", "list", "table", "inet", "wt_t");
        Map<String, List<NftListing.Rule>> chains = NftListing.parse(listed.stdout());
        assertEquals(List.of("c", "d"), List.copyOf(chains.keySet()), "sets and chain properties are not rules");
        assertEquals(List.of(
                "ip saddr 10.1.0.0/16 counter packets 0 bytes 0 accept comment \"with spaces, and: punctuation\"",
                "ip6 daddr != ff00::/8 jump d",
                "meta mark & 0x00004000 == 0x00004000 return"),
                chains.get("c").stream().map(NftListing.Rule::text).toList());
        for (String chain : List.of("c", "d")) {
            List<Long> fromJson = KernelState.nft(ns.name()).rules("inet", "wt_t", chain).stream()
                    .map(j -> j.path("handle").asLong()).toList();
            assertEquals(fromJson, chains.get(chain).stream().map(NftListing.Rule::handle).toList(), chain);
        }
        JsonNode comment = KernelState.nft(ns.name()).rules("inet", "wt_t", "c").get(0).path("comment");
        assertEquals("with spaces, and: punctuation", comment.asText());

        // Without -a there are no handles, and the texts are the same.
        Map<String, List<String>> plain = NftListing.ruleTexts(nft.command("list", "table", "inet", "wt_t").stdout());
        assertEquals(chains.get("c").stream().map(NftListing.Rule::text).toList(), plain.get("c"));
        assertEquals(-1, NftListing.parse(nft.command("list", "table", "inet", "wt_t").stdout()).get("d").get(0).handle());

        // A transaction is all or nothing.
        long handle = chains.get("c").get(1).handle();
        CommandRunner.Result bad = nft.apply("delete rule inet wt_t c handle " + handle + "\nadd rule inet wt_t nope accept\n");
        assertFalse(bad.ok());
        assertEquals(3, KernelState.nft(ns.name()).rules("inet", "wt_t", "c").size());
    }

    @Test
    void aMissingChainIsToldApartFromOtherFailures(TestNetns ns) {
        Nft nft = new Nft(CommandRunner.inNetns(ns.name()));
        CommandRunner.Result missing = nft.command("-j", "list", "chain", "inet", "wt_none", "c");
        assertTrue(Nft.missing(missing), missing.describe());
        CommandRunner.Result syntax = nft.apply("add tabel inet wt_t\n");
        assertFalse(syntax.ok());
        assertFalse(Nft.missing(syntax), syntax.describe());
    }
}
