package dev.weft.ipam.blocks;

import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.Op;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calico-style block IPAM for one node, on etcd (contract: {@code shared/specs/cni.md} §4.3).
 *
 * <p>Addresses come, in this order, from the node's own (affine) blocks; from a block newly claimed
 * for the node ({@link BlockClaim}: a pending affinity, then block creation and confirmation in one
 * transaction); and, unless {@code StrictAffinity}, from another node's block (borrowed). Every write
 * is a transaction guarded by the mod revision of what it changes, retried on conflict at most
 * {@link Options#maxRetries()} times. The node's own blocks are cached with their revisions, so an
 * allocation normally costs one transaction and no read: the block and the handle are written
 * together, on the condition that the block is unchanged and the handle new. A conflict's Else
 * branch returns the current values, so a retry needs no extra read either.
 *
 * <p>Calls on one allocator are serialised (Calico serialises a node's IPAM calls with a host-wide
 * lock): a node's threads would otherwise only conflict on their own blocks, each conflict a round
 * trip. Serialised, but not one transaction each: allocations and releases that arrive while a
 * transaction is in flight are written together as the next one ({@link CommitQueue},
 * {@link BatchWrite}), with the same guards, so a busy node pays one etcd commit per batch, and a
 * release of a handle written here needs no read first ({@link KnownHandles}). Nodes are separate
 * allocators and coordinate through etcd alone.
 *
 * <p>Longer than the house's ~450 lines on purpose: each operation here (allocate, release,
 * transfer, releaseAddress) is one compare-and-swap transaction over the same cache of the node's
 * blocks, under the same lock, and they share its conflict handling. The codecs, the two-phase
 * claim, the keys, the store reads and the checks already live in classes of their own.
 */
public final class BlockAllocator {
    private static final Logger LOG = LoggerFactory.getLogger(BlockAllocator.class);
    /** Handles are {@code <network>.<containerID>}; both are short in practice. */
    public static final int MAX_HANDLE_CHARS = 512;

    /**
     * @param requestTimeout bound on every etcd request
     * @param maxRetries     conflicting transactions tolerated per call (Calico: 100)
     */
    public record Options(Duration requestTimeout, int maxRetries) {
        public static Options defaults() {
            return new Options(Duration.ofSeconds(5), 100);
        }
    }

    /** A cached block of this node with the revision it was read or written at. */
    record Cached(AllocationBlock block, long revision) {
    }

    private final EtcdStore store;
    private final IpamKeys keys;
    private final PoolConfig config;
    private final String node;
    private final Options options;
    private final BlockClaim claims;
    /** This node's confirmed blocks, by CIDR. Guarded by {@code this}. */
    private final TreeMap<Cidr, Cached> own = new TreeMap<>();
    /** Addresses this node holds in other nodes' blocks, as host prefixes → their block. Guarded by {@code this}. */
    private final TreeMap<Cidr, Cidr> borrowed = new TreeMap<>();
    /** Told of every change of {@link #announcement()}; null when nobody listens. Guarded by {@code this}. */
    private java.util.function.Consumer<Announcement> announcements;
    private Announcement announced = Announcement.NONE;
    /** Handle records written here, with their revisions. Guarded by {@code this}. */
    private final KnownHandles known = new KnownHandles();
    private final BatchWrite batch;
    private final CommitQueue<BatchWrite.Request> queue;

    private BlockAllocator(KV kv, String prefix, PoolConfig config, String node, Options options) {
        this.store = new EtcdStore(kv, options.requestTimeout());
        this.keys = new IpamKeys(prefix);
        this.config = config;
        this.node = IpamKeys.checkName("node name", node, IpamKeys.MAX_NAME_CHARS);
        this.options = options;
        this.claims = new BlockClaim(store, keys, config, node, options.maxRetries());
        this.batch = new BatchWrite(store, keys, own, known);
        this.queue = new CommitQueue<>(BatchWrite.MAX_BATCH, this::writeBatch);
    }

    private synchronized List<Object> writeBatch(List<BatchWrite.Request> requests) {
        try {
            return batch.write(requests);
        } finally {
            announceIfChanged(); // a lost race may have dropped an own block from the cache
        }
    }

    /** A request through the batch: its outcome, or null when it must take the single-request way. */
    private Object batched(BatchWrite.Request r) throws IpamException {
        Object o = queue.submit(r);
        if (o == BatchWrite.ALONE) {
            return null;
        }
        if (o instanceof IpamException e) {
            throw new IpamException(e.code(), e.getMessage(), e.details(), e); // thrown in every caller of the batch
        }
        if (o instanceof RuntimeException e) {
            throw e;
        }
        if (o instanceof Error e) {
            throw e;
        }
        return o;
    }

