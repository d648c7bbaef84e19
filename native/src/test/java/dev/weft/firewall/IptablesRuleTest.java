package dev.weft.firewall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading and writing rule lines where the two former parsers disagreed, without a kernel. */
class IptablesRuleTest {

    @Test
    void tokenizesAsIptablesRestore() {
        assertEquals(List.of("-A", "X", "--comment", "a \"b\" c\\d", "-j", "ACCEPT"),
                IptablesRule.tokenize("-A X --comment \"a \\\"b\\\" c\\\\d\" -j ACCEPT"));
        // Outside quotes a backslash is an ordinary character; "" is an empty argument.
        assertEquals(List.of("a\\b", "", "c"), IptablesRule.tokenize("a\\b \"\" c"));
        // A closing quote ends the argument (restore's add_param_to_argv); an opening one does not.
        assertEquals(List.of("abc", "def"), IptablesRule.tokenize("\"abc\"def"));
        assertEquals(List.of("abcdef"), IptablesRule.tokenize("abc\"def\""));
        assertEquals(List.of("a", "b"), IptablesRule.tokenize("  a\t\tb  "));
    }

    @Test
    void rendersCommentsAsSaveDoes() {
        assertEquals("-A X -m comment --comment plain_-1 -j RETURN",
                IptablesRule.of("nat", "X", "-m", "comment", "--comment", "plain_-1", "-j", "RETURN").saveLine());
        assertEquals("-A X -m comment --comment \"it\\'s \\\"q\\\" \\\\\" -j RETURN",
                IptablesRule.of("nat", "X", "-m", "comment", "--comment", "it's \"q\" \\", "-j", "RETURN").saveLine());
        assertEquals("-A X -m comment --comment \"\" -j RETURN",
                IptablesRule.of("nat", "X", "-m", "comment", "--comment", "", "-j", "RETURN").saveLine());
        assertEquals("-D X -s 10.0.0.0/8 -j ACCEPT", IptablesRule.of("nat", "X", "-s", "10.0.0.0/8", "-j", "ACCEPT").line("-D"));
    }

    @Test
    void parsesSaveLinesWithAndWithoutCounters() {
        IptablesRule r = IptablesRule.parse("nat", "[12:720] -A POSTROUTING -s 10.1.0.5/32 -g CNI-x");
        assertEquals(IptablesRule.of("nat", "POSTROUTING", "-s", "10.1.0.5/32", "-g", "CNI-x"), r);
        assertEquals("CNI-x", r.target());
        assertNull(IptablesRule.parse("nat", ":POSTROUTING ACCEPT [0:0]"));
        assertNull(IptablesRule.parse("nat", "-A X"));
        assertNull(IptablesRule.of("nat", "X", "-s", "10.0.0.1").target());
    }

    @Test
    void canonicalFormIsSaveOrder() {
        IptablesRule written = IptablesRule.of("nat", "POSTROUTING", "--jump", "CNI-x", "--source", "10.1.0.5",
                "--match", "comment", "--comment", "c d");
        assertEquals(IptablesRule.of("nat", "POSTROUTING", "-s", "10.1.0.5/32", "-m", "comment", "--comment", "c d",
                "-j", "CNI-x"), written.canonical());
        assertTrue(written.sameRuleAs(IptablesRule.parse("nat",
                "-A POSTROUTING -s 10.1.0.5/32 -m comment --comment \"c d\" -j CNI-x")));
        // Host bits are masked as the kernel does; a negation stays with its option.
        assertEquals(IptablesRule.of("nat", "X", "!", "-d", "10.1.0.0/16", "-j", "RETURN"),
                IptablesRule.of("nat", "X", "-j", "RETURN", "!", "-d", "10.1.2.3/16").canonical());
        // Another table or chain is another rule.
        assertTrue(!IptablesRule.of("nat", "X", "-j", "RETURN").sameRuleAs(IptablesRule.of("filter", "X", "-j", "RETURN")));
    }

    @Test
    void aCutDumpIsRefusedAnEmptyOneIsNoTable() {
        assertThrows(FirewallException.class, () -> IptablesSave.parse("*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j X\n"));
        assertThrows(FirewallException.class, () -> IptablesSave.parse("*nat\n*filter\nCOMMIT\n"));
        assertEquals(List.of(), IptablesSave.parse("").table("nat").rules());
        assertEquals(List.of(), IptablesSave.parse("# Warning: iptables-legacy tables present\n").tables().keySet().stream().toList());
    }

    @Test
    void versionsAreReadWithoutARegex() {
        assertTrue(Iptables.atLeast(new dev.weft.exec.CommandRunner.Result(List.of("x"), 0, "iptables v1.8.9 (nf_tables)", ""), 1, 6, 2));
        assertTrue(!Iptables.atLeast(new dev.weft.exec.CommandRunner.Result(List.of("x"), 0, "iptables v1.6.1", ""), 1, 6, 2));
        assertTrue(!Iptables.atLeast(new dev.weft.exec.CommandRunner.Result(List.of("x"), 0, "version unknown v1.x", ""), 1, 6, 2));
    }
}
