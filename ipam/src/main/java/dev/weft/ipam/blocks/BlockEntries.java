package dev.weft.ipam.blocks;

/**
 * Decodes single block and affinity entries of the IPAM tree, as {@link IpamTree} does for a whole
 * listing, so a watcher of the tree (weftd routing other nodes' blocks) decodes only the keys that
 * changed. Every check is the tree's: the key must be the canonical key of its block, the value is
 * bounded before parsing ({@link BlockCodec}), and a corrupt value is reported, never thrown.
 */
public final class BlockEntries {
    private final IpamKeys keys;

    public BlockEntries(String prefix) {
        this.keys = new IpamKeys(prefix);
    }

    /** Where the block keys start ({@code <prefix>/assignment/}). */
    public String blocksDir() {
        return keys.blocks();
    }

    /** Where the affinity keys start ({@code <prefix>/host/}). */
    public String hostsDir() {
        return keys.hosts();
    }

    /** The block under {@code key} (corrupt or not), or null when the key is not a block's canonical key. */
    public IpamTree.Block block(String key, String value, long modRevision) {
        var c = IpamKeys.cidrOf(key);
        if (c == null || !key.equals(keys.block(c))) {
            return null;
        }
        try {
            return new IpamTree.Block(key, c, BlockCodec.decode(c, value), null, modRevision);
        } catch (CorruptValueException ex) {
            return new IpamTree.Block(key, c, null, ex.getMessage(), modRevision);
        }
    }

    /** The affinity under {@code key} (state null when corrupt), or null when the key is not an affinity's canonical key. */
    public IpamTree.Affinity affinity(String key, String value) {
        if (!key.startsWith(keys.hosts())) {
            return null;
        }
        var c = IpamKeys.cidrOf(key);
        String node = keys.nodeOf(key);
        if (c == null || node == null || !key.equals(keys.affinity(node, c))) {
            return null;
        }
        try {
            return new IpamTree.Affinity(key, node, c, ValueCodec.decodeAffinity(value), null);
        } catch (CorruptValueException ex) {
            return new IpamTree.Affinity(key, node, c, null, ex.getMessage());
        }
    }
}
