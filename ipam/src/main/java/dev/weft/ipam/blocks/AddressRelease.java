package dev.weft.ipam.blocks;

import dev.weft.ipam.CniErrorCodes;
import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An operator's release of one address ({@code weftctl ipam release --ip}), whoever holds it: the
 * address goes to the tail of its block's free list and its handle record loses it (and goes when
 * it held nothing else), in one transaction guarded by the revisions of both. The caller's
 * {@link Guard} sees the holder as read for each attempt and may refuse; a refusal, an address in
 * no block or not allocated, and a corrupt block or handle are errors, with nothing written.
 */
public final class AddressRelease {
    /**
     * Who holds the address, as read just before the write.
     *
     * @param handle    the handle, or null (Calico allows allocations without one)
     * @param attribute the allocation's attributes (node, pod, ...)
     */
    public record Holder(IpAddress address, String blockKey, String handle, AllocationAttribute attribute) {
    }

    /** Decides whether the address may go; throws to refuse. */
    @FunctionalInterface
    public interface Guard {
        void allow(Holder holder) throws IpamException;
    }

    /** @param handleDeleted the handle record went with its last address */
    public record Released(Holder holder, boolean handleDeleted) {
    }

    private final EtcdStore store;
    private final IpamKeys keys;
    private final int maxRetries;

    public AddressRelease(KV kv, String prefix, Duration timeout) {
        this.store = new EtcdStore(kv, timeout);
        this.keys = new IpamKeys(prefix);
        this.maxRetries = BlockAllocator.Options.defaults().maxRetries();
    }

    public Released release(IpAddress a, Guard guard) throws IpamException {
        for (int attempt = 0; attempt < maxRetries; attempt++) {
            EtcdStore.Entry be = blockOf(a);
            Cidr c = IpamKeys.cidrOf(be.key());
            AllocationBlock blk;
            try {
                blk = BlockCodec.decode(c, be.value());
            } catch (CorruptValueException e) {
                throw refused("block " + be.key() + " is corrupt (" + e.getMessage() + "); it is never rewritten, nothing changed");
            }
            int o = blk.ordinalOf(a);
            if (blk.allocation(o) == AllocationBlock.FREE) {
                throw refused(a + " is not allocated (block " + be.key() + "); nothing changed");
            }
            AllocationAttribute attr = blk.attributes().get(blk.allocation(o));
            Holder holder = new Holder(a, be.key(), attr.handleId(), attr);
            guard.allow(holder);

            List<Cmp> cmps = new ArrayList<>(List.of(EtcdStore.modRevisionIs(be.key(), be.modRevision())));
            List<Op> ops = new ArrayList<>(List.of(EtcdStore.put(be.key(), BlockCodec.encode(blk.releaseAt(o)))));
            boolean handleDeleted = false;
            if (holder.handle() != null) {
                String hk = keys.handle(holder.handle());
                Optional<EtcdStore.Entry> he = store.get(hk);
                if (he.isEmpty()) {
                    cmps.add(EtcdStore.absent(hk)); // the block alone holds it (reported by check as a mismatch)
                } else {
                    IpamHandle left;
                    try {
                        left = ValueCodec.decodeHandle(he.get().value()).minusOne(c.toString());
                    } catch (CorruptValueException e) {
                        throw refused("handle record " + hk + " is corrupt (" + e.getMessage() + "); nothing changed");
                    }
                    cmps.add(EtcdStore.modRevisionIs(hk, he.get().modRevision()));
                    ops.add(left == null ? EtcdStore.delete(hk) : EtcdStore.put(hk, ValueCodec.encodeHandle(left)));
                    handleDeleted = left == null;
                }
            }
            if (store.txn(cmps, ops, List.of(), "release " + a).isSucceeded()) {
                return new Released(holder, handleDeleted);
            }
        }
        throw new IpamException(CniErrorCodes.TRY_AGAIN_LATER, "gave up releasing " + a + " after " + maxRetries
                + " conflicting etcd writes; nothing changed, try again");
    }

    /** The block key holding {@code a} with its value; an error when no block does. */
    private EtcdStore.Entry blockOf(IpAddress a) throws IpamException {
        Family f = Family.of(a);
        for (EtcdStore.Entry k : store.list(keys.blocks(f), true)) {
            Cidr c = IpamKeys.cidrOf(k.key());
            if (c != null && k.key().equals(keys.block(c)) && c.contains(a)) {
                Optional<EtcdStore.Entry> e = store.get(k.key());
                if (e.isPresent()) {
                    return e.get();
                }
            }
        }
        throw refused(a + " is in no block under " + keys.blocks(f) + ", so it is not allocated; nothing changed");
    }

    private static IpamException refused(String msg) {
        return new IpamException(CniErrorCodes.INTERNAL, msg);
    }
}