    /** Opens the allocator of {@code node} on the caller's etcd client (which keeps its TLS and auth). */
    public static BlockAllocator open(Client client, String prefix, PoolConfig config, String node) throws IpamException {
        return open(client.getKVClient(), prefix, config, node, Options.defaults());
    }

    public static BlockAllocator open(Client client, String prefix, PoolConfig config, String node, Options options)
            throws IpamException {
        return open(client.getKVClient(), prefix, config, node, options);
    }

    /**
     * Opens the allocator: publishes the IPAM config ({@code <prefix>/config}, Calico's shape) if it
     * is missing or differs, and loads this node's confirmed blocks into the cache.
     */
    public static BlockAllocator open(KV kv, String prefix, PoolConfig config, String node, Options options)
            throws IpamException {
        BlockAllocator a = new BlockAllocator(kv, prefix, config, node, options);
        a.publishConfig();
        a.reload();
        return a;
    }

    private void publishConfig() throws IpamException {
        String want = ValueCodec.encodeConfig(config);
        for (int i = 0; i < options.maxRetries(); i++) {
            Optional<EtcdStore.Entry> cur = store.get(keys.config());
            if (cur.isPresent() && cur.get().value().equals(want)) {
                return;
            }
            Cmp cond = cur.isPresent() ? EtcdStore.modRevisionIs(keys.config(), cur.get().modRevision())
                    : EtcdStore.absent(keys.config());
            if (store.txn(List.of(cond), List.of(EtcdStore.put(keys.config(), want)), List.of(), "write IPAM config")
                    .isSucceeded()) {
                if (cur.isPresent()) {
                    LOG.info("IPAM config {} changed from {} to {} (net-conf)", keys.config(), cur.get().value(), want);
                }
                return;
            }
        }
        throw conflict("writing the IPAM config");
    }

    /**
     * Reads this node's confirmed affinities and their blocks again (drops anything cached), and
     * finds the addresses it borrowed in other nodes' blocks (one listing of every block).
     */
    public synchronized void reload() throws IpamException {
        TreeMap<Cidr, Cached> ownBefore = new TreeMap<>(own);
        TreeMap<Cidr, Cidr> borrowedBefore = new TreeMap<>(borrowed);
        try {
            reloadOwn();
            reloadBorrowed();
        } catch (IpamException | RuntimeException e) {
            // etcd unreachable midway: keep what was known (and announced) rather than a half-read
            // view, or an outage would withdraw every block of this node from its BGP peers
            own.clear();
            own.putAll(ownBefore);
            borrowed.clear();
            borrowed.putAll(borrowedBefore);
            throw e;
        }
        announceIfChanged();
    }

    private void reloadBorrowed() throws IpamException {
        borrowed.clear();
        for (Family f : Family.values()) {
            for (EtcdStore.Entry e : store.list(keys.blocks(f), false)) {
                Cidr c = IpamKeys.cidrOf(e.key());
                if (c == null || own.containsKey(c)) {
                    continue;
                }
                try {
                    AllocationBlock b = BlockCodec.decode(c, e.value());
                    if (!node.equals(b.host())) {
                        for (int o : b.ordinalsOfNode(node)) {
                            borrowed.put(Cidr.ofHost(b.address(o)), c);
                        }
                    }
                } catch (CorruptValueException ex) {
                    // check() reports it
                }
            }
        }
    }

    private void reloadOwn() throws IpamException {
        own.clear();
        known.clear();
        for (EtcdStore.Entry e : store.list(keys.affinities(node), false)) {
            Cidr c = IpamKeys.cidrOf(e.key());
            if (c == null || config.poolOf(c) == null) {
                continue;
            }
            try {
                if (ValueCodec.decodeAffinity(e.value()) != AffinityState.CONFIRMED) {
                    continue; // pending: settled by the next claim
                }
            } catch (CorruptValueException ex) {
                continue; // reported by check()
            }
            readOwn(c);
        }
    }

    /** Reads one of this node's blocks into the cache; drops it if it is gone, corrupt or not ours. */
    private Cached readOwn(Cidr c) throws IpamException {
        Optional<EtcdStore.Entry> e = store.get(keys.block(c));
        return cacheOwn(c, e.map(EtcdStore.Entry::value).orElse(null), e.map(EtcdStore.Entry::modRevision).orElse(0L));
    }

