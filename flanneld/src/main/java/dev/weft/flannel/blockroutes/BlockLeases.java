package dev.weft.flannel.blockroutes;

import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.nodes.NodeRecord;
import dev.weft.ipam.blocks.AllocationAttribute;
import dev.weft.ipam.blocks.AllocationBlock;
import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns blocks and node registrations into the leases the subnet-routing backends program: one per
 * block whose confirmed owner is another registered node (the block is that node's subnet, with its
 * registration's attrs), and one /32 per address allocated for another registered node in a block
 * that is not routed to it (borrowed; Calico routes those the same way). Blocks of this node, of a
 * node that is not registered (or whose registration is not used), unconfirmed blocks and IPv6
 * blocks give nothing. Pure.
 */
final class BlockLeases {
    private BlockLeases() {
    }

    /** The leases, in address order. */
    static List<Lease> of(BlockSet set, Map<String, NodeRecord> nodes, String ownName) {
        TreeMap<Cidr, Lease> out = new TreeMap<>();
        for (AllocationBlock b : set.blocks()) {
            if (!b.cidr().address().isV4()) {
                continue; // a lease's subnet is IPv4; IPv6 blocks are not routed by these backends yet
            }
            String owner = set.owner(b);
            NodeRecord on = owner == null || owner.equals(ownName) ? null : nodes.get(owner);
            if (on != null) {
                out.put(b.cidr(), lease(b.cidr(), on));
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
                    Cidr host = Cidr.ofHost(b.address(o));
                    out.put(host, lease(host, borrower));
                }
            }
        }
        return new ArrayList<>(out.values());
    }

    private static Lease lease(Cidr subnet, NodeRecord n) {
        return new Lease(subnet, null, n.attrs(), n.expirationEpochMillis(), n.modRevision());
    }
}
