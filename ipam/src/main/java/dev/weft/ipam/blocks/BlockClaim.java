package dev.weft.ipam.blocks;

import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import io.etcd.jetcd.kv.TxnResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claiming a free block for a node, Calico's two phases on etcd:
 * <ol>
 * <li>write the node's affinity {@code pending} (only if the key is absent);</li>
 * <li>in one transaction, create the block (only if it does not exist: etcd's create revision 0)
 *     affine to the node, and flip the affinity to {@code confirmed} (only if it is still the
 *     pending one just written).</li>
 * </ol>
 * Of two nodes racing for one block, both may finish phase 1, but only one creates the block; the
 * other deletes its pending affinity and tries the next free block, so no half claim is left. A
 * crash after phase 1 leaves a pending affinity: the node's next claim adopts it (the block is still
 * free: it finishes phase 2) or cleans it up (someone else took the block). Because etcd has
 * multi-key transactions, creation and confirmation need no separate phases (Calico's Kubernetes
 * datastore has none, hence its three).
 *
 * <p>Candidate blocks are scanned from an offset seeded by the node's name, so nodes that start
 * together do not all fight over the pool's first block.
 */
final class BlockClaim {
    private static final Logger LOG = LoggerFactory.getLogger(BlockClaim.class);

    /** Test seam: called after phase 1; throwing there simulates a crash between the phases. */
    interface Hook {
        void afterPending(Cidr block);
    }

    private final EtcdStore store;
    private final IpamKeys keys;
    private final PoolConfig config;
    private final String node;
    private final int maxAttempts;
    private volatile Hook hook = b -> { };
    private volatile boolean fromPoolStart;

    BlockClaim(EtcdStore store, IpamKeys keys, PoolConfig config, String node, int maxAttempts) {
        this.store = store;
        this.keys = keys;
        this.config = config;
        this.node = node;
        this.maxAttempts = maxAttempts;
    }

    void hook(Hook h) {
        this.hook = h;
    }

    /** Test seam: scan every pool from its first block (deterministic races) instead of the seeded offset. */
    void fromPoolStart(boolean b) {
        this.fromPoolStart = b;
    }

    /** A stable per-node number (String.hashCode is specified), spread over 64 bits. */
    static long seed(String node) {
        return (node.hashCode() & 0xffffffffL) * 0x9E3779B97F4A7C15L >>> 1;
    }

    /**
     * Claims one block of {@code family} for the node and hands it to {@code into}; null if every
     * block of the family's pools exists already. Settles this node's pending affinities first.
     */
    BlockAllocator.Cached claim(Family family, int ownBlocks, BlockAllocator into) throws IpamException {
        BlockAllocator.Cached adopted = settlePending(family, into);
        if (adopted != null) {
            return adopted;
        }
        Set<Cidr> existing = new HashSet<>();
        for (EtcdStore.Entry e : store.list(keys.blocks(family), true)) {
            Cidr c = IpamKeys.cidrOf(e.key());
            if (c != null) {
                existing.add(c);
            }
        }
        int attempts = 0;
        for (Pool p : config.pools(family)) {
            long count = p.blockCount();
            long start = fromPoolStart ? 0 : Math.floorMod(seed(node), count);
            // A full pool has every block in `existing`, so this loop ends after at most |existing|+1 steps per pool.
            for (long i = 0; i < count && i <= existing.size(); i++) {
                Cidr c = p.block((start + i) % count);
                if (existing.contains(c)) {
                    continue;
                }
                if (++attempts > maxAttempts) {
                    throw new IpamException(IpamException.TRY_AGAIN_LATER, "node " + node + " lost " + maxAttempts
                            + " block claims in a row to other nodes; try again");
                }
                BlockAllocator.Cached won = claimOne(c, into);
                if (won != null) {
                    LOG.info("node {} claimed block {} ({} of at most {})", node, c, ownBlocks + 1, config.maxBlocksPerHost());
                    return won;
                }
                existing.add(c);
            }
        }
        return null;
    }