    private Cached cacheOwn(Cidr c, String value, long revision) {
        if (value == null) {
            own.remove(c);
            return null;
        }
        try {
            AllocationBlock b = BlockCodec.decode(c, value);
            if (node.equals(b.host())) {
                Cached k = new Cached(b, revision);
                own.put(c, k);
                return k;
            }
            LOG.warn("block {} is affine to {}, not to this node {}; no longer allocating from it", c, b.host(), node);
        } catch (CorruptValueException ex) {
            LOG.warn("block {} is corrupt ({}); not allocating from it", c, ex.getMessage());
        }
        own.remove(c);
        return null;
    }

    void claimed(Cached c) {
        own.put(c.block().cidr(), c);
    }

    // ---------------------------------------------------------------- allocate

    /**
     * An address of {@code family} for {@code handle}. A handle that already holds one of that family
     * gets the same address back (a repeated ADD). Fails with code 999 when no address is left
     * (or only other nodes' with StrictAffinity), 11 when etcd is unreachable or conflicts persist.
     */
    public Allocation allocate(String handle, Attributes attrs, Family family) throws IpamException {
        IpamKeys.checkName("handle", handle, MAX_HANDLE_CHARS);
        Map<String, String> secondary = attrs.forNode(node);
        Object b = batched(new BatchWrite.Assign(handle, secondary, family));
        return b != null ? (Allocation) b : allocateAnnounced(handle, secondary, family);
    }

    /**
     * The single-request way, which alone claims blocks and borrows (the batch serves only room in
     * the own blocks), so it alone can change what the node announces.
     */
    private synchronized Allocation allocateAnnounced(String handle, Map<String, String> secondary, Family family)
            throws IpamException {
        try {
            Allocation a = allocateAlone(handle, secondary, family);
            if (a.borrowed()) {
                borrowed.put(a.hostCidr(), a.block());
            }
            return a;
        } finally {
            announceIfChanged(); // a block claimed on the way counts even when the allocation failed
        }
    }

    /** The single-request way: claims a block or borrows when the own blocks are full, and retries on conflicts. */
    private synchronized Allocation allocateAlone(String handle, Map<String, String> secondary, Family family)
            throws IpamException {
        HandleState hs = HandleState.NEW;
        for (int attempt = 0; attempt < options.maxRetries(); attempt++) {
            Cached from = ownWithSpace(family);
            if (from == null && ownCount(family) < config.maxBlocksPerHost()) {
                Cached c = claims.claim(family, ownCount(family), this);
                if (c != null) {
                    from = c;
                }
            }
            boolean borrowed = false;
            if (from == null && attempt == 0) {
                // Nothing to allocate from: a repeated ADD must still get its address back.
                Allocation already = existingFor(handle, family);
                if (already != null) {
                    return already;
                }
            }
            if (from == null) {
                if (config.strictAffinity()) {
                    throw new IpamException(IpamException.INTERNAL, "no free " + family.keyName() + " address in the "
                            + ownCount(family) + " block(s) of node " + node + ", no block left to claim (MaxBlocksPerHost "
                            + config.maxBlocksPerHost() + "), and StrictAffinity forbids borrowing from other nodes");
                }
                from = borrowable(family);
                borrowed = true;
                if (from == null) {
                    String pools = config.pools(family).stream().map(p -> p.cidr().toString()).toList().toString();
                    throw new IpamException(IpamException.INTERNAL, ownCount(family) < config.maxBlocksPerHost()
                            ? "no free " + family.keyName() + " address left in any pool (" + pools + ")"
                            : "no free " + family.keyName() + " address in any block of " + pools + ", and node " + node
                                    + " may claim no more blocks (MaxBlocksPerHost " + config.maxBlocksPerHost() + ")");
                }
            }
            Outcome o = assignIn(from, handle, secondary, hs, borrowed);
            if (o.allocation != null) {
                return o.allocation;
            }
            hs = o.handleNow;
            if (hs.handle != null) {
                Allocation already = existing(handle, hs.handle, family);
                if (already != null) {
                    return already;
                }
            }
        }
        throw conflict("allocating for " + handle);
    }

    /** The handle as last seen: {@code NEW} (expected absent) or its record at a revision. */
    private record HandleState(IpamHandle handle, long revision) {
        static final HandleState NEW = new HandleState(null, 0);
    }

    /** What one allocation transaction did: an allocation, or (it lost a race) the handle as it is now. */
    private record Outcome(Allocation allocation, HandleState handleNow) {
    }

