package dev.weft.netlink;

import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;

/**
 * A bridge forwarding-database entry on a device (AF_BRIDGE neighbour). For a vxlan device,
 * {@code dst} is the remote VTEP that frames for {@code mac} are tunnelled to.
 *
 * @param flags NTF_* bits; {@link Rt#NTF_SELF} addresses the device's own table
 */
public record FdbEntry(int index, MacAddress mac, IpAddress dst, int state, int flags) {
    public static FdbEntry vtep(int index, MacAddress mac, IpAddress remote) {
        return new FdbEntry(index, mac, remote, Rt.NUD_PERMANENT, Rt.NTF_SELF);
    }
}
