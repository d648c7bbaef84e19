package dev.weft.flannel.rules;

import dev.weft.net.Cidr;
import java.util.List;

/**
 * flannel's rules (spec flannel.md §4.3, e2e/rules.go) written out by hand, with FLANNEL- renamed
 * WEFT- and the comments naming weftd: what the kernel must hold, independent of the code under test.
 */
final class Expected {
    private Expected() {}

    static final Cidr C4 = Cidr.parse("10.244.0.0/16");
    static final Cidr P4 = Cidr.parse("10.244.3.0/24");
    static final Cidr C6 = Cidr.parse("fd00:10:244::/48");
    static final Cidr P6 = Cidr.parse("fd00:10:244:3::/64");

    static RuleSet.Builder dualStack() {
        return RuleSet.builder().ipv4(C4, P4).ipv6(C6, P6).ipMasq(true);
    }

    static final List<String> NAT_V4 = List.of(
            "-A POSTROUTING -m comment --comment \"weftd masq\" -j WEFT-POSTRTG",
            "-A WEFT-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment \"weftd masq\" -j RETURN",
            "-A WEFT-POSTRTG -s 10.244.3.0/24 -d 10.244.0.0/16 -m comment --comment \"weftd masq\" -j RETURN",
            "-A WEFT-POSTRTG -s 10.244.0.0/16 -d 10.244.3.0/24 -m comment --comment \"weftd masq\" -j RETURN",
            "-A WEFT-POSTRTG ! -s 10.244.0.0/16 -d 10.244.3.0/24 -m comment --comment \"weftd masq\" -j RETURN",
            "-A WEFT-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment \"weftd masq\" -j MASQUERADE --random-fully",
            "-A WEFT-POSTRTG ! -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment \"weftd masq\" -j MASQUERADE --random-fully");

    static final List<String> FILTER_V4 = List.of(
            "-A FORWARD -m comment --comment \"weftd forward\" -j WEFT-FWD",
            "-A WEFT-FWD -s 10.244.0.0/16 -m comment --comment \"weftd forward\" -j ACCEPT",
            "-A WEFT-FWD -d 10.244.0.0/16 -m comment --comment \"weftd forward\" -j ACCEPT");

    static final List<String> NAT_V6 = List.of(
            "-A POSTROUTING -m comment --comment \"weftd masq\" -j WEFT-POSTRTG",
            "-A WEFT-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment \"weftd masq\" -j RETURN",
            "-A WEFT-POSTRTG -s fd00:10:244:3::/64 -d fd00:10:244::/48 -m comment --comment \"weftd masq\" -j RETURN",
            "-A WEFT-POSTRTG -s fd00:10:244::/48 -d fd00:10:244:3::/64 -m comment --comment \"weftd masq\" -j RETURN",
            "-A WEFT-POSTRTG ! -s fd00:10:244::/48 -d fd00:10:244:3::/64 -m comment --comment \"weftd masq\" -j RETURN",
            "-A WEFT-POSTRTG -s fd00:10:244::/48 ! -d ff00::/8 -m comment --comment \"weftd masq\" -j MASQUERADE --random-fully",
            "-A WEFT-POSTRTG ! -s fd00:10:244::/48 -d fd00:10:244::/48 -m comment --comment \"weftd masq\" -j MASQUERADE --random-fully");

    static final List<String> FILTER_V6 = List.of(
            "-A FORWARD -m comment --comment \"weftd forward\" -j WEFT-FWD",
            "-A WEFT-FWD -s fd00:10:244::/48 -m comment --comment \"weftd forward\" -j ACCEPT",
            "-A WEFT-FWD -d fd00:10:244::/48 -m comment --comment \"weftd forward\" -j ACCEPT");

    /** {@code nft list table ip weft-ipv4}, rule lines of chain postrtg. */
    static final List<String> NFT_POSTRTG_V4 = List.of(
            "meta mark & 0x00004000 == 0x00004000 return comment \"weftd masq\"",
            "ip saddr 10.244.3.0/24 ip daddr 10.244.0.0/16 return comment \"weftd masq\"",
            "ip saddr 10.244.0.0/16 ip daddr 10.244.3.0/24 return comment \"weftd masq\"",
            "ip saddr != 10.244.0.0/16 ip daddr 10.244.3.0/24 return comment \"weftd masq\"",
            "ip saddr 10.244.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random comment \"weftd masq\"",
            "ip saddr != 10.244.0.0/16 ip daddr 10.244.0.0/16 masquerade fully-random comment \"weftd masq\"");

    static final List<String> NFT_FORWARD_V4 = List.of(
            "ip saddr 10.244.0.0/16 accept comment \"weftd forward\"",
            "ip daddr 10.244.0.0/16 accept comment \"weftd forward\"");

    static final List<String> NFT_POSTRTG_V6 = List.of(
            "meta mark & 0x00004000 == 0x00004000 return comment \"weftd masq\"",
            "ip6 saddr fd00:10:244:3::/64 ip6 daddr fd00:10:244::/48 return comment \"weftd masq\"",
            "ip6 saddr fd00:10:244::/48 ip6 daddr fd00:10:244:3::/64 return comment \"weftd masq\"",
            "ip6 saddr != fd00:10:244::/48 ip6 daddr fd00:10:244:3::/64 return comment \"weftd masq\"",
            "ip6 saddr fd00:10:244::/48 ip6 daddr != ff00::/8 masquerade fully-random comment \"weftd masq\"",
            "ip6 saddr != fd00:10:244::/48 ip6 daddr fd00:10:244::/48 masquerade fully-random comment \"weftd masq\"");

    static final List<String> NFT_FORWARD_V6 = List.of(
            "ip6 saddr fd00:10:244::/48 accept comment \"weftd forward\"",
            "ip6 daddr fd00:10:244::/48 accept comment \"weftd forward\"");

    /** The same list with {@code --random-fully} / {@code fully-random} dropped. */
    static List<String> withoutRandomFully(List<String> lines) {
        return lines.stream().map(l -> l.replace(" --random-fully", "").replace(" fully-random", "")).toList();
    }
}
