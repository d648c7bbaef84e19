package dev.weft.flannel.rules;

import dev.weft.net.Cidr;

/** The two address families and the names each tool uses for them. */
public enum IpFamily {
    IPV4("iptables", "iptables-save", "iptables-restore", "ip", "weft-ipv4", Cidr.parse("224.0.0.0/4")),
    IPV6("ip6tables", "ip6tables-save", "ip6tables-restore", "ip6", "weft-ipv6", Cidr.parse("ff00::/8"));

    private final String iptables;
    private final String iptablesSave;
    private final String iptablesRestore;
    private final String nftFamily;
    private final String nftTable;
    private final Cidr multicast;

    IpFamily(String iptables, String iptablesSave, String iptablesRestore, String nftFamily, String nftTable,
             Cidr multicast) {
        this.iptables = iptables;
        this.iptablesSave = iptablesSave;
        this.iptablesRestore = iptablesRestore;
        this.nftFamily = nftFamily;
        this.nftTable = nftTable;
        this.multicast = multicast;
    }

    public static IpFamily of(Cidr cidr) {
        return cidr.isV4() ? IPV4 : IPV6;
    }

    /** {@code iptables} or {@code ip6tables}. */
    public String iptables() {
        return iptables;
    }

    public String iptablesSave() {
        return iptablesSave;
    }

    public String iptablesRestore() {
        return iptablesRestore;
    }

    /** The nftables family keyword, also the payload protocol of address matches: {@code ip} or {@code ip6}. */
    public String nftFamily() {
        return nftFamily;
    }

    /** Weft's nftables table for this family: {@code weft-ipv4} or {@code weft-ipv6}. */
    public String nftTable() {
        return nftTable;
    }

    /** The multicast block that is never masqueraded: {@code 224.0.0.0/4} or {@code ff00::/8}. */
    public Cidr multicast() {
        return multicast;
    }
}
