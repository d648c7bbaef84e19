package dev.weft.ipam.blocks;

import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The common case of a batch of one node's concurrent requests, written as one etcd transaction:
 * allocations from the node's cached blocks and releases of handles this allocator wrote. Every
 * block touched is guarded by its cached revision and every handle by its own (absent, or the
 * revision it was written at), exactly as the single-request writes are; the transaction just
 * carries several of them. A request the batch cannot serve from the cache (no room in the own
 * blocks, a handle not written here, a borrowed block, the same handle twice), and every request
 * of a batch whose transaction lost a race, comes back {@link #ALONE}: the caller then takes the
 * single-request way, which claims, borrows, reads and retries as needed.
 *
 * <p>Called with the allocator's lock held (the cache is the allocator's).
 */
final class BatchWrite {
    /** At most this many requests per transaction: 2 ops each, well under etcd's default 128 ops per transaction. */
    static final int MAX_BATCH = 32;

    sealed interface Request permits Assign, Release {
        String handle();
    }

    record Assign(String handle, Map<String, String> secondary, Family family) implements Request {
    }

    record Release(String handle) implements Request {
    }

    /** The outcome of a request the batch left to the single-request way. */
    static final Object ALONE = new Object();

    private final EtcdStore store;
    private final IpamKeys keys;
    private final Map<Cidr, BlockAllocator.Cached> own;
    private final KnownHandles handles;

    BatchWrite(EtcdStore store, IpamKeys keys, Map<Cidr, BlockAllocator.Cached> own, KnownHandles handles) {
        this.store = store;
        this.keys = keys;
        this.own = own;
        this.handles = handles;
    }

