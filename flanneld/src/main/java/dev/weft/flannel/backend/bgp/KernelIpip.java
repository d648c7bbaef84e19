package dev.weft.flannel.backend.bgp;

import dev.weft.flannel.backend.BackendException;
import dev.weft.libc.Errno;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.LinkSpec;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.RtNetlink;
import dev.weft.libc.Linux;
import java.util.Map;
import java.util.Optional;

/**
 * The kernel's ipip device {@code tunl0} as Calico sets it up: MTU underlay − 20, the node's
 * tunnel address (so host → pod traffic has a source), up. The kernel encapsulates towards the
 * route's onlink gateway, so the peer set needs no programming.
 */
final class KernelIpip implements IpipDataPlane {
    private KernelIpip() {
    }

    /**
     * Creates (or reuses) the device; empty when the kernel has no ipip driver.
     *
     * @throws BackendException when a non-ipip link holds the name or the kernel refuses otherwise
     */
    static Optional<KernelIpip> tryOpen(RtNetlink nl, String device, int mtu, Cidr tunnelAddr) {
        Optional<Link> l = nl.link(device);
        if (l.isEmpty()) {
            try {
                nl.create(new LinkSpec.Ipip(device, mtu));
            } catch (NetlinkException e) {
                if (e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.ENODEV || e.errno() == Errno.EINVAL) {
                    return Optional.empty();
                }
                if (e.errno() != Errno.EEXIST) {
                    throw new BackendException("creating " + device + " (ipip): " + e.getMessage(), e);
                }
            }
            l = nl.link(device);
        }
        Link link = l.orElseThrow(() -> new BackendException(device + " vanished while it was set up"));
        if (!"ipip".equals(link.kind())) {
            return Optional.empty(); // a TUN left by a userspace run, or a foreign link: not the kernel's
        }
        if (link.mtu() != mtu) {
            nl.setMtu(link.index(), mtu);
        }
        boolean present = false;
        for (Address a : nl.addresses(Linux.AF_INET, link.index())) {
            present |= a.cidr().equals(tunnelAddr);
        }
        if (!present) {
            nl.addAddress(Address.of(link.index(), tunnelAddr));
        }
        nl.setUp(link.index());
        return Optional.of(new KernelIpip());
    }

    @Override
    public String kind() {
        return "kernel";
    }

    @Override
    public void setPeers(Map<Cidr, IpAddress> subnetToNode) {
        // the kernel takes the outer destination from each route's gateway
    }

    @Override
    public void close() {
    }
}
