package dev.weft.flannel.subnet.etcd;

import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvException;
import dev.weft.flannel.subnet.kv.KvListing;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.flannel.subnet.kv.KvWatch;
import dev.weft.flannel.subnet.kv.KvWatchListener;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.PutResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.OptionsUtil;
import io.etcd.jetcd.options.PutOption;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link KvStore} on etcd v3, doing what flanneld's etcd registry does: a TTL is a freshly granted
 * etcd lease attached to the put; create is a txn {@code If(version(key)==0) Then(Put)}; listing
 * reads each key's remaining TTL with TimeToLive. Every call is bounded by the request timeout,
 * so during an etcd outage callers get a {@link KvException} and retry on their own schedule.
 */
public final class EtcdKvStore implements KvStore {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdKvStore.class);
    /** Keys per range request when listing. */
    static final int PAGE_KEYS = 500;
    /**
     * gRPC's inbound limit, raised from its 4 MiB default: listings are paged, but a watch
     * response is not (a transaction's events arrive in one).
     */
    static final int MAX_INBOUND_BYTES = 32 << 20;

    private final Client client;
    private final KV kv;
    private final Lease leases;
    private final Duration timeout;
    private final String description;

    private EtcdKvStore(Client client, Duration timeout, String description) {
        this.client = client;
        this.kv = client.getKVClient();
        this.leases = client.getLeaseClient();
        this.timeout = timeout;
        this.description = description;
    }

    /** Creates the client; it connects lazily, so this does not fail when etcd is down. */
    public static EtcdKvStore connect(EtcdOptions o) {
        ClientBuilder b = Client.builder().endpoints(o.endpoints().toArray(new String[0]))
                .maxInboundMessageSize(MAX_INBOUND_BYTES)
                .loadBalancerPolicy(SteadyReconnectPolicy.name()); // back within a second of etcd, however long it was gone
        if (o.username() != null && o.password() != null) {
            b.user(bytes(o.username())).password(bytes(o.password()));
        }
        if (o.usesTls()) {
            try {
                b.sslContext(ssl -> {
                    if (o.hasClientCertificate()) {
                        ssl.keyManager(new File(o.certFile()), new File(o.keyFile()));
                    }
                    if (o.caFile() != null) {
                        ssl.trustManager(new File(o.caFile()));
                    }
                    ssl.protocols("TLSv1.3", "TLSv1.2"); // flannel: MinVersion TLS 1.2
                });
            } catch (SSLException | IllegalArgumentException e) {
                throw new KvException("cannot set up TLS for etcd (cert " + o.certFile() + ", key "
                        + o.keyFile() + ", ca " + o.caFile() + "): " + e.getMessage(), e);
            }
        } else {
            LOG.warn("no -etcd-cafile or -etcd-certfile/-etcd-keyfile: connecting to etcd in plain text. This is insecure");
        }
        return new EtcdKvStore(b.build(), o.requestTimeout(), "etcd " + String.join(",", o.endpoints()));
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    static String text(ByteSequence b) {
        return b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public Optional<KvEntry> get(String key) {
        GetResponse r = await(kv.get(bytes(key)), "get " + key);
        if (r.getKvs().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(withExpirations(r.getKvs()).get(0));
    }

    /**
     * Lists in pages of at most {@link #PAGE_KEYS} keys, all read at the first page's revision, so
     * the result is one consistent snapshot however large the prefix (flannel reads it in one
     * response, which fails for good once it passes gRPC's 4 MiB default). A page that still does
     * not fit the inbound limit (huge values) is asked for again with half as many keys.
     */
    @Override
    public KvListing list(String prefix) {
        ByteSequence end = OptionsUtil.prefixEndOf(bytes(prefix));
        ByteSequence from = bytes(prefix);
        List<KeyValue> all = new ArrayList<>();
        long revision = 0;
        int limit = PAGE_KEYS;
        while (true) {
            GetOption.Builder o = GetOption.builder().withRange(end).withLimit(limit);
            if (revision != 0) {
                o.withRevision(revision);
            }
            GetResponse r;
            try {
                r = await(kv.get(from, o.build()), "list " + prefix);
            } catch (KvException e) {
                if (limit > 1 && isTooLarge(e)) {
                    limit = Math.max(1, limit / 2);
                    LOG.warn("listing {}: a page was larger than {} bytes; asking for {} keys at a time", prefix,
                            MAX_INBOUND_BYTES, limit);
                    continue;
                }
                throw e;
            }
            if (revision == 0) {
                revision = r.getHeader().getRevision();
            }
            List<KeyValue> page = r.getKvs();
            all.addAll(page);
            if (!r.isMore() || page.isEmpty()) {
                return new KvListing(withExpirations(all), revision);
            }
            from = justAfter(page.get(page.size() - 1).getKey());
        }
    }

    /** The smallest key after {@code key}: the key with a zero byte appended. */
    private static ByteSequence justAfter(ByteSequence key) {
        byte[] k = key.getBytes();
        byte[] next = Arrays.copyOf(k, k.length + 1);
        return ByteSequence.from(next);
    }

    private static boolean isTooLarge(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                return true;
            }
        }
        return false;
    }

    /** Entries with their TTLs resolved; all TimeToLive calls run concurrently (flannel makes one per key). */
    List<KvEntry> withExpirations(List<KeyValue> kvs) {
        long now = System.currentTimeMillis();
        Map<Long, CompletableFuture<Long>> ttls = new HashMap<>();
        for (KeyValue k : kvs) {
            if (k.getLease() != 0) {
                ttls.computeIfAbsent(k.getLease(), id -> leases.timeToLive(id, LeaseOption.DEFAULT)
                        .thenApply(t -> t.getTTL()));
            }
        }
        List<KvEntry> out = new ArrayList<>(kvs.size());
        for (KeyValue k : kvs) {
            long exp = 0;
            if (k.getLease() != 0) {
                exp = now + 1000L * Math.max(0, ttlOrZero(ttls.get(k.getLease()), k));
            }
            out.add(new KvEntry(text(k.getKey()), text(k.getValue()), k.getModRevision(), exp, k.getCreateRevision()));
        }
        return out;
    }

    private long ttlOrZero(CompletableFuture<Long> f, KeyValue k) {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KvException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            // flannel skips such a key; it still exists, so we keep it and assume it may expire now.
            LOG.debug("could not read the TTL of {}: {}", text(k.getKey()), e.toString());
            return 0;
        }
    }

    @Override
    public Optional<KvEntry> createIfAbsent(String key, String value, Duration ttl) {
        Cmp absent = new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.version(0));
        return conditionalPut(key, value, ttl, absent, "create " + key);
    }

    @Override
    public Optional<KvEntry> replaceIfValue(String key, String expected, String value, Duration ttl) {
        Cmp same = new Cmp(bytes(key), Cmp.Op.EQUAL, CmpTarget.value(bytes(expected)));
        return conditionalPut(key, value, ttl, same, "replace " + key);
    }

    private Optional<KvEntry> conditionalPut(String key, String value, Duration ttl, Cmp cond, String what) {
        Granted g = grant(ttl, what);
        TxnResponse r;
        try {
            r = await(kv.txn().If(cond).Then(Op.put(bytes(key), bytes(value), putOption(g))).commit(), what);
        } catch (KvException e) {
            revokeQuietly(g);
            throw e;
        }
        if (!r.isSucceeded()) {
            revokeQuietly(g);
            return Optional.empty();
        }
        return Optional.of(new KvEntry(key, value, r.getHeader().getRevision(), g.expiration));
    }

    @Override
    public KvEntry put(String key, String value, Duration ttl) {
        Granted g = grant(ttl, "put " + key);
        PutResponse r;
        try {
            r = await(kv.put(bytes(key), bytes(value), putOption(g)), "put " + key);
        } catch (KvException e) {
            revokeQuietly(g);
            throw e;
        }
        return new KvEntry(key, value, r.getHeader().getRevision(), g.expiration);
    }

    @Override
    public boolean delete(String key) {
        return await(kv.delete(bytes(key)), "delete " + key).getDeleted() > 0;
    }

    @Override
    public KvWatch watch(String key, boolean prefix, long fromRevision, KvWatchListener listener) {
        return EtcdWatch.start(this, client.getWatchClient(), key, prefix, fromRevision, listener);
    }

    /** The client itself, for weftd's other etcd users (block IPAM), which share its TLS and auth. */
    public Client client() {
        return client;
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        client.close();
    }

    // ---------------------------------------------------------------- TTLs as etcd leases

    /** An etcd lease for one write; id 0 means "no TTL". */
    private record Granted(long id, long expiration) {
    }

    private Granted grant(Duration ttl, String what) {
        if (ttl == null || ttl.isZero()) {
            return new Granted(0, 0);
        }
        long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
        long before = System.currentTimeMillis();
        LeaseGrantResponse r = await(leases.grant(seconds), "grant lease for " + what);
        // etcd may raise a tiny TTL to its minimum; the granted value is what counts.
        return new Granted(r.getID(), before + 1000L * r.getTTL());
    }

    private static PutOption putOption(Granted g) {
        return g.id == 0 ? PutOption.DEFAULT : PutOption.builder().withLeaseId(g.id).build();
    }

    private void revokeQuietly(Granted g) {
        if (g.id != 0) {
            leases.revoke(g.id).exceptionally(t -> {
                LOG.debug("revoking unused etcd lease {} failed: {}", Long.toHexString(g.id), t.toString());
                return null;
            });
        }
    }

    <T> T await(CompletableFuture<T> f, String what) {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new KvException("interrupted during etcd " + what, e);
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new KvException("etcd " + what + " timed out after " + timeout.toMillis() + " ms (" + description + ")", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            throw new KvException("etcd " + what + " failed: " + c.getMessage(), c);
        }
    }

    Duration timeout() {
        return timeout;
    }
}
