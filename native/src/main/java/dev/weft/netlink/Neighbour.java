package dev.weft.netlink;

import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;

/**
 * An ARP (IPv4) or NDP (IPv6) entry.
 *
 * @param state NUD_* bits (NUD_PERMANENT for entries a daemon owns)
 * @param flags NTF_* bits
 */
public record Neighbour(int index, IpAddress dst, MacAddress lladdr, int state, int flags) {
    public static Neighbour permanent(int index, IpAddress dst, MacAddress lladdr) {
        return new Neighbour(index, dst, lladdr, Rt.NUD_PERMANENT, 0);
    }
}
