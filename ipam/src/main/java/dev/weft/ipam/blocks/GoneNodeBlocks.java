package dev.weft.ipam.blocks;

import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Gives up what a node that is gone for good held, so other nodes can claim it: each affinity of
 * the node is deleted, together with its block when the block is the node's and no address in it
 * is in use (one transaction per block, guarded by both revisions, so a block that gains an
 * address meanwhile stays). Pending and dangling affinities go too. Blocks still in use stay, as
 * do corrupt values (reported by {@code check()}, never rewritten).
 */
final class GoneNodeBlocks {
    private final EtcdStore store;
    private final IpamKeys keys;

    GoneNodeBlocks(EtcdStore store, IpamKeys keys) {
        this.store = store;
        this.keys = keys;
    }

    /** Returns the number of blocks deleted. */
    int release(String goneNode) throws IpamException {
        int released = 0;
        for (EtcdStore.Entry aff : store.list(keys.affinities(goneNode), false)) {
            Cidr c = IpamKeys.cidrOf(aff.key());
            if (c == null) {
                continue;
            }
            try {
                ValueCodec.decodeAffinity(aff.value());
            } catch (CorruptValueException e) {
                continue;
            }
            List<Cmp> cmps = new ArrayList<>(List.of(EtcdStore.modRevisionIs(aff.key(), aff.modRevision())));
            List<Op> ops = new ArrayList<>(List.of(EtcdStore.delete(aff.key())));
            boolean deletesBlock = false;
            Optional<EtcdStore.Entry> b = store.get(keys.block(c));
            if (b.isPresent()) {
                AllocationBlock blk;
                try {
                    blk = BlockCodec.decode(c, b.get().value());
                } catch (CorruptValueException e) {
                    continue;
                }
                if (goneNode.equals(blk.host())) {
                    if (!blk.isEmpty()) {
                        continue;
                    }
                    cmps.add(EtcdStore.modRevisionIs(b.get().key(), b.get().modRevision()));
                    ops.add(EtcdStore.delete(b.get().key()));
                    deletesBlock = true;
                }
            }
            if (store.txn(cmps, ops, List.of(), "release blocks of " + goneNode).isSucceeded() && deletesBlock) {
                released++;
            }
        }
        return released;
    }
}
