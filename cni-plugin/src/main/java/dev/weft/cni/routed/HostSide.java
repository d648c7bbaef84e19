package dev.weft.cni.routed;

import dev.weft.cni.bridge.Sysctls;
import dev.weft.cni.spec.CniError;
import dev.weft.libc.Errno;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.LinkSpec;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import dev.weft.sysctl.Sysctl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The node's end of a routed pod, as Calico's data plane makes it (spec notes §4.2): a veth with
 * no address and the MAC {@code ee:ee:ee:ee:ee:ee}, proxy ARP answering for the pod's gateway
 * 169.254.1.1, forwarding on, router advertisements ignored, and one host route per pod address.
 */
final class HostSide {
    /** Every host end has this MAC: the pod's neighbour entry for its gateway never changes. */
    static final MacAddress MAC = MacAddress.parse("ee:ee:ee:ee:ee:ee");
    /** How long ADD waits for the host end's IPv6 link-local address (the pod's IPv6 gateway). */
    private static final long LINK_LOCAL_WAIT_NANOS = 5_000_000_000L;

    private HostSide() {
    }

    /**
     * Refuses an address the node already routes as a host route anywhere but on {@code ownName}
     * (where an earlier sandbox of the same pod left it): a duplicate IP, which would otherwise
     * take another pod's traffic. Checked before anything is made, so the error leaves nothing.
     */
    static void refuseRoutedElsewhere(RtNetlink host, List<Cidr> podAddresses, String ownName) {
        for (Cidr a : podAddresses) {
            Route existing = hostRoute(host, a);
            if (existing != null) {
                String where = describe(host, existing);
                if (!where.equals(ownName)) {
                    throw conflict(a, where);
                }
            }
        }
    }

    /** The main-table route to exactly {@code dst}, or null. */
    static Route hostRoute(RtNetlink host, Cidr dst) {
        for (Route r : host.routes(dst.isV4() ? Linux.AF_INET : Linux.AF_INET6, Rt.RT_TABLE_MAIN)) {
            if (r.dst().equals(dst)) {
                return r;
            }
        }
        return null;
    }

    private static CniError conflict(Cidr a, String where) {
        return new CniError(CniError.INTERNAL, "address " + a.address() + " is already routed to " + where
                + ": a duplicate IP, refusing to take it over", "delete the pod that has it, or release the address from IPAM");
    }

    /** The interface a route leaves by, or what else it is (a gateway, a blackhole). */
    private static String describe(RtNetlink host, Route r) {
        if (r.oif() != 0) {
            Optional<Link> link = host.link(r.oif());
            String name = link.isPresent() ? link.get().name() : "ifindex " + r.oif();
            return r.gateway() == null ? name : name + " via " + r.gateway();
        }
        return r.gateway() != null ? "via " + r.gateway() : "a route of type " + r.type();
    }

    /**
     * Removes the link an earlier sandbox of the same pod left under this name (its pod end and
     * routes go with it). Anything but a veth under the name is someone else's: an error.
     */
    static void removeStale(RtNetlink host, String name) {
        Link stale = host.link(name).orElse(null);
        if (stale == null) {
            return;
        }
        if (!"veth".equals(stale.kind())) {
            throw new CniError(CniError.INTERNAL, "a " + stale.kind() + " link named " + name + " exists on the node",
                    "weft-routed names its host veths with this prefix; choose another hostVethPrefix");
        }
        try {
            host.delete(stale.index());
        } catch (NetlinkException e) {
            if (!e.isNotFound()) {
                throw e;
            }
        }
    }

    /** The pair, made in one request: the host end with Calico's MAC here, the pod end straight inside the pod. */
    static void createVeth(RtNetlink host, Namespace pod, String name, String ifname, int mtu) {
        host.create(new LinkSpec.Veth(name, ifname).withMtu(mtu).withMac(MAC).withPeerInNetns(pod.fd()));
    }

    /**
     * The host end's sysctls, then the link up. Global forwarding first (as the reference ptp
     * does): a write of ip_forward resets every interface's own forwarding, ours included.
     */
    static void configure(RtNetlink host, int index, String name, boolean v4, boolean v6) {
        if (v4) {
            Sysctls.ensure("net/ipv4/ip_forward", "1");
            Sysctl.write("net/ipv4/conf/" + name + "/forwarding", "1");
            Sysctl.write("net/ipv4/conf/" + name + "/proxy_arp", "1");
            // Answer the pod's ARP for 169.254.1.1 at once, not after a random delay of up to 0.8 s.
            Sysctl.write("net/ipv4/neigh/" + name + "/proxy_delay", "0");
        }
        if (v6) {
            requireIpv6(name);
            Sysctls.ensure("net/ipv6/conf/all/forwarding", "1");
            Sysctl.write("net/ipv6/conf/" + name + "/disable_ipv6", "0");
            // No DAD: the link-local address the pod routes through is usable at once.
            Sysctl.write("net/ipv6/conf/" + name + "/accept_dad", "0");
            Sysctl.write("net/ipv6/conf/" + name + "/forwarding", "1");
            Sysctl.write("net/ipv6/conf/" + name + "/proxy_ndp", "1");
        }
        Sysctls.setIfPresent("net/ipv6/conf/" + name + "/accept_ra", "0");
        host.setUp(index);
    }

    private static void requireIpv6(String name) {
        if (!Files.exists(Path.of("/proc/sys/net/ipv6/conf/" + name))) {
            throw new CniError(CniError.INTERNAL, "IPAM gave an IPv6 address but IPv6 is off on the node (no net.ipv6.conf." + name + ")");
        }
    }

    /**
     * The host end's IPv6 link-local address: the pod's IPv6 gateway. The kernel adds it once both
     * ends are up (carrier); without DAD that is immediate, so the wait is short.
     */
    static IpAddress awaitLinkLocal(RtNetlink host, int index, String name) {
        long deadline = System.nanoTime() + LINK_LOCAL_WAIT_NANOS;
        while (true) {
            for (Address a : host.addresses(Linux.AF_INET6, index)) {
                if (a.cidr().address().isLinkLocalUnicast()) {
                    return a.cidr().address();
                }
            }
            if (System.nanoTime() > deadline) {
                throw new CniError(CniError.INTERNAL, "host veth " + name + " got no IPv6 link-local address in 5 s",
                        "is net.ipv6.conf." + name + ".addr_gen_mode 1 (none)?");
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CniError(CniError.INTERNAL, "interrupted waiting for the link-local address of " + name);
            }
        }
    }

    /**
     * {@code <ip>/32 dev <hostveth> scope link} (/128 for IPv6), added exclusively: an existing
     * route to the address (one that appeared since {@link #refuseRoutedElsewhere}) is never
     * overwritten but reported with the interface it names. Protocol boot, as ptp and Calico's
     * CNI leave it: 87 is weftd's flannel backends', whose reconciliation owns those routes.
     */
    static void addRoutes(RtNetlink host, int index, String name, List<Cidr> podAddresses) {
        for (Cidr a : podAddresses) {
            try {
                host.addRoute(route(index, a));
            } catch (NetlinkException e) {
                if (e.errno() != Errno.EEXIST) {
                    throw e;
                }
                Route existing = hostRoute(host, a);
                throw conflict(a, existing == null ? "another route (gone again)" : describe(host, existing));
            }
        }
    }

    static Route route(int index, Cidr podAddress) {
        return Route.to(podAddress).dev(index).withScope(Rt.RT_SCOPE_LINK);
    }
}