    private Outcome assignIn(Cached from, String handle, Map<String, String> secondary, HandleState hs, boolean borrowed)
            throws IpamException {
        AllocationBlock.Assigned a = from.block().assign(handle, secondary);
        Cidr c = from.block().cidr();
        IpamHandle newHandle = (hs.handle == null ? new IpamHandle(Map.of(), false) : hs.handle).plusOne(c.toString());
        String blockKey = keys.block(c);
        String handleKey = keys.handle(handle);
        TxnResponse r = store.txn(
                List.of(EtcdStore.modRevisionIs(blockKey, from.revision()),
                        hs.handle == null ? EtcdStore.absent(handleKey) : EtcdStore.modRevisionIs(handleKey, hs.revision)),
                List.of(EtcdStore.put(blockKey, BlockCodec.encode(a.block())),
                        EtcdStore.put(handleKey, ValueCodec.encodeHandle(newHandle))),
                List.of(EtcdStore.getOp(blockKey), EtcdStore.getOp(handleKey)),
                "allocate in " + c);
        if (r.isSucceeded()) {
            long rev = r.getHeader().getRevision();
            if (!borrowed) {
                own.put(c, new Cached(a.block(), rev));
            }
            known.wrote(handle, newHandle, rev);
            return new Outcome(new Allocation(a.block().address(a.ordinal()), c, handle, a.sequence(), borrowed), null);
        }
        // Lost a race: the Else branch carries the current block and handle.
        List<GetResponse> gets = r.getGetResponses();
        KeyValue blockNow = first(gets.get(0));
        if (!borrowed) {
            cacheOwn(c, blockNow == null ? null : EtcdStore.entry(blockNow).value(), blockNow == null ? 0 : blockNow.getModRevision());
        }
        KeyValue handleNow = first(gets.get(1));
        if (handleNow == null) {
            return new Outcome(null, HandleState.NEW);
        }
        EtcdStore.Entry he = EtcdStore.entry(handleNow);
        try {
            return new Outcome(null, new HandleState(ValueCodec.decodeHandle(he.value()), he.modRevision()));
        } catch (CorruptValueException e) {
            throw new IpamException(IpamException.INTERNAL, "handle record " + handleKey + " is corrupt (" + e.getMessage()
                    + "); release the handle first");
        }
    }

    private static KeyValue first(GetResponse g) {
        return g.getKvs().isEmpty() ? null : g.getKvs().get(0);
    }

    /** The address {@code handle} holds in {@code family} according to its handle record, or null. */
    private Allocation existingFor(String handle, Family family) throws IpamException {
        Optional<EtcdStore.Entry> e = store.get(keys.handle(handle));
        if (e.isEmpty()) {
            return null;
        }
        try {
            return existing(handle, ValueCodec.decodeHandle(e.get().value()), family);
        } catch (CorruptValueException ex) {
            return null;
        }
    }

    /** The address {@code handle} already holds in {@code family}, or null. */
    private Allocation existing(String handle, IpamHandle h, Family family) throws IpamException {
        for (String b : h.blocks().keySet()) {
            Cidr c = parseBlock(b);
            if (c == null || Family.of(c) != family) {
                continue;
            }
            Optional<EtcdStore.Entry> e = store.get(keys.block(c));
            if (e.isEmpty()) {
                continue;
            }
            try {
                AllocationBlock blk = BlockCodec.decode(c, e.get().value());
                List<Integer> ords = blk.ordinalsOf(handle);
                if (!ords.isEmpty()) {
                    int o = ords.get(0);
                    Long seq = blk.sequenceForAllocation().get(o);
                    return new Allocation(blk.address(o), c, handle, seq == null ? 0 : seq, !node.equals(blk.host()));
                }
            } catch (CorruptValueException ex) {
                LOG.warn("block {} named by handle {} is corrupt: {}", c, handle, ex.getMessage());
            }
        }
        return null;
    }

    private Cached ownWithSpace(Family f) {
        for (Cached c : own.values()) {
            if (Family.of(c.block().cidr()) == f && c.block().freeCount() > 0) {
                return c;
            }
        }
        return null;
    }

    private int ownCount(Family f) {
        int n = 0;
        for (Cidr c : own.keySet()) {
            if (Family.of(c) == f) {
                n++;
            }
        }
        return n;
    }

