package dev.weft.flannel.blockroutes;

import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.nodes.NodeRecord;
import dev.weft.ipam.blocks.AllocationAttribute;
import dev.weft.ipam.blocks.AllocationBlock;
import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns blocks and node registrations into the leases the subnet-routing backends program: one per
 * block whose confirmed owner is another registered node (the block is that node's subnet, with its
 * registration's attrs), and one host route (/32, /128) per address allocated for another
 * registered node in a block that is not routed to it (borrowed; Calico routes those the same way).
 * Blocks of this node, of a node that is not registered (or whose registration is not used), and
 * unconfirmed blocks give nothing. Pure.
 *
 * <p>Each lease has one family. An IPv4 block is a lease's {@code subnet}; an IPv6 block is a lease
 * of its own with only {@code subnetV6} ({@link Lease#ofV6}), which the backends route via the
 * node's PublicIPv6 (host-gw) or its IPv6 VTEP (vxlan), as they route a dual-stack lease's IPv6
 * half. Pairing a node's IPv4 and IPv6 blocks into dual-stack leases would not do: a node holds as
 * many blocks of each family as its pods took, and a block of one family comes and goes without
 * the other.
 */
final class BlockLeases {
    private BlockLeases() {
    }

    /**
     * @param leases        the leases, in address order (IPv4 before IPv6)
     * @param noIpv6Address registered nodes with IPv6 blocks or borrowed IPv6 addresses whose registration has no
     *                      PublicIPv6: those are not routed (there is no address to route them via)
     */
    record Result(List<Lease> leases, Set<String> noIpv6Address) {
        Result {
            leases = List.copyOf(leases);
            noIpv6Address = Set.copyOf(noIpv6Address);
        }
    }

    /** IPv4 blocks only (a backend that does not route IPv6 blocks). */
    static List<Lease> of(BlockSet set, Map<String, NodeRecord> nodes, String ownName) {
        return of(set, nodes, ownName, false).leases();
    }

    /** The leases; IPv6 blocks and borrowed IPv6 addresses too when {@code ipv6}. */
    static Result of(BlockSet set, Map<String, NodeRecord> nodes, String ownName, boolean ipv6) {
        TreeMap<Cidr, Lease> out = new TreeMap<>();
        Set<String> noV6 = new TreeSet<>();
        for (AllocationBlock b : set.blocks()) {
            boolean v4 = b.cidr().address().isV4();
            if (!v4 && !ipv6) {
                continue;
            }
            String owner = set.owner(b);
            NodeRecord on = owner == null || owner.equals(ownName) ? null : nodes.get(owner);
            if (on != null) {
                put(out, noV6, b.cidr(), on);
            }
            for (int o = 0; o < b.size(); o++) {
                int i = b.allocation(o);
                if (i == AllocationBlock.FREE) {
                    continue;
                }
                AllocationAttribute a = b.attributes().get(i);
                String user = a.node();
                if (user == null || user.equals(owner) || user.equals(ownName)) {
                    continue;
                }
                NodeRecord borrower = nodes.get(user);
                if (borrower != null) {
                    put(out, noV6, Cidr.ofHost(b.address(o)), borrower);
                }
            }
        }
        return new Result(new ArrayList<>(out.values()), noV6);
    }

    private static void put(TreeMap<Cidr, Lease> out, Set<String> noV6, Cidr dst, NodeRecord n) {
        if (dst.isV4()) {
            out.put(dst, new Lease(dst, null, n.attrs(), n.expirationEpochMillis(), n.modRevision()));
        } else if (n.attrs().publicIpV6() != null) {
            out.put(dst, Lease.ofV6(dst, n.attrs(), n.expirationEpochMillis(), n.modRevision()));
        } else {
            noV6.add(n.name());
        }
    }
}
