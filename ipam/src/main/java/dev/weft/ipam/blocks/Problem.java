package dev.weft.ipam.blocks;

/**
 * Something wrong in the IPAM data, found by {@link BlockAllocator#check()} (for {@code weftctl
 * ipam check}). The allocator never repairs these by overwriting: a corrupt block is skipped.
 *
 * @param kind   what is wrong
 * @param key    the etcd key concerned
 * @param detail a sentence for a human
 */
public record Problem(Kind kind, String key, String detail) {
    public enum Kind {
        /** A block value that is too large, not JSON, or inconsistent; never allocated from nor written. */
        CORRUPT_BLOCK,
        /** A key under the block prefix that names no valid block. */
        BAD_KEY,
        /** A block that lies in no configured pool. */
        BLOCK_OUTSIDE_POOLS,
        /** A block affine to a node that has no affinity record for it. */
        MISSING_AFFINITY,
        /** A confirmed affinity for a block that does not exist, or belongs to another node. */
        DANGLING_AFFINITY,
        /** A claim that stopped after its first phase (a crash, or a claim in progress right now). */
        PENDING_AFFINITY,
        CORRUPT_AFFINITY,
        CORRUPT_HANDLE,
        /** A handle record whose per-block counts disagree with the blocks. */
        HANDLE_MISMATCH,
        /** An address allocated for a node that has no pod holding it ({@link NodePodCheck}). */
        ORPHAN_ALLOCATION,
        /** A pod of the node whose handle holds no address in etcd. */
        POD_WITHOUT_ALLOCATION,
        /** A pod of the node whose recorded address its handle does not hold. */
        POD_ADDRESS_MISMATCH,
        /** A local record of a pod that cannot be read (so the node's pods are not known for sure). */
        UNREADABLE_POD_RECORD,
        /**
         * A block affine to a node that is not registered (gone): an empty one is released by a live
         * weftd after a grace period, one whose addresses are in use stays ({@link GoneNodeCheck}).
         */
        GONE_NODE_BLOCK,
    }

    @Override
    public String toString() {
        return kind + " " + key + ": " + detail;
    }
}
