package dev.weft.flannel.backend.bgp;

import java.util.Locale;

/** How pod packets cross between nodes, with the bytes the encapsulation costs (FLANNEL_MTU). */
public enum Encap {
    /** Plain routing: nodes are routers (all on one L2, or the underlay knows the pod routes). */
    NONE("None", 0),
    /** RFC 2003 IPv4-in-IPv4: one outer IPv4 header. */
    IPIP("IPIP", 20),
    /** VXLAN: outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
    VXLAN("VXLAN", 50);

    private final String text;
    private final int overhead;

    Encap(String text, int overhead) {
        this.text = text;
        this.overhead = overhead;
    }

    public int overhead() {
        return overhead;
    }

    /** The net-conf spelling, case-insensitive; null when it is none of them. */
    static Encap parse(String s) {
        for (Encap e : values()) {
            if (e.text.toLowerCase(Locale.ROOT).equals(s.toLowerCase(Locale.ROOT))) {
                return e;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return text;
    }
}