    /** Another node's (or no node's) block with a free address, in an order seeded by this node's name. */
    private Cached borrowable(Family f) throws IpamException {
        List<Cached> found = new ArrayList<>();
        for (EtcdStore.Entry e : store.list(keys.blocks(f), false)) {
            Cidr c = IpamKeys.cidrOf(e.key());
            if (c == null || config.poolOf(c) == null || own.containsKey(c)) {
                continue;
            }
            try {
                AllocationBlock b = BlockCodec.decode(c, e.value());
                if (b.freeCount() > 0 && !node.equals(b.host())) {
                    found.add(new Cached(b, e.modRevision()));
                }
            } catch (CorruptValueException ex) {
                // skipped; check() reports it
            }
        }
        if (found.isEmpty()) {
            return null;
        }
        // Nodes that borrow at once start at different blocks, as Calico's hostname-seeded shuffle does.
        return found.get((int) Math.floorMod(BlockClaim.seed(node), (long) found.size()));
    }

    // ---------------------------------------------------------------- release

    /**
     * Releases every address held by {@code handle} (all families, own or borrowed blocks): each goes
     * to the tail of its block's free list, and the handle record is deleted, all in one transaction.
     * False if the handle holds nothing (a repeated DEL). A corrupt block named by the handle is left
     * as it is (and its addresses with it).
     */
    public boolean release(String handle) throws IpamException {
        IpamKeys.checkName("handle", handle, MAX_HANDLE_CHARS);
        return batched(new BatchWrite.Release(handle)) != null || releaseAnnounced(handle);
    }

    /** The single-request release; a borrowed address given back or an own block lost to a race changes the announcement. */
    private synchronized boolean releaseAnnounced(String handle) throws IpamException {
        try {
            return releaseAlone(handle);
        } finally {
            announceIfChanged();
        }
    }

    private synchronized boolean releaseAlone(String handle) throws IpamException {
        known.forget(handle);
        String handleKey = keys.handle(handle);
        for (int attempt = 0; attempt < options.maxRetries(); attempt++) {
            Optional<EtcdStore.Entry> he = store.get(handleKey);
            if (he.isEmpty()) {
                return false;
            }
            Set<Cidr> named = new HashSet<>();
            try {
                for (String b : ValueCodec.decodeHandle(he.get().value()).blocks().keySet()) {
                    Cidr c = parseBlock(b);
                    if (c != null) {
                        named.add(c);
                    }
                }
            } catch (CorruptValueException e) {
                LOG.warn("handle {} is corrupt ({}); searching every block for it", handleKey, e.getMessage());
                for (Family f : Family.values()) {
                    for (EtcdStore.Entry b : store.list(keys.blocks(f), true)) {
                        Cidr c = IpamKeys.cidrOf(b.key());
                        if (c != null) {
                            named.add(c);
                        }
                    }
                }
            }
            List<Cmp> cmps = new ArrayList<>(List.of(EtcdStore.modRevisionIs(handleKey, he.get().modRevision())));
            List<Op> ops = new ArrayList<>(List.of(EtcdStore.delete(handleKey)));
            Map<Cidr, AllocationBlock> written = new TreeMap<>();
            List<Cidr> unborrowed = new ArrayList<>();
            for (Cidr c : named) {
                Cached cur = own.containsKey(c) && attempt == 0 ? own.get(c) : readAny(c);
                if (cur == null) {
                    continue;
                }
                AllocationBlock after = cur.block().release(handle);
                if (after != cur.block()) {
                    if (!node.equals(cur.block().host())) {
                        for (int o : cur.block().ordinalsOf(handle)) {
                            unborrowed.add(Cidr.ofHost(cur.block().address(o)));
                        }
                    }
                    cmps.add(EtcdStore.modRevisionIs(keys.block(c), cur.revision()));
                    ops.add(EtcdStore.put(keys.block(c), BlockCodec.encode(after)));
                    written.put(c, after);
                }
            }
            TxnResponse r = store.txn(cmps, ops, List.of(), "release " + handle);
            if (r.isSucceeded()) {
                cacheOwn(written, r.getHeader().getRevision());
                unborrowed.forEach(borrowed::remove);
                return true;
            }
            for (Cidr c : written.keySet()) {
                if (own.containsKey(c)) {
                    readOwn(c);
                }
            }
        }
        throw conflict("releasing " + handle);
    }

