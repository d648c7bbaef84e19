package dev.weft.ipam.blocks;

import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import io.etcd.jetcd.KV;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The whole IPAM tree under a prefix, read at one etcd revision, for {@code weftctl ipam}: every
 * block (decoded, or why it is corrupt), every affinity and every handle record. Read-only, and
 * built from raw key/value entries, so what is found in it can be tested on fixed snapshots.
 */
public final class IpamTree {
    /**
     * A block key as read.
     *
     * @param block      the decoded block, or null when it is corrupt
     * @param corruption why it is corrupt, or null
     */
    public record Block(String key, Cidr cidr, AllocationBlock block, String corruption, long modRevision) {
        public boolean corrupt() {
            return block == null;
        }
    }

    /** An affinity key as read; {@code state} is null when the value is corrupt, and {@code corruption} says why. */
    public record Affinity(String key, String node, Cidr cidr, AffinityState state, String corruption) {
    }

    private final IpamKeys keys;
    private final BlockEntries decoder;
    /** Keys under the block or affinity prefix that name no block. */
    private final List<String> badBlockKeys = new ArrayList<>();
    private final List<String> badAffinityKeys = new ArrayList<>();
    private final TreeMap<Cidr, Block> blocks = new TreeMap<>();
    private final List<Affinity> affinities = new ArrayList<>();
    /** Handle id → its record, or null when the record is corrupt. */
    private final TreeMap<String, IpamHandle> handles = new TreeMap<>();
    /** Handle id → why its record is corrupt. */
    private final TreeMap<String, String> corruptHandles = new TreeMap<>();

    private IpamTree(IpamKeys keys, List<EtcdStore.Entry> entries) {
        this.keys = keys;
        this.decoder = new BlockEntries(keys.prefix());
        for (EtcdStore.Entry e : entries) {
            if (e.key().startsWith(keys.blocks())) {
                addBlock(e);
            } else if (e.key().startsWith(keys.hosts())) {
                addAffinity(e);
            } else if (e.key().startsWith(keys.handles())) {
                String id = e.key().substring(keys.handles().length());
                try {
                    handles.put(id, ValueCodec.decodeHandle(e.value()));
                } catch (CorruptValueException ex) {
                    handles.put(id, null);
                    corruptHandles.put(id, ex.getMessage());
                }
            }
        }
    }

    private void addBlock(EtcdStore.Entry e) {
        Block b = decoder.block(e.key(), e.value(), e.modRevision());
        if (b == null) {
            badBlockKeys.add(e.key());
        } else {
            blocks.put(b.cidr(), b);
        }
    }

    private void addAffinity(EtcdStore.Entry e) {
        Affinity a = decoder.affinity(e.key(), e.value());
        if (a == null) {
            badAffinityKeys.add(e.key());
        } else {
            affinities.add(a);
        }
    }

    /** Reads everything under {@code prefix} at one revision, on the caller's etcd client. */
    public static IpamTree read(KV kv, String prefix, Duration timeout) throws IpamException {
        IpamKeys keys = new IpamKeys(prefix);
        return read(new EtcdStore(kv, timeout), keys);
    }

    static IpamTree read(EtcdStore store, IpamKeys keys) throws IpamException {
        return new IpamTree(keys, store.list(keys.prefix() + "/", false));
    }

    /** A tree from fixed keys and values (revision 0 each): tests, and tools that read etcd otherwise. */
    public static IpamTree of(String prefix, SortedMap<String, String> values) {
        List<EtcdStore.Entry> entries = new ArrayList<>();
        values.forEach((k, v) -> entries.add(new EtcdStore.Entry(k, v, 0)));
        return new IpamTree(new IpamKeys(prefix), entries);
    }

    /** Every block with a well-formed key, in address order (IPv4 first). */
    public List<Block> blocks() {
        return List.copyOf(blocks.values());
    }

    /** Every affinity with a well-formed key, in key order. */
    public List<Affinity> affinities() {
        return Collections.unmodifiableList(affinities);
    }

    /** The affinity record of {@code node} for {@code block}, if there is one. */
    public Optional<Affinity> affinity(String node, Cidr block) {
        String key = keys.affinity(node, block);
        return affinities.stream().filter(a -> a.key().equals(key)).findFirst();
    }

    /** The block that holds address {@code a} (corrupt or not), if any. */
    public Optional<Block> blockOf(IpAddress a) {
        for (Block b : blocks.values()) {
            if (b.cidr().contains(a)) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    /** Handle id → its record (null when corrupt). */
    public Map<String, IpamHandle> handles() {
        return Collections.unmodifiableMap(handles);
    }

    /** Why the record of handle {@code id} is corrupt, or null. */
    String handleCorruption(String id) {
        return corruptHandles.get(id);
    }

    List<String> badBlockKeys() {
        return badBlockKeys;
    }

    List<String> badAffinityKeys() {
        return badAffinityKeys;
    }

    IpamKeys keys() {
        return keys;
    }

    public String handleKey(String id) {
        return keys.handle(id);
    }

    public String prefix() {
        return keys.prefix();
    }

    /** What is inconsistent in the tree, as {@link BlockAllocator#check()} reports it. */
    public List<Problem> problems(PoolConfig config) {
        return new StoreCheck(this, config).run();
    }
}
