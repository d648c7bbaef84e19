package dev.weft.flannel.backend;

import dev.weft.net.IpAddress;
import java.util.Objects;

/**
 * The node's interface towards the other nodes (flannel's {@code backend.ExternalInterface}).
 *
 * @param name        e.g. "eth0"
 * @param index       its ifindex
 * @param ifaceAddr   its IPv4 address; the vxlan source address and the host-gw next hop peers use
 * @param extAddr     the PublicIP published in the lease: {@code --public-ip}, else {@code ifaceAddr}
 * @param mtu         its MTU
 * @param ifaceAddrV6 its IPv6 address, or null
 * @param extAddrV6   the PublicIPv6 to publish, or null ({@code ifaceAddrV6} when not given)
 */
public record ExternalInterface(String name, int index, IpAddress ifaceAddr, IpAddress extAddr, int mtu,
                                IpAddress ifaceAddrV6, IpAddress extAddrV6) {

    public ExternalInterface {
        Objects.requireNonNull(name, "name");
        if (index <= 0) {
            throw new IllegalArgumentException("ifindex must be positive: " + index);
        }
        if (mtu <= 0) {
            throw new IllegalArgumentException("MTU must be positive: " + mtu);
        }
        extAddr = extAddr == null ? ifaceAddr : extAddr;
        extAddrV6 = extAddrV6 == null ? ifaceAddrV6 : extAddrV6;
        requireFamily("ifaceAddr", ifaceAddr, true);
        requireFamily("extAddr", extAddr, true);
        requireFamily("ifaceAddrV6", ifaceAddrV6, false);
        requireFamily("extAddrV6", extAddrV6, false);
    }

    /** A single-stack interface whose public IP is its own address. */
    public static ExternalInterface v4(String name, int index, IpAddress addr, int mtu) {
        return new ExternalInterface(name, index, addr, addr, mtu, null, null);
    }

    /** The same interface published under another IPv4 address ({@code --public-ip}). */
    public ExternalInterface withPublicIp(IpAddress publicIp) {
        return new ExternalInterface(name, index, ifaceAddr, publicIp, mtu, ifaceAddrV6, extAddrV6);
    }

    /** The same interface with an IPv6 address (published as itself). */
    public ExternalInterface withV6(IpAddress addrV6) {
        return new ExternalInterface(name, index, ifaceAddr, extAddr, mtu, addrV6, addrV6);
    }

    private static void requireFamily(String what, IpAddress a, boolean v4) {
        if (a != null && a.isV4() != v4) {
            throw new IllegalArgumentException(what + " must be " + (v4 ? "IPv4" : "IPv6") + ": " + a);
        }
    }
}
