package dev.weft.cni.masq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Names, comments and hashes against values the reference itself produced. */
class AttachmentTagsTest {

    @Test
    void chainNamesMatchTheReference() {
        // pkg/utils/utils_test.go, and the chain /usr/lib/cni/bridge 1.1.1 created for wtnet/ctr1.
        assertEquals("CNI-2bbe0c48b91a7d1b8a6753a8", AttachmentTags.iptablesChain("test", "1234"));
        assertEquals("CNI-374f33fe84ab0ed84dcdebe3",
                AttachmentTags.iptablesChain("testalongnamethatdoesnotmakesense", "1234"));
        assertEquals("CNI-c9ff021a4f09cf45809e0800", AttachmentTags.iptablesChain("wtnet", "ctr1"));
        assertEquals(28, AttachmentTags.iptablesChain("x", "y").length());
    }

    @Test
    void iptablesCommentUsesGoQuoting() {
        assertEquals("name: \"wtnet\" id: \"ctr1\"", AttachmentTags.iptablesComment("wtnet", "ctr1"));
        assertEquals("\"a\\\"b\\\\c\\n\\t\\x01\\x7f\"", GoQuote.quote("a\"b\\c\n\t\u0001\u007f"));
        assertEquals("\"caf\u00e9 \\u00a0\"", GoQuote.quote("caf\u00e9 \u00a0"));
        assertEquals("\"\\U000e0001\"", GoQuote.quote(new String(Character.toChars(0xe0001))));
    }

    @Test
    void iptablesCommentReadsBack() {
        for (String net : new String[] {"wtnet", "we\"ird\\net", "t\u00e9st\n"}) {
            AttachmentTags.Owner o = AttachmentTags.parseIptablesComment(AttachmentTags.iptablesComment(net, "c-1.x"));
            assertEquals(new AttachmentTags.Owner(net, "c-1.x"), o);
        }
        assertNull(AttachmentTags.parseIptablesComment("dnat name: \"wtnet\" id: \"c1\""));
        assertNull(AttachmentTags.parseIptablesComment("name: \"wtnet\" id: \"c1\" extra"));
        assertNull(AttachmentTags.parseIptablesComment("name: \"wtnet\""));
        assertNull(AttachmentTags.parseIptablesComment(null));
    }

    @Test
    void nftHashesMatchTheReference() {
        // Expected comments of pkg/ip/ipmasq_nftables_linux_test.go.
        assertEquals("6fd94d501e58f0aa-287fc69eff0574a2, net: unit-test, if: eth0, id: one",
                AttachmentTags.nftComment("unit-test", "eth0", "one"));
        assertEquals("6fd94d501e58f0aa-d750b2c8f0f25d5f", AttachmentTags.nftInstanceHash("unit-test", "eth0", "two"));
        assertEquals("82783ef24bdc7036-acb19d111858e348, net: alternate, if: net1, id: three",
                AttachmentTags.nftComment("alternate", "net1", "three"));
    }

    @Test
    void nftCommentIsCutTo128BytesAndLosesQuotes() {
        String id = "f".repeat(64);
        String c = AttachmentTags.nftComment("a-rather-long-network-name", "eth0", id);
        assertEquals(128, c.length());
        assertTrue(c.startsWith(AttachmentTags.nftInstanceHash("a-rather-long-network-name", "eth0", id) + ", net: "));
        assertEquals(AttachmentTags.nftInstanceHash("q\"n", "eth0", "c") + ", net: qn, if: eth0, id: c",
                AttachmentTags.nftComment("q\"n", "eth0", "c"));
        assertEquals("ab", AttachmentTags.truncateUtf8("ab\u00e9", 3));
    }
}
