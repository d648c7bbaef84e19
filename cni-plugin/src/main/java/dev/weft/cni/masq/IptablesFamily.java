package dev.weft.cni.masq;

import dev.weft.net.Cidr;

/** The two iptables tool sets and the multicast block each leaves unmasqueraded. */
enum IptablesFamily {
    IPV4("iptables", Cidr.parse("224.0.0.0/4")),
    IPV6("ip6tables", Cidr.parse("ff00::/8"));

    private final String tool;
    private final Cidr multicast;

    IptablesFamily(String tool, Cidr multicast) {
        this.tool = tool;
        this.multicast = multicast;
    }

    static IptablesFamily of(Cidr c) {
        return c.isV4() ? IPV4 : IPV6;
    }

    /** {@code iptables} or {@code ip6tables}: also the backend name in GC reports. */
    String tool() {
        return tool;
    }

    String saveTool() {
        return tool + "-save";
    }

    String restoreTool() {
        return tool + "-restore";
    }

    /** Pods must still reach multicast groups on their own link without being rewritten. */
    Cidr multicast() {
        return multicast;
    }
}
