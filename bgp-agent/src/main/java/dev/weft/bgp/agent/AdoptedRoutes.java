package dev.weft.bgp.agent;

import dev.weft.bgp.fib.KernelFib;
import dev.weft.bgp.wire.Family;
import dev.weft.libc.Linux;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Address;
import dev.weft.netns.Namespace;

import java.util.EnumSet;
import java.util.Set;

/** What the kernel of the agent's namespace says about a restart and about sessions' interfaces. */
final class AdoptedRoutes {
    private AdoptedRoutes() {
    }

    /** Families with routes of Weft-BGP in {@code table}: those a previous run left, whose forwarding we preserved. */
    static Set<Family> families(Namespace ns, int table) {
        Set<Family> out = EnumSet.noneOf(Family.class);
        if (!ns.netlink().routes(Linux.AF_INET, table, KernelFib.BGP_PROTOCOL).isEmpty()) {
            out.add(Family.IPV4_UNICAST);
        }
        if (!ns.netlink().routes(Linux.AF_INET6, table, KernelFib.BGP_PROTOCOL).isEmpty()) {
            out.add(Family.IPV6_UNICAST);
        }
        return out;
    }

    /** The interface holding {@code local} (a session's own address), or 0. */
    static int ifindexOf(Namespace ns, IpAddress local) {
        for (Address a : ns.netlink().addresses(local.isV4() ? Linux.AF_INET : Linux.AF_INET6, 0)) {
            if (a.cidr().address().equals(local)) {
                return a.index();
            }
        }
        return 0;
    }
}