    /** Phase 1 then phase 2 for one block; null if another node has it. */
    private BlockAllocator.Cached claimOne(Cidr c, BlockAllocator into) throws IpamException {
        String affKey = keys.affinity(node, c);
        TxnResponse p1 = store.txn(List.of(EtcdStore.absent(affKey)),
                List.of(EtcdStore.put(affKey, ValueCodec.encodeAffinity(AffinityState.PENDING))),
                List.of(EtcdStore.getOp(affKey)), "claim " + c + " (pending)");
        long affRev;
        if (p1.isSucceeded()) {
            affRev = p1.getHeader().getRevision();
        } else {
            // Our own affinity exists already (a claim interrupted earlier): carry on from it.
            var kvs = p1.getGetResponses().get(0).getKvs();
            if (kvs.isEmpty()) {
                return null;
            }
            affRev = kvs.get(0).getModRevision();
        }
        hook.afterPending(c);
        return confirm(c, affKey, affRev, into);
    }

    /** Phase 2: create the block and confirm the affinity atomically, or drop the pending affinity. */
    private BlockAllocator.Cached confirm(Cidr c, String affKey, long affRev, BlockAllocator into) throws IpamException {
        String blockKey = keys.block(c);
        AllocationBlock fresh = AllocationBlock.create(c, node, System.currentTimeMillis() * 1_000_000L);
        TxnResponse p2 = store.txn(
                List.of(EtcdStore.absent(blockKey), EtcdStore.modRevisionIs(affKey, affRev)),
                List.of(EtcdStore.put(blockKey, BlockCodec.encode(fresh)),
                        EtcdStore.put(affKey, ValueCodec.encodeAffinity(AffinityState.CONFIRMED))),
                List.of(), "claim " + c + " (create and confirm)");
        if (p2.isSucceeded()) {
            BlockAllocator.Cached k = new BlockAllocator.Cached(fresh, p2.getHeader().getRevision());
            into.claimed(k);
            return k;
        }
        dropPending(affKey, affRev);
        return null;
    }

    private void dropPending(String affKey, long affRev) throws IpamException {
        store.txn(List.of(EtcdStore.modRevisionIs(affKey, affRev)), List.of(EtcdStore.delete(affKey)), List.of(),
                "drop pending " + affKey);
    }

    /**
     * This node's pending affinities of {@code family}, left by a crash between the phases: a free
     * block is adopted (phase 2 finished), a block that exists as this node's is confirmed, one
     * taken by another node (or corrupt, or outside the pools) has its pending affinity removed.
     */
    private BlockAllocator.Cached settlePending(Family family, BlockAllocator into) throws IpamException {
        for (EtcdStore.Entry aff : store.list(keys.affinities(node, family), false)) {
            Cidr c = IpamKeys.cidrOf(aff.key());
            AffinityState st;
            try {
                st = ValueCodec.decodeAffinity(aff.value());
            } catch (CorruptValueException e) {
                continue; // reported by check(), never overwritten
            }
            if (st != AffinityState.PENDING || c == null) {
                continue;
            }
            if (config.poolOf(c) == null) {
                dropPending(aff.key(), aff.modRevision());
                continue;
            }
            Optional<EtcdStore.Entry> block = store.get(keys.block(c));
            if (block.isEmpty()) {
                LOG.info("node {} adopts its pending claim of block {}", node, c);
                BlockAllocator.Cached k = confirm(c, aff.key(), aff.modRevision(), into);
                if (k != null) {
                    return k;
                }
                continue;
            }
            AllocationBlock b;
            try {
                b = BlockCodec.decode(c, block.get().value());
            } catch (CorruptValueException e) {
                b = null;
            }
            if (b != null && node.equals(b.host())) {
                if (store.txn(List.of(EtcdStore.modRevisionIs(aff.key(), aff.modRevision())),
                        List.of(EtcdStore.put(aff.key(), ValueCodec.encodeAffinity(AffinityState.CONFIRMED))), List.of(),
                        "confirm " + c).isSucceeded()) {
                    BlockAllocator.Cached k = new BlockAllocator.Cached(b, block.get().modRevision());
                    into.claimed(k);
                    return k;
                }
            } else {
                LOG.info("node {} drops its pending claim of block {}: the block is {}", node, c,
                        b == null ? "corrupt" : "affine to " + b.host());
                dropPending(aff.key(), aff.modRevision());
            }
        }
        return null;
    }
}