    /**
     * Hands every address of {@code from} over to the new handle {@code to} (weftd's offline
     * reservations become the pods that used them): the blocks keep the ordinals allocated, the
     * handle record moves, all in one transaction guarded by both handles and the blocks. False if
     * {@code from} holds nothing (already handed over, or released). A {@code to} that exists keeps
     * its addresses and gains these.
     */
    public synchronized boolean transfer(String from, String to, Attributes attrs) throws IpamException {
        IpamKeys.checkName("handle", from, MAX_HANDLE_CHARS);
        IpamKeys.checkName("handle", to, MAX_HANDLE_CHARS);
        Map<String, String> secondary = attrs.forNode(node);
        String fromKey = keys.handle(from);
        String toKey = keys.handle(to);
        known.forget(from);
        known.forget(to);
        for (int attempt = 0; attempt < options.maxRetries(); attempt++) {
            Optional<EtcdStore.Entry> he = store.get(fromKey);
            if (he.isEmpty()) {
                return false;
            }
            Optional<EtcdStore.Entry> te = store.get(toKey);
            IpamHandle h;
            Map<String, Integer> merged;
            try {
                h = ValueCodec.decodeHandle(he.get().value());
                // The pod's handle may hold another family's address already (allocated before etcd went away).
                merged = new TreeMap<>(te.isPresent() ? ValueCodec.decodeHandle(te.get().value()).blocks() : Map.of());
            } catch (CorruptValueException e) {
                throw new IpamException(IpamException.INTERNAL, "handle record " + fromKey + " or " + toKey + " is corrupt ("
                        + e.getMessage() + ")");
            }
            h.blocks().forEach((b, n) -> merged.merge(b, n, Integer::sum));
            List<Cmp> cmps = new ArrayList<>(List.of(EtcdStore.modRevisionIs(fromKey, he.get().modRevision()),
                    te.isPresent() ? EtcdStore.modRevisionIs(toKey, te.get().modRevision()) : EtcdStore.absent(toKey)));
            List<Op> ops = new ArrayList<>(List.of(EtcdStore.delete(fromKey),
                    EtcdStore.put(toKey, ValueCodec.encodeHandle(new IpamHandle(merged, false)))));
            Map<Cidr, AllocationBlock> written = new TreeMap<>();
            for (String b : h.blocks().keySet()) {
                Cidr c = parseBlock(b);
                Cached cur = c == null ? null : readAny(c);
                if (cur == null) {
                    continue;
                }
                AllocationBlock after = cur.block().reassign(from, to, secondary);
                if (after != cur.block()) {
                    cmps.add(EtcdStore.modRevisionIs(keys.block(c), cur.revision()));
                    ops.add(EtcdStore.put(keys.block(c), BlockCodec.encode(after)));
                    written.put(c, after);
                }
            }
            TxnResponse r = store.txn(cmps, ops, List.of(), "hand " + from + " over to " + to);
            if (r.isSucceeded()) {
                cacheOwn(written, r.getHeader().getRevision());
                return true;
            }
        }
        throw conflict("handing " + from + " over to " + to);
    }

    /** After a transaction that wrote {@code written} at {@code rev}: the cache keeps this node's blocks as written. */
    private void cacheOwn(Map<Cidr, AllocationBlock> written, long rev) {
        written.forEach((c, b) -> {
            if (node.equals(b.host())) {
                own.put(c, new Cached(b, rev));
            }
        });
    }

