package dev.weft.ipam.blocks;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Blocks of nodes that are gone (for {@code weftctl ipam check}): a block affine to a node with no
 * registration. weftd releases such a block once its node has been gone for the grace period, but
 * only when no address in it is in use; one that still holds pods' addresses stays, and this check
 * is where it shows, with the handles holding them. Pure: the caller reads the tree and the
 * registered node names. A cluster where no node registers (nodes on subnet leases) has no gone
 * nodes: the caller passes an empty set only when registrations are in use.
 *
 * @param registered the registered node names
 * @param spare      handles that are no pod's (a node's reserve): released with the block
 */
public record GoneNodeCheck(Set<String> registered, Predicate<String> spare) {
    /** Handles named in one problem's detail at most. */
    static final int SHOWN = 5;

    public List<Problem> run(IpamTree tree) {
        List<Problem> problems = new ArrayList<>();
        for (IpamTree.Block b : tree.blocks()) {
            AllocationBlock blk = b.block();
            if (blk == null || blk.host() == null || registered.contains(blk.host())) {
                continue;
            }
            Set<String> holders = new TreeSet<>();
            int inUse = 0;
            for (int o = 0; o < blk.size(); o++) {
                int i = blk.allocation(o);
                if (i == AllocationBlock.FREE) {
                    continue;
                }
                String h = blk.attributes().get(i).handleId();
                if (h == null || !spare.test(h)) {
                    inUse++;
                    holders.add(h == null ? "(no handle)" : h);
                }
            }
            String detail = "block " + b.cidr() + " is affine to node " + blk.host() + ", which is not registered (gone); ";
            if (inUse == 0) {
                detail += "nothing in it is in use, so a live weftd releases it once the node has been gone for the grace period";
            } else {
                List<String> shown = holders.stream().limit(SHOWN).toList();
                detail += inUse + " address(es) in it are in use (" + String.join(", ", shown)
                        + (holders.size() > SHOWN ? ", ..." : "") + "), so it is kept; release them (weftctl ipam release --ip)"
                        + " if their pods are gone too";
            }
            problems.add(new Problem(Problem.Kind.GONE_NODE_BLOCK, b.key(), detail));
        }
        return problems;
    }
}
