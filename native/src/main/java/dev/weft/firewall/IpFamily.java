package dev.weft.firewall;

import dev.weft.net.Cidr;

/** The two address families and the names the firewall tools use for them. */
public enum IpFamily {
    IPV4, IPV6;

    private static final Cidr MULTICAST4 = Cidr.parse("224.0.0.0/4");
    private static final Cidr MULTICAST6 = Cidr.parse("ff00::/8");

    public static IpFamily of(Cidr cidr) {
        return cidr.isV4() ? IPV4 : IPV6;
    }

    /** {@code iptables} or {@code ip6tables}; also how GC reports name the backend. */
    public String iptables() {
        return this == IPV4 ? "iptables" : "ip6tables";
    }

    public String iptablesSave() {
        return iptables() + "-save";
    }

    public String iptablesRestore() {
        return iptables() + "-restore";
    }

    /** The nftables family keyword, also the payload protocol of address matches: {@code ip} or {@code ip6}. */
    public String nftFamily() {
        return this == IPV4 ? "ip" : "ip6";
    }

    /** The multicast block that is never masqueraded: {@code 224.0.0.0/4} or {@code ff00::/8}. */
    public Cidr multicast() {
        return this == IPV4 ? MULTICAST4 : MULTICAST6;
    }
}