    /**
     * One outcome per request: an {@link Allocation}, {@code Boolean.TRUE} for a release, or
     * {@link #ALONE}; an etcd failure is the same {@link IpamException} for every request written.
     */
    List<Object> write(List<Request> batch) {
        Object[] out = new Object[batch.size()];
        Arrays.fill(out, ALONE);
        Map<Cidr, AllocationBlock> blocks = new TreeMap<>(); // working copies of the blocks written
        Map<String, IpamHandle> records = new LinkedHashMap<>(); // handle → record after (null: deleted)
        List<Cmp> cmps = new ArrayList<>();
        List<Op> ops = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < batch.size(); i++) {
            Request r = batch.get(i);
            if (!seen.add(r.handle())) {
                continue; // one write per handle per transaction
            }
            KnownHandles.Known k = handles.get(r.handle());
            if (r instanceof Assign a) {
                out[i] = assign(a, k, blocks, records, cmps);
            } else if (k != null && release(r.handle(), k, blocks)) {
                cmps.add(EtcdStore.modRevisionIs(keys.handle(r.handle()), k.revision()));
                records.put(r.handle(), null);
                out[i] = Boolean.TRUE;
            }
        }
        if (blocks.isEmpty()) {
            return Arrays.asList(out);
        }
        records.forEach((h, rec) -> ops.add(rec == null ? EtcdStore.delete(keys.handle(h))
                : EtcdStore.put(keys.handle(h), ValueCodec.encodeHandle(rec))));
        List<Op> otherwise = new ArrayList<>();
        for (Map.Entry<Cidr, AllocationBlock> e : blocks.entrySet()) {
            String key = keys.block(e.getKey());
            cmps.add(EtcdStore.modRevisionIs(key, own.get(e.getKey()).revision()));
            ops.add(EtcdStore.put(key, BlockCodec.encode(e.getValue())));
            otherwise.add(EtcdStore.getOp(key));
        }
        TxnResponse t;
        try {
            t = store.txn(cmps, ops, otherwise, describe(batch, out, blocks.keySet()));
        } catch (IpamException e) {
            Arrays.fill(out, e);
            return Arrays.asList(out);
        }
        if (t.isSucceeded()) {
            long rev = t.getHeader().getRevision();
            blocks.forEach((c, b) -> own.put(c, new BlockAllocator.Cached(b, rev)));
            records.forEach((h, rec) -> {
                if (rec == null) {
                    handles.forget(h);
                } else {
                    handles.wrote(h, rec, rev);
                }
            });
            return Arrays.asList(out);
        }
        // Lost a race: keep the blocks as they are now, and let every request go its own way.
        List<GetResponse> now = t.getGetResponses();
        int j = 0;
        for (Cidr c : blocks.keySet()) {
            List<KeyValue> kvs = now.get(j++).getKvs();
            refresh(c, kvs.isEmpty() ? null : kvs.get(0));
        }
        records.keySet().forEach(handles::forget);
        Arrays.fill(out, ALONE);
        return Arrays.asList(out);
    }

    /** What the transaction does, in an error message: as the single-request way says it for a batch of one. */
    private static String describe(List<Request> batch, Object[] out, Set<Cidr> blocks) {
        if (batch.size() == 1) {
            return batch.get(0) instanceof Release r ? "release " + r.handle() : "allocate in " + ((Allocation) out[0]).block();
        }
        return "write " + batch.size() + " requests of this node to " + blocks;
    }

    /** An allocation from the own blocks' working copies, or ALONE. */
    private Object assign(Assign a, KnownHandles.Known k, Map<Cidr, AllocationBlock> blocks, Map<String, IpamHandle> records,
                          List<Cmp> cmps) {
        if (k != null) {
            for (String b : k.record().blocks().keySet()) {
                Cidr c = Cidr.parse(b);
                if (Family.of(c) == a.family()) {
                    return ALONE; // a repeated ADD: the single way gives the address it holds
                }
            }
        }
        for (Map.Entry<Cidr, BlockAllocator.Cached> e : own.entrySet()) {
            Cidr c = e.getKey();
            if (Family.of(c) != a.family()) {
                continue;
            }
            AllocationBlock b = blocks.getOrDefault(c, e.getValue().block());
            AllocationBlock.Assigned x = b.assign(a.handle(), a.secondary());
            if (x == null) {
                continue;
            }
            blocks.put(c, x.block());
            IpamHandle before = k == null ? new IpamHandle(Map.of(), false) : k.record();
            records.put(a.handle(), before.plusOne(c.toString()));
            String hk = keys.handle(a.handle());
            cmps.add(k == null ? EtcdStore.absent(hk) : EtcdStore.modRevisionIs(hk, k.revision()));
            return new Allocation(x.block().address(x.ordinal()), c, a.handle(), x.sequence(), false);
        }
        return ALONE; // the own blocks are full: the single way claims or borrows
    }

    /** Releases {@code handle} from the working copies if every block it names is an own cached one. */
    private boolean release(String handle, KnownHandles.Known k, Map<Cidr, AllocationBlock> blocks) {
        Map<Cidr, AllocationBlock> after = new TreeMap<>();
        for (String b : k.record().blocks().keySet()) {
            Cidr c = Cidr.parse(b);
            BlockAllocator.Cached cached = own.get(c);
            if (cached == null) {
                return false; // a borrowed block: read it the single way
            }
            AllocationBlock cur = blocks.getOrDefault(c, cached.block());
            AllocationBlock rel = cur.release(handle);
            if (rel == cur) {
                return false; // the cache disagrees with the record: let the single way sort it out
            }
            after.put(c, rel);
        }
        blocks.putAll(after);
        return !after.isEmpty();
    }

    private void refresh(Cidr c, KeyValue now) {
        if (now == null) {
            own.remove(c);
            return;
        }
        EtcdStore.Entry e = EtcdStore.entry(now);
        try {
            AllocationBlock b = BlockCodec.decode(c, e.value());
            BlockAllocator.Cached old = own.get(c);
            if (old != null && old.block().host() != null && old.block().host().equals(b.host())) {
                own.put(c, new BlockAllocator.Cached(b, e.modRevision()));
                return;
            }
        } catch (CorruptValueException ex) {
            // dropped below; the single way logs it
        }
        own.remove(c);
    }
}
