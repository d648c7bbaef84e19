package dev.weft.ipam.blocks;

import dev.weft.ipam.IpamException;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.OptionsUtil;
import io.etcd.jetcd.options.PutOption;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The few etcd operations block IPAM needs, on the caller's jetcd KV client: get, a paged prefix
 * listing read at one revision, and transactions. Every call is bounded by the request timeout;
 * an unreachable or failing etcd is an {@link IpamException} with code 11 (try again later).
 * Counts committed write transactions, the figure the allocator is measured by.
 */
final class EtcdStore {
    /** Keys per range request; a page that overflows the client's inbound limit is asked for again with half. */
    static final int PAGE_KEYS = 100;

    /** A key with its value and the revision of its last write. */
    record Entry(String key, String value, long modRevision) {
    }

    private final KV kv;
    private final Duration timeout;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong conflicts = new AtomicLong();

    EtcdStore(KV kv, Duration timeout) {
        this.kv = kv;
        this.timeout = timeout;
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    static Entry entry(KeyValue k) {
        return new Entry(k.getKey().toString(StandardCharsets.UTF_8), k.getValue().toString(StandardCharsets.UTF_8),
                k.getModRevision());
    }

    Optional<Entry> get(String key) throws IpamException {
        GetResponse r = await(kv.get(bytes(key)), "get " + key);
        return r.getKvs().isEmpty() ? Optional.empty() : Optional.of(entry(r.getKvs().get(0)));
    }

    /** Every key under {@code prefix}, in key order, read at one revision however many pages it takes. */
    List<Entry> list(String prefix, boolean keysOnly) throws IpamException {
        ByteSequence end = OptionsUtil.prefixEndOf(bytes(prefix));
        ByteSequence from = bytes(prefix);
        List<Entry> all = new ArrayList<>();
        long revision = 0;
        int limit = PAGE_KEYS;
        while (true) {
            GetOption.Builder o = GetOption.builder().withRange(end).withLimit(limit).withKeysOnly(keysOnly);
            if (revision != 0) {
                o.withRevision(revision);
            }
            GetResponse r;
            try {
                r = await(kv.get(from, o.build()), "list " + prefix);
            } catch (IpamException e) {
                if (limit > 1 && isTooLarge(e)) {
                    limit = Math.max(1, limit / 2);
                    continue;
                }
                throw e;
            }
            if (revision == 0) {
                revision = r.getHeader().getRevision();
            }
            for (KeyValue k : r.getKvs()) {
                all.add(entry(k));
            }
            if (!r.isMore() || r.getKvs().isEmpty()) {
                return all;
            }
            byte[] last = r.getKvs().get(r.getKvs().size() - 1).getKey().getBytes();
            from = ByteSequence.from(Arrays.copyOf(last, last.length + 1)); // the smallest key after it
        }
    }

    /** A transaction; a committed one whose Then branch writes counts as one write. */
    TxnResponse txn(List<Cmp> cmps, List<Op> then, List<Op> otherwise, String what) throws IpamException {
        TxnResponse r = await(kv.txn().If(cmps.toArray(new Cmp[0])).Then(then.toArray(new Op[0]))
                .Else(otherwise.toArray(new Op[0])).commit(), what);
        if (r.isSucceeded()) {
            writes.incrementAndGet();
        } else {
            conflicts.incrementAndGet();
        }
        return r;
    }

    static Cmp modRevisionIs(String key, long rev) {
        return new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.modRevision(rev));
    }

    static Cmp absent(String key) {
        return new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.version(0));
    }

    static Op put(String key, String value) {
        return Op.put(bytes(key), bytes(value), PutOption.DEFAULT);
    }

    static Op delete(String key) {
        return Op.delete(bytes(key), DeleteOption.DEFAULT);
    }

    static Op getOp(String key) {
        return Op.get(bytes(key), GetOption.DEFAULT);
    }

    /** Committed write transactions so far. */
    long writes() {
        return writes.get();
    }

    /** Transactions whose comparison failed (another writer got there first). */
    long conflicts() {
        return conflicts.get();
    }

    private static boolean isTooLarge(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                return true;
            }
        }
        return false;
    }

    private <T> T await(CompletableFuture<T> f, String what) throws IpamException {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new IpamException(IpamException.TRY_AGAIN_LATER, "interrupted during etcd " + what, null, e);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new IpamException(IpamException.TRY_AGAIN_LATER, "etcd " + what + " timed out after "
                    + timeout.toMillis() + " ms", null, e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            throw new IpamException(IpamException.TRY_AGAIN_LATER, "etcd " + what + " failed: " + c.getMessage(), null, c);
        }
    }
}
