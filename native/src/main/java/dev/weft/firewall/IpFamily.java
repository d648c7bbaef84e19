package dev.weft.firewall;

import dev.weft.net.Cidr;

/** The two address families and the names the firewall tools use for them. */
public enum IpFamily {
    IPV4("iptables", "ip", Cidr.parse("224.0.0.0/4")),
    IPV6("ip6tables", "ip6", Cidr.parse("ff00::/8"));

    private final String iptables;
    private final String nftFamily;
    private final Cidr multicast;

    IpFamily(String iptables, String nftFamily, Cidr multicast) {
        this.iptables = iptables;
        this.nftFamily = nftFamily;
        this.multicast = multicast;
    }

    public static IpFamily of(Cidr cidr) {
        return cidr.isV4() ? IPV4 : IPV6;
    }

    /** {@code iptables} or {@code ip6tables}; also how GC reports name the backend. */
    public String iptables() {
        return iptables;
    }

    public String iptablesSave() {
        return iptables + "-save";
    }

    public String iptablesRestore() {
        return iptables + "-restore";
    }

    /** The nftables family keyword, also the payload protocol of address matches: {@code ip} or {@code ip6}. */
    public String nftFamily() {
        return nftFamily;
    }

    /** The multicast block that is never masqueraded: {@code 224.0.0.0/4} or {@code ff00::/8}. */
    public Cidr multicast() {
        return multicast;
    }
}
