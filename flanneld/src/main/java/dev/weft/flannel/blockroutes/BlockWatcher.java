package dev.weft.flannel.blockroutes;

import dev.weft.flannel.lease.LeaseValidator;
import dev.weft.flannel.subnet.DecodedPrefix;
import dev.weft.flannel.subnet.Liveness;
import dev.weft.flannel.subnet.ResilientWatch;
import dev.weft.flannel.subnet.SingleThread;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.ipam.blocks.AffinityState;
import dev.weft.ipam.blocks.AllocationBlock;
import dev.weft.ipam.blocks.BlockEntries;
import dev.weft.ipam.blocks.IpamTree;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the IPAM tree's blocks and affinities ({@code <ipam prefix>/assignment/},
 * {@code <ipam prefix>/host/}) and hands on a {@link BlockSet} whenever it changed. Each key is
 * decoded when it is written, never again: a pod ADD rewrites one block, and only that block is
 * parsed. Keys are bounded in length before anything is done with them; a block value is bounded
 * by its block size before it is parsed ({@link BlockEntries}). A corrupt block or affinity is
 * left out (logged once per write): what it holds cannot be known, so it routes nothing.
 */
public final class BlockWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlockWatcher.class);
    /** Longest key looked at: a block or affinity key is a prefix, a node name (≤ 253) and a CIDR. */
    static final int MAX_KEY = 1024;
    /** Keys whose rejection was logged (at which revision); bounded, since anyone who can write etcd picks the keys. */
    static final int REMEMBERED = 4096;

    private final BlockEntries decoder;
    private final String dir;
    private final Consumer<BlockSet> listener;
    private final ScheduledThreadPoolExecutor executor = SingleThread.named("weftd-block-watcher");
    private final Liveness liveness = new Liveness();
    private final ResilientWatch watch;
    /** Decoded blocks and confirmed affinities, by key. Only touched on the executor. */
    private final DecodedPrefix<Routing> keys;
    private final Map<String, Long> logged = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > REMEMBERED;
        }
    };

    private BlockWatcher(KvStore store, String ipamPrefix, Consumer<BlockSet> listener) {
        this.decoder = new BlockEntries(ipamPrefix);
        this.dir = ipamPrefix.endsWith("/") ? ipamPrefix : ipamPrefix + "/";
        this.listener = listener;
        // a corrupt write to a block keeps its last good value: dropping it would withdraw the routes
        // to its pods on every node until a good write came
        this.keys = new DecodedPrefix<>(store, dir, this::decode, this::deliver, true);
        this.watch = new ResilientWatch(store, dir, true, executor, keys, liveness);
    }

    /** Lists the tree, delivers the first set, then follows the changes. */
    public static BlockWatcher start(KvStore store, String ipamPrefix, Consumer<BlockSet> listener) {
        BlockWatcher w = new BlockWatcher(store, ipamPrefix, listener);
        w.watch.start(0);
        return w;
    }

    /** What a key means for routing: a decoded block, or a confirmed affinity (as {@link BlockSet#affinity}). */
    private record Routing(AllocationBlock block, String confirmed) {
    }

    /** Decodes one written key; null when it is not a block or affinity, or corrupt (then the last good value stands). */
    private Routing decode(KvEntry e) {
        String key = e.key();
        if (key.length() > MAX_KEY) {
            reject(e, "key longer than " + MAX_KEY + " characters");
            return null;
        }
        if (key.startsWith(decoder.blocksDir())) {
            IpamTree.Block b = decoder.block(key, e.value(), e.modRevision());
            if (b == null || b.corrupt()) {
                reject(e, b == null ? "not a block key" : b.corruption());
                return null;
            }
            return new Routing(b.block(), null);
        }
        if (key.startsWith(decoder.hostsDir())) {
            IpamTree.Affinity a = decoder.affinity(key, e.value());
            if (a == null || a.state() == null) {
                reject(e, a == null ? "not an affinity key" : a.corruption());
                return null;
            }
            // an unconfirmed claim is kept as routing nothing (not null: null is a corrupt write, which
            // leaves the last good value in place)
            return new Routing(null, a.state() == AffinityState.CONFIRMED ? BlockSet.affinity(a.node(), a.cidr()) : null);
        }
        return null; // handles and the IPAM config: not routing's business
    }

    private void deliver() {
        List<AllocationBlock> blocks = new ArrayList<>();
        Set<String> confirmed = new HashSet<>();
        for (Routing r : keys.values()) {
            if (r.block() != null) {
                blocks.add(r.block());
            } else if (r.confirmed() != null) {
                confirmed.add(r.confirmed());
            }
        }
        listener.accept(new BlockSet(blocks, confirmed));
    }

    private void reject(KvEntry e, String why) {
        Long at = logged.get(e.key());
        if (at != null && at == e.modRevision()) {
            return;
        }
        logged.put(e.key(), e.modRevision());
        LOG.warn("block routes: ignoring {} (revision {}): {}", LeaseValidator.printable(e.key()), e.modRevision(), why);
    }

    /**
     * False once the watcher has been stuck in one piece of work, or failing without recovering,
     * for longer than {@link Liveness#DEFAULT_BOUND}, as the lease watcher (an etcd outage waited
     * out is not being stuck).
     */
    public boolean healthy(Instant now) {
        return liveness.healthy(now);
    }

    /** Times the block watch was re-established (reconnect, re-list). */
    public long restarts() {
        return watch.restarts();
    }

    /** Store and handler failures the block watch recovered from. */
    public long errors() {
        return watch.errors();
    }

    @Override
    public void close() {
        watch.close();
        SingleThread.stop(executor);
    }
}
