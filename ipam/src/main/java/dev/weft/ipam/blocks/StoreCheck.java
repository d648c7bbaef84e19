package dev.weft.ipam.blocks;

import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the whole IPAM tree and lists what is inconsistent (like {@code calicoctl ipam check}):
 * corrupt values, blocks outside the pools, affinities without blocks and the reverse, claims
 * left pending, handle records that disagree with the blocks. Read-only.
 */
final class StoreCheck {
    private final EtcdStore store;
    private final IpamKeys keys;
    private final PoolConfig config;
    private final List<Problem> problems = new ArrayList<>();

    StoreCheck(EtcdStore store, IpamKeys keys, PoolConfig config) {
        this.store = store;
        this.keys = keys;
        this.config = config;
    }

    List<Problem> run() throws IpamException {
        Map<Cidr, AllocationBlock> blocks = new TreeMap<>();
        for (EtcdStore.Entry e : store.list(keys.blocks(), false)) {
            Cidr c = IpamKeys.cidrOf(e.key());
            if (c == null || !e.key().equals(keys.block(c))) {
                add(Problem.Kind.BAD_KEY, e.key(), "not a block key (" + keys.blocks() + "ipv4|ipv6/block/<cidr-with-dash>)");
                continue;
            }
            try {
                blocks.put(c, BlockCodec.decode(c, e.value()));
            } catch (CorruptValueException ex) {
                add(Problem.Kind.CORRUPT_BLOCK, e.key(), ex.getMessage() + "; it is not allocated from and never rewritten");
                blocks.put(c, null);
                continue;
            }
            if (config.poolOf(c) == null) {
                add(Problem.Kind.BLOCK_OUTSIDE_POOLS, e.key(), "block " + c + " is in no configured pool");
            }
        }

        Map<Cidr, String> confirmedBy = new HashMap<>();
        for (EtcdStore.Entry e : store.list(keys.hosts(), false)) {
            Cidr c = IpamKeys.cidrOf(e.key());
            String node = keys.nodeOf(e.key());
            if (c == null || node == null || !e.key().equals(keys.affinity(node, c))) {
                add(Problem.Kind.BAD_KEY, e.key(), "not an affinity key (" + keys.hosts() + "<node>/ipv4|ipv6/block/<cidr-with-dash>)");
                continue;
            }
            AffinityState st;
            try {
                st = ValueCodec.decodeAffinity(e.value());
            } catch (CorruptValueException ex) {
                add(Problem.Kind.CORRUPT_AFFINITY, e.key(), ex.getMessage());
                continue;
            }
            if (st == AffinityState.PENDING) {
                add(Problem.Kind.PENDING_AFFINITY, e.key(), "node " + node + " began claiming " + c
                        + " and did not finish (its next claim settles it)");
                continue;
            }
            if (st != AffinityState.CONFIRMED || blocks.get(c) == null && blocks.containsKey(c)) {
                continue;
            }
            AllocationBlock b = blocks.get(c);
            if (b == null) {
                add(Problem.Kind.DANGLING_AFFINITY, e.key(), "node " + node + " holds block " + c + ", which does not exist");
            } else if (!node.equals(b.host())) {
                add(Problem.Kind.DANGLING_AFFINITY, e.key(), "node " + node + " holds block " + c + ", which is affine to "
                        + b.affinity());
            } else {
                confirmedBy.put(c, node);
            }
        }

        Map<String, Map<String, Integer>> held = new HashMap<>();
        for (Map.Entry<Cidr, AllocationBlock> b : blocks.entrySet()) {
            AllocationBlock blk = b.getValue();
            if (blk == null) {
                continue;
            }
            if (blk.host() != null && !blk.host().equals(confirmedBy.get(b.getKey()))) {
                add(Problem.Kind.MISSING_AFFINITY, keys.block(b.getKey()), "block is affine to " + blk.host()
                        + ", but " + keys.affinity(blk.host(), b.getKey()) + " is not a confirmed affinity");
            }
            blk.countsByHandle().forEach((h, n) -> held.computeIfAbsent(h, k -> new TreeMap<>()).put(b.getKey().toString(), n));
        }

        for (EtcdStore.Entry e : store.list(keys.handles(), false)) {
            String id = e.key().substring(keys.handles().length());
            IpamHandle h;
            try {
                h = ValueCodec.decodeHandle(e.value());
            } catch (CorruptValueException ex) {
                add(Problem.Kind.CORRUPT_HANDLE, e.key(), ex.getMessage());
                held.remove(id);
                continue;
            }
            Map<String, Integer> actual = held.remove(id);
            Map<String, Integer> recorded = new TreeMap<>(h.blocks());
            recorded.values().removeIf(n -> n == 0);
            // Counts in corrupt blocks cannot be known: compare only the readable blocks.
            recorded.keySet().removeIf(b -> isCorrupt(blocks, b));
            if (!recorded.equals(actual == null ? Map.of() : actual)) {
                add(Problem.Kind.HANDLE_MISMATCH, e.key(), "handle records " + recorded + ", blocks hold "
                        + (actual == null ? "{}" : actual));
            }
        }
        held.forEach((id, actual) -> add(Problem.Kind.HANDLE_MISMATCH, keys.handle(id), "no handle record, blocks hold " + actual));
        return List.copyOf(problems);
    }

    private static boolean isCorrupt(Map<Cidr, AllocationBlock> blocks, String cidr) {
        try {
            Cidr c = Cidr.parse(cidr);
            return blocks.containsKey(c) && blocks.get(c) == null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private void add(Problem.Kind k, String key, String detail) {
        problems.add(new Problem(k, key, detail));
    }
}
