package dev.weft.netlink;

import dev.weft.net.MacAddress;

/**
 * A network interface as the kernel reports it.
 *
 * @param kind       the rtnetlink kind ("veth", "bridge", "vxlan", "tun", "dummy"), null for a
 *                   physical device or loopback
 * @param slaveKind  the kind of the master it is enslaved to ("bridge"), or null
 * @param masterIndex index of the master device, 0 when none
 * @param linkIndex  IFLA_LINK: for a veth, the peer's index (in the peer's netns)
 * @param operState  RFC 2863 operational state as numbered by the kernel (6 = up)
 * @param vxlan      vxlan parameters when {@code kind} is "vxlan", else null
 */
public record Link(int index, String name, String kind, String slaveKind, int mtu, MacAddress mac,
                   int masterIndex, int linkIndex, int flags, int operState, VxlanInfo vxlan) {

    public static final int OPER_UP = 6;

    public boolean isUp() {
        return (flags & Rt.IFF_UP) != 0;
    }

    public boolean isPromisc() {
        return (flags & Rt.IFF_PROMISC) != 0;
    }

    public boolean isLowerUp() {
        return (flags & Rt.IFF_LOWER_UP) != 0;
    }
}
