package dev.weft.ipam.blocks;

import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Gives up what a node that is gone for good held, so other nodes can claim it: each affinity of
 * the node is deleted, together with its block when the block is the node's and no address in it
 * is in use, in one transaction per block guarded by the revisions of everything it touches (and,
 * when the caller names one, by the absence of the node's registration key). So a block that gains
 * an address meanwhile stays, two nodes releasing at once delete each block once (the loser's
 * guard fails), and a node that registers again in between keeps everything. Pending and dangling
 * affinities go too. Blocks still in use stay, and are listed in the result for the caller to
 * report; so do corrupt values (reported by {@code check()}, never rewritten).
 *
 * <p>Addresses held by handles the caller calls spare (weftd's reserve of the gone node: addresses
 * it kept for etcd outages, no pod's) do not count as in use; their handle records go with the block.
 */
final class GoneNodeBlocks {
    private final EtcdStore store;
    private final IpamKeys keys;

    GoneNodeBlocks(EtcdStore store, IpamKeys keys) {
        this.store = store;
        this.keys = keys;
    }

    /**
     * @param registrationKey a key that must be absent for anything to be deleted (the node's
     *                        registration), or null for no such guard
     * @param spare           handles whose addresses do not count as in use
     */
    GoneNodeRelease release(String goneNode, String registrationKey, Predicate<String> spare) throws IpamException {
        List<Cidr> released = new ArrayList<>();
        Map<Cidr, Integer> kept = new TreeMap<>();
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
            if (registrationKey != null) {
                cmps.add(EtcdStore.absent(registrationKey));
            }
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
                    int inUse = inUse(blk, spare);
                    if (inUse > 0) {
                        kept.put(c, inUse);
                        continue;
                    }
                    dropSpareHandles(blk, c, cmps, ops);
                    cmps.add(EtcdStore.modRevisionIs(b.get().key(), b.get().modRevision()));
                    ops.add(EtcdStore.delete(b.get().key()));
                    deletesBlock = true;
                }
            }
            if (store.txn(cmps, ops, List.of(), "release blocks of " + goneNode).isSucceeded() && deletesBlock) {
                released.add(c);
            }
        }
        return new GoneNodeRelease(released, kept);
    }

    /** Addresses of the block that are in use: every allocated one but the spare handles'. */
    private static int inUse(AllocationBlock blk, Predicate<String> spare) {
        int n = 0;
        for (int o = 0; o < blk.size(); o++) {
            int i = blk.allocation(o);
            if (i != AllocationBlock.FREE) {
                String h = blk.attributes().get(i).handleId();
                if (h == null || !spare.test(h)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** The spare handles' records lose this block (and go when it was all they held), guarded by their revisions. */
    private void dropSpareHandles(AllocationBlock blk, Cidr c, List<Cmp> cmps, List<Op> ops) throws IpamException {
        for (String h : blk.countsByHandle().keySet()) {
            String hk = keys.handle(h);
            Optional<EtcdStore.Entry> he = store.get(hk);
            if (he.isEmpty()) {
                cmps.add(EtcdStore.absent(hk));
                continue;
            }
            Map<String, Integer> left;
            try {
                left = new TreeMap<>(ValueCodec.decodeHandle(he.get().value()).blocks());
            } catch (CorruptValueException e) {
                left = new TreeMap<>(); // it names nothing readable; it goes with its addresses
            }
            left.remove(c.toString());
            cmps.add(EtcdStore.modRevisionIs(hk, he.get().modRevision()));
            ops.add(left.isEmpty() ? EtcdStore.delete(hk) : EtcdStore.put(hk, ValueCodec.encodeHandle(new IpamHandle(left, false))));
        }
    }
}
