package dev.weft.ipam.blocks;

import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Lists what is inconsistent in the whole IPAM tree (like {@code calicoctl ipam check}): corrupt
 * values, blocks outside the pools, affinities without blocks and the reverse, claims left
 * pending, handle records that disagree with the blocks. Pure: it works on a tree already read
 * (at one revision, by {@link IpamTree}).
 */
final class StoreCheck {
    private final IpamTree tree;
    private final IpamKeys keys;
    private final PoolConfig config;
    private final List<Problem> problems = new ArrayList<>();

    StoreCheck(IpamTree tree, PoolConfig config) {
        this.tree = tree;
        this.keys = tree.keys();
        this.config = config;
    }

    List<Problem> run() {
        for (String k : tree.badBlockKeys()) {
            add(Problem.Kind.BAD_KEY, k, "not a block key (" + keys.blocks() + "ipv4|ipv6/block/<cidr-with-dash>)");
        }
        Map<Cidr, IpamTree.Block> blocks = new TreeMap<>();
        for (IpamTree.Block b : tree.blocks()) {
            blocks.put(b.cidr(), b);
            if (b.corrupt()) {
                add(Problem.Kind.CORRUPT_BLOCK, b.key(), b.corruption() + "; it is not allocated from and never rewritten");
            } else if (config.poolOf(b.cidr()) == null) {
                add(Problem.Kind.BLOCK_OUTSIDE_POOLS, b.key(), "block " + b.cidr() + " is in no configured pool");
            }
        }

        for (String k : tree.badAffinityKeys()) {
            add(Problem.Kind.BAD_KEY, k, "not an affinity key (" + keys.hosts() + "<node>/ipv4|ipv6/block/<cidr-with-dash>)");
        }
        Map<Cidr, String> confirmedBy = new HashMap<>();
        for (IpamTree.Affinity a : tree.affinities()) {
            Cidr c = a.cidr();
            String node = a.node();
            if (a.state() == null) {
                add(Problem.Kind.CORRUPT_AFFINITY, a.key(), a.corruption());
                continue;
            }
            if (a.state() == AffinityState.PENDING) {
                add(Problem.Kind.PENDING_AFFINITY, a.key(), "node " + node + " began claiming " + c
                        + " and did not finish (its next claim settles it)");
                continue;
            }
            IpamTree.Block b = blocks.get(c);
            if (a.state() != AffinityState.CONFIRMED || b != null && b.corrupt()) {
                continue;
            }
            if (b == null) {
                add(Problem.Kind.DANGLING_AFFINITY, a.key(), "node " + node + " holds block " + c + ", which does not exist");
            } else if (!node.equals(b.block().host())) {
                add(Problem.Kind.DANGLING_AFFINITY, a.key(), "node " + node + " holds block " + c + ", which is affine to "
                        + b.block().affinity());
            } else {
                confirmedBy.put(c, node);
            }
        }

        Map<String, Map<String, Integer>> held = new HashMap<>();
        for (IpamTree.Block b : blocks.values()) {
            AllocationBlock blk = b.block();
            if (blk == null) {
                continue;
            }
            if (blk.host() != null && !blk.host().equals(confirmedBy.get(b.cidr()))) {
                add(Problem.Kind.MISSING_AFFINITY, b.key(), "block is affine to " + blk.host()
                        + ", but " + keys.affinity(blk.host(), b.cidr()) + " is not a confirmed affinity");
            }
            blk.countsByHandle().forEach((h, n) -> held.computeIfAbsent(h, k -> new TreeMap<>()).put(b.cidr().toString(), n));
        }

        tree.handles().forEach((id, h) -> {
            Map<String, Integer> actual = held.remove(id);
            if (h == null) {
                add(Problem.Kind.CORRUPT_HANDLE, keys.handle(id), tree.handleCorruption(id));
                return;
            }
            Map<String, Integer> recorded = new TreeMap<>(h.blocks());
            recorded.values().removeIf(n -> n == 0);
            // Counts in corrupt blocks cannot be known: compare only the readable blocks.
            recorded.keySet().removeIf(blk -> isCorrupt(blocks, blk));
            if (!recorded.equals(actual == null ? Map.of() : actual)) {
                add(Problem.Kind.HANDLE_MISMATCH, keys.handle(id), "handle records " + recorded + ", blocks hold "
                        + (actual == null ? "{}" : actual));
            }
        });
        held.forEach((id, actual) -> add(Problem.Kind.HANDLE_MISMATCH, keys.handle(id), "no handle record, blocks hold " + actual));
        return List.copyOf(problems);
    }

    private static boolean isCorrupt(Map<Cidr, IpamTree.Block> blocks, String cidr) {
        try {
            IpamTree.Block b = blocks.get(Cidr.parse(cidr));
            return b != null && b.corrupt();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private void add(Problem.Kind k, String key, String detail) {
        problems.add(new Problem(k, key, detail));
    }
}
