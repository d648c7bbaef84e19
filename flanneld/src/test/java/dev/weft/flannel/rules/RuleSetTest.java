package dev.weft.flannel.rules;

import dev.weft.firewall.IpFamily;
import dev.weft.firewall.IptablesRule;
import static dev.weft.flannel.rules.Expected.C4;
import static dev.weft.flannel.rules.Expected.C6;
import static dev.weft.flannel.rules.Expected.P4;
import static dev.weft.flannel.rules.Expected.P6;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RuleSetTest {

    private static List<String> lines(List<IptablesRule> rules) {
        return rules.stream().map(IptablesRule::saveLine).toList();
    }

    @Test
    void rulesAreFlannelsForBothFamilies() {
        RuleSet s = Expected.dualStack().build();
        assertEquals(Expected.NAT_V4, lines(s.masqRulesFor(IpFamily.IPV4)));
        assertEquals(Expected.FILTER_V4, lines(s.forwardRulesFor(IpFamily.IPV4)));
        assertEquals(Expected.NAT_V6, lines(s.masqRulesFor(IpFamily.IPV6)));
        assertEquals(Expected.FILTER_V6, lines(s.forwardRulesFor(IpFamily.IPV6)));
        assertEquals(10, s.iptablesRulesFor(IpFamily.IPV4).size());
        assertEquals("nat", s.masqRulesFor(IpFamily.IPV4).get(0).table());
        assertEquals("filter", s.forwardRulesFor(IpFamily.IPV6).get(2).table());
    }

    @Test
    void randomFullyCanBeDropped() {
        RuleSet s = Expected.dualStack().randomFully(false).build();
        assertEquals(Expected.withoutRandomFully(Expected.NAT_V4), lines(s.masqRulesFor(IpFamily.IPV4)));
        assertEquals(Expected.withoutRandomFully(Expected.NAT_V6), lines(s.masqRulesFor(IpFamily.IPV6)));
    }

    @Test
    void nftRulesMeanTheSame() {
        RuleSet s = Expected.dualStack().build();
        assertEquals(Expected.NFT_POSTRTG_V4, NftablesRules.masqRulesFor(s, IpFamily.IPV4));
        assertEquals(Expected.NFT_FORWARD_V4, NftablesRules.forwardRulesFor(s, IpFamily.IPV4));
        assertEquals(Expected.NFT_POSTRTG_V6, NftablesRules.masqRulesFor(s, IpFamily.IPV6));
        assertEquals(Expected.NFT_FORWARD_V6, NftablesRules.forwardRulesFor(s, IpFamily.IPV6));
    }

    @Test
    void switchedOffPartsHaveNoRules() {
        RuleSet fwdOnly = RuleSet.builder().ipv4(C4, null).build();
        assertEquals(List.of(), fwdOnly.masqRulesFor(IpFamily.IPV4));
        assertEquals(Expected.FILTER_V4, lines(fwdOnly.forwardRulesFor(IpFamily.IPV4)));
        assertEquals(List.of(), fwdOnly.forwardRulesFor(IpFamily.IPV6));
        assertEquals(List.of(IpFamily.IPV4), fwdOnly.families());

        RuleSet masqOnly = RuleSet.builder().ipv6(C6, P6).ipMasq(true).forwardRules(false).build();
        assertEquals(List.of(IpFamily.IPV6), masqOnly.families());
        assertEquals(List.of(), masqOnly.forwardRulesFor(IpFamily.IPV6));
        assertEquals(Expected.NAT_V6, lines(masqOnly.masqRulesFor(IpFamily.IPV6)));
    }

    @Test
    void hostBitsAreCleared() {
        RuleSet s = RuleSet.builder().ipv4(Cidr.parse("10.244.7.9/16"), Cidr.parse("10.244.3.1/24")).ipMasq(true).build();
        assertEquals(C4, s.network4());
        assertEquals(P4, s.subnet4());
    }

    @Test
    void rejectsInconsistentInput() {
        assertThrows(IllegalArgumentException.class, () -> RuleSet.builder().build());
        assertThrows(IllegalArgumentException.class, () -> RuleSet.builder().ipv4(C6, P6).build());
        assertThrows(IllegalArgumentException.class, () -> RuleSet.builder().ipv4(C4, null).ipMasq(true).build());
        assertThrows(IllegalArgumentException.class, () -> new RuleSet(null, P4, C6, P6, true, true, true));
    }

    @Test
    void staleMasqIsThePreviousFamilyWhoseNetworkOrSubnetChanged() {
        RuleSet previous = Expected.dualStack().randomFully(false).build();
        RuleSet sameNets = Expected.dualStack().build();
        assertEquals(Optional.empty(), RuleSet.staleMasq(previous, sameNets));
        assertEquals(Optional.empty(), RuleSet.staleMasq(null, sameNets));

        RuleSet newSubnet4 = Expected.dualStack().ipv4(C4, Cidr.parse("10.244.9.0/24")).build();
        RuleSet stale = RuleSet.staleMasq(previous, newSubnet4).orElseThrow();
        assertEquals(List.of(IpFamily.IPV4), stale.families());
        assertEquals(P4, stale.subnet4());
        assertTrue(stale.ipMasq());
        assertEquals(List.of(), stale.forwardRulesFor(IpFamily.IPV4));

        RuleSet newNetwork6 = Expected.dualStack().ipv6(Cidr.parse("fd00:20::/48"), Cidr.parse("fd00:20:0:3::/64")).build();
        assertEquals(List.of(IpFamily.IPV6), RuleSet.staleMasq(previous, newNetwork6).orElseThrow().families());

        // a family the current run does not have is not recycled (flannel only recycles configured families)
        RuleSet v4Only = RuleSet.builder().ipv4(C4, P4).ipMasq(true).build();
        assertEquals(Optional.empty(), RuleSet.staleMasq(previous, v4Only));
    }
}
