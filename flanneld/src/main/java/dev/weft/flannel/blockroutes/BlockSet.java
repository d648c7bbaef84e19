package dev.weft.flannel.blockroutes;

import dev.weft.ipam.blocks.AllocationBlock;
import dev.weft.net.Cidr;
import java.util.List;
import java.util.Set;

/**
 * The IPAM tree as far as routing needs it, at one moment: the blocks that decoded, and which
 * node holds a confirmed affinity for which block.
 *
 * @param blocks    decoded blocks (corrupt ones are left out: what they hold cannot be known)
 * @param confirmed {@link #affinity(String, Cidr)} of every confirmed affinity
 */
record BlockSet(List<AllocationBlock> blocks, Set<String> confirmed) {
    static final BlockSet EMPTY = new BlockSet(List.of(), Set.of());

    BlockSet {
        blocks = List.copyOf(blocks);
        confirmed = Set.copyOf(confirmed);
    }

    static String affinity(String node, Cidr block) {
        return node + " " + block;
    }

    /** The node a block is routed to: its affinity's node, once that node's claim on it is confirmed; else null. */
    String owner(AllocationBlock b) {
        String host = b.host();
        return host != null && !b.deleted() && confirmed.contains(affinity(host, b.cidr())) ? host : null;
    }
}
