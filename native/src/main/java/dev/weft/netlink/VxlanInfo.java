package dev.weft.netlink;

import dev.weft.net.IpAddress;

/**
 * The attributes of a vxlan device that decide whether an existing device can be reused.
 *
 * @param local     source address of encapsulated packets, or null
 * @param linkIndex index of the underlay device, 0 when unbound
 * @param port      UDP destination port (8472 is the kernel default, 4789 the IANA one)
 */
public record VxlanInfo(int vni, IpAddress local, int linkIndex, int port, boolean learning, boolean gbp,
                        boolean udpChecksum) {
}