    private static Cidr parseBlock(String s) {
        try {
            Cidr c = Cidr.parse(s);
            return c.hasHostBits() ? null : c;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A block as stored now, or null if it is absent or corrupt (never written then). */
    private Cached readAny(Cidr c) throws IpamException {
        Optional<EtcdStore.Entry> e = store.get(keys.block(c));
        if (e.isEmpty()) {
            return null;
        }
        try {
            return new Cached(BlockCodec.decode(c, e.get().value()), e.get().modRevision());
        } catch (CorruptValueException ex) {
            LOG.warn("block {} is corrupt ({}); leaving it as it is", c, ex.getMessage());
            return null;
        }
    }

    /**
     * Gives up the blocks of a node that is gone for good (see {@link GoneNodeBlocks}); returns the
     * number of blocks deleted. The caller decides that the node is gone (e.g. its registration expired).
     */
    public int releaseBlocksOf(String goneNode) throws IpamException {
        return releaseBlocksOf(goneNode, null, h -> false).released().size();
    }

    /**
     * Gives up the blocks of a node that is gone (see {@link GoneNodeBlocks}): its empty blocks and
     * their affinities are deleted, each in one transaction that also requires
     * {@code registrationKey} (the node's registration; null: no such condition) to be absent, so a
     * node that registers again meanwhile keeps them. Addresses of {@code spare} handles (the gone
     * node's reserve) do not count as in use. Blocks still in use are kept and listed in the result.
     */
    public GoneNodeRelease releaseBlocksOf(String goneNode, String registrationKey, java.util.function.Predicate<String> spare)
            throws IpamException {
        IpamKeys.checkName("node name", goneNode, IpamKeys.MAX_NAME_CHARS);
        if (goneNode.equals(node)) {
            throw new IllegalArgumentException("node " + node + " cannot release its own blocks as a gone node's");
        }
        return new GoneNodeBlocks(store, keys).release(goneNode, registrationKey, spare);
    }

    /**
     * The nodes that hold affinities (blocks, or claims of blocks) but have no registration key
     * {@code <registrations><node>}, this node excepted. Empty when this node's own registration is
     * not there either: then the listing is of the wrong place, or etcd lost the registrations, and
     * no node is taken for gone.
     */
    public Set<String> unregisteredNodes(String registrations) throws IpamException {
        Set<String> registered = new HashSet<>();
        for (EtcdStore.Entry e : store.list(registrations, true)) {
            registered.add(e.key().substring(registrations.length()));
        }
        if (!registered.contains(node)) {
            return Set.of();
        }
        Set<String> out = new java.util.TreeSet<>();
        for (EtcdStore.Entry e : store.list(keys.hosts(), true)) {
            String n = keys.nodeOf(e.key());
            if (n != null && !n.equals(node) && !registered.contains(n)) {
                out.add(n);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- queries

    /** Every address {@code handle} holds, as etcd has them, in block order (CNI CHECK, weftd's journal replay). */
    public synchronized List<Allocation> addressesOf(String handle) throws IpamException {
        IpamKeys.checkName("handle", handle, MAX_HANDLE_CHARS);
        List<Allocation> out = new ArrayList<>();
        Optional<EtcdStore.Entry> he = store.get(keys.handle(handle));
        if (he.isEmpty()) {
            return out;
        }
        IpamHandle h;
        try {
            h = ValueCodec.decodeHandle(he.get().value());
        } catch (CorruptValueException e) {
            return out;
        }
        for (String b : h.blocks().keySet()) {
            Cidr c = parseBlock(b);
            Cached cur = c == null ? null : readAny(c);
            if (cur == null) {
                continue;
            }
            for (int o : cur.block().ordinalsOf(handle)) {
                Long seq = cur.block().sequenceForAllocation().get(o);
                out.add(new Allocation(cur.block().address(o), c, handle, seq == null ? 0 : seq, !node.equals(cur.block().host())));
            }
        }
        return out;
    }

    /**
     * Releases one address of {@code handle}, keeping its others: the block and the handle's count
     * change in one transaction (the handle record goes when its last address does). False if the
     * handle does not hold {@code address}. weftd uses it for an allocation that an etcd timeout
     * reported as failed but etcd applied after all.
     */
    public synchronized boolean releaseAddress(String handle, Allocation address) throws IpamException {
        IpamKeys.checkName("handle", handle, MAX_HANDLE_CHARS);
        String handleKey = keys.handle(handle);
        Cidr c = address.block();
        known.forget(handle);
        for (int attempt = 0; attempt < options.maxRetries(); attempt++) {
            Optional<EtcdStore.Entry> he = store.get(handleKey);
            Cached cur = readAny(c);
            if (he.isEmpty() || cur == null) {
                return false;
            }
            AllocationBlock after = cur.block().release(handle, address.address());
            if (after == cur.block()) {
                return false;
            }
            IpamHandle h;
            try {
                h = ValueCodec.decodeHandle(he.get().value());
            } catch (CorruptValueException e) {
                throw new IpamException(IpamException.INTERNAL, "handle record " + handleKey + " is corrupt (" + e.getMessage() + ")");
            }
            IpamHandle left = h.minusOne(c.toString());
            Op handleOp = left == null ? EtcdStore.delete(handleKey) : EtcdStore.put(handleKey, ValueCodec.encodeHandle(left));
            TxnResponse r = store.txn(
                    List.of(EtcdStore.modRevisionIs(handleKey, he.get().modRevision()),
                            EtcdStore.modRevisionIs(keys.block(c), cur.revision())),
                    List.of(EtcdStore.put(keys.block(c), BlockCodec.encode(after)), handleOp),
                    List.of(), "release " + address.address() + " of " + handle);
            if (r.isSucceeded()) {
                if (node.equals(after.host())) {
                    own.put(c, new Cached(after, r.getHeader().getRevision()));
                } else {
                    borrowed.remove(address.hostCidr());
                    announceIfChanged();
                }
                return true;
            }
        }
        throw conflict("releasing " + address.address() + " of " + handle);
    }

    /**
     * Reads again the blocks this node borrowed addresses from, and forgets (stops announcing) the
     * addresses no longer allocated to it there: released behind its back ({@code weftctl ipam
     * release --ip}), or their block gone. Costs one read per such block, nothing when nothing is
     * borrowed. A corrupt block keeps what was known.
     */
    public synchronized void recheckBorrowed() throws IpamException {
        if (borrowed.isEmpty()) {
            return;
        }
        try {
            for (Cidr c : new java.util.TreeSet<>(borrowed.values())) {
                Optional<EtcdStore.Entry> e = store.get(keys.block(c));
                Set<Cidr> held = new HashSet<>();
                if (e.isPresent()) {
                    try {
                        AllocationBlock b = BlockCodec.decode(c, e.get().value());
                        if (!node.equals(b.host())) { // a block that became this node's is announced whole
                            for (int o : b.ordinalsOfNode(node)) {
                                held.add(Cidr.ofHost(b.address(o)));
                            }
                        }
                    } catch (CorruptValueException ex) {
                        continue; // not known: kept as it was
                    }
                }
                borrowed.entrySet().removeIf(x -> {
                    if (x.getValue().equals(c) && !held.contains(x.getKey())) {
                        LOG.info("{} is no longer allocated to node {} in block {}; no longer announcing it", x.getKey(), node, c);
                        return true;
                    }
                    return false;
                });
            }
        } finally {
            announceIfChanged();
        }
    }

    /** Free addresses of {@code f} in this node's blocks, as cached (for messages while etcd is away). */
    public synchronized int cachedFree(Family f) {
        int n = 0;
        for (Cached c : own.values()) {
            if (Family.of(c.block().cidr()) == f) {
                n += c.block().freeCount();
            }
        }
        return n;
    }

    /** This node's confirmed blocks as cached, in address order. */
    public synchronized List<Cidr> affineBlocks() {
        return List.copyOf(own.keySet());
    }

    /** What this node announces now: its confirmed blocks and its borrowed addresses. */
    public synchronized Announcement announcement() {
        return new Announcement(List.copyOf(own.keySet()), List.copyOf(borrowed.keySet()));
    }

    /**
     * Calls {@code listener} with the current {@link #announcement()} now and after every change
     * (a block claimed or lost, an address borrowed or released). It runs under the allocator's
     * lock, so it must only hand the value on (the bgp backend announces on a thread of its own).
     */
    public synchronized void onAnnouncementChange(java.util.function.Consumer<Announcement> listener) {
        announcements = listener;
        announced = announcement();
        if (listener != null) {
            listener.accept(announced);
        }
    }

    private void announceIfChanged() {
        if (announcements == null) {
            return;
        }
        Announcement now = announcement();
        if (!now.equals(announced)) {
            announced = now;
            announcements.accept(now);
        }
    }

    /** Every handle holding an address for this node, in its own or borrowed blocks (for CNI GC). */
    public Set<String> handles() throws IpamException {
        Set<String> out = new HashSet<>();
        for (Family f : Family.values()) {
            for (EtcdStore.Entry e : store.list(keys.blocks(f), false)) {
                Cidr c = IpamKeys.cidrOf(e.key());
                if (c == null) {
                    continue;
                }
                try {
                    out.addAll(BlockCodec.decode(c, e.value()).handlesOfNode(node));
                } catch (CorruptValueException ex) {
                    // check() reports it
                }
            }
        }
        return out;
    }

    /** Problems in the whole IPAM tree (every node's), for {@code weftctl ipam check}. */
    public List<Problem> check() throws IpamException {
        return IpamTree.read(store, keys).problems(config);
    }

    /** Committed etcd write transactions made by this allocator. */
    public long etcdWrites() {
        return store.writes();
    }

    /** Transactions that lost a compare-and-swap race and were retried. */
    public long etcdConflicts() {
        return store.conflicts();
    }

    public String node() {
        return node;
    }

    void onClaimPhase(BlockClaim.Hook hook) {
        claims.hook(hook);
    }

    void claimFromPoolStart(boolean b) {
        claims.fromPoolStart(b);
    }

    private IpamException conflict(String what) {
        return new IpamException(IpamException.TRY_AGAIN_LATER, "gave up " + what + " after " + options.maxRetries()
                + " conflicting etcd writes; try again");
    }
}
