package dev.weft.cni.bridge;

import dev.weft.cni.spec.CniError;
import dev.weft.libc.Errno;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.LinkSpec;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import java.util.Optional;

/** The node's bridge: created once, shared by every pod; its gateway address; port readiness. */
final class BridgeDevice {
    private BridgeDevice() {
    }

    /** Creates the bridge if missing (a concurrent ADD may win the race: EEXIST is fine), brings it up. */
    static Link ensure(RtNetlink host, BridgeConfig cfg) {
        try {
            host.create(new LinkSpec.Bridge(cfg.bridge()).withMtu(cfg.mtu()).withVlanFiltering(cfg.vlanFiltering()));
        } catch (NetlinkException e) {
            if (e.errno() != Errno.EEXIST) {
                // e.g. EOPNOTSUPP for vlan_filtering on a kernel without CONFIG_BRIDGE_VLAN_FILTERING
                throw new CniError(CniError.KERNEL_FAILURE, "failed to create bridge \"" + cfg.bridge() + "\": "
                        + e.getMessage(), e.errno().name());
            }
        }
        Link br = host.requireLink(cfg.bridge());
        if (!"bridge".equals(br.kind())) {
            throw new CniError(CniError.INTERNAL, "\"" + cfg.bridge() + "\" already exists but is not a bridge");
        }
        if (cfg.promiscMode() && !br.isPromisc()) {
            host.setPromisc(br.index(), true);
        }
        Sysctls.setIfPresent("net/ipv6/conf/" + cfg.bridge() + "/accept_ra", "0");
        if (!br.isUp()) {
            host.setUp(br.index());
        }
        return host.requireLink(cfg.bridge());
    }

    /**
     * Puts the gateway address on the bridge (or on a VLAN's gateway interface, {@link VlanGateway}). An identical address is fine; a different IPv4
     * address in an overlapping subnet (or an overlapping IPv6 one) is an error unless forceAddress.
     * Unlike the reference, an IPv4 address of a subnet that does not overlap the gateway's is
     * replaced: it is the gateway of the node's previous subnet (weftd moved to another lease), and
     * refusing would leave the node unable to start a pod until someone cleaned the bridge by hand.
     * EEXIST from a concurrent ADD is fine. The bridge's MAC is then pinned to itself, so it stops following the
     * lowest port MAC as pods come and go.
     */
    static void ensureGatewayAddress(RtNetlink host, Link br, Cidr gw, boolean force) {
        int family = gw.isV4() ? Linux.AF_INET : Linux.AF_INET6;
        for (Address a : host.addresses(family, br.index())) {
            if (a.scope() != Rt.RT_SCOPE_UNIVERSE) {
                continue;
            }
            if (a.cidr().equals(gw)) {
                return;
            }
            boolean overlaps = a.cidr().network().overlaps(gw.network());
            if (gw.isV4() || overlaps) {
                if (!force && overlaps) {
                    throw new CniError(CniError.INTERNAL, "\"" + br.name() + "\" already has an IP address different from " + gw);
                }
                host.deleteAddress(a);
            }
        }
        try {
            host.addAddress(Address.of(br.index(), gw).withFlags(gw.isV6() ? Rt.IFA_F_NODAD : 0));
        } catch (NetlinkException e) {
            if (e.errno() != Errno.EEXIST) {
                throw e;
            }
        }
        Link now = host.requireLink(br.name());
        if (now.mac() != null) {
            host.setMac(br.index(), now.mac());
        }
    }

    /**
     * Waits until the host veth is operationally up, so the first packets are not lost (plugins#463).
     * Polls every few milliseconds rather than sleeping in large steps: the common case is "already up".
     */
    static void waitForwarding(RtNetlink host, int index) {
        long deadline = System.nanoTime() + 2_500_000_000L;
        while (true) {
            Optional<Link> found = host.link(index);
            if (found.isEmpty()) {
                throw new CniError(CniError.INTERNAL, "host veth vanished");
            }
            Link l = found.get();
            if (l.operState() == Link.OPER_UP) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new CniError(CniError.INTERNAL, "bridge port in error state: " + l.operState());
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CniError(CniError.TRY_AGAIN_LATER, "interrupted while waiting for the bridge port");
            }
        }
    }
}
