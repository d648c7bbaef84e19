package dev.weft.flannel.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.ipam.blocks.AllocationBlock;
import dev.weft.ipam.blocks.IpamTree;
import dev.weft.ipam.blocks.Pool;
import dev.weft.ipam.blocks.PoolConfig;
import dev.weft.net.Cidr;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What {@code weftctl ipam show} prints, computed from a tree and the pools with no I/O: per pool its
 * blocks and addresses in use out of all, per block its node, affinity state and use.
 */
final class IpamUsage {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A pool: blocks it has in etcd, addresses allocated in them, addresses it has. */
    record PoolRow(Pool pool, int blocks, long inUse, BigInteger total) {
    }

    /**
     * A block, or an affinity whose block does not exist.
     *
     * @param node     the block's node (its affinity, else the node of an affinity record), or null
     * @param affinity confirmed, pending, pendingDeletion, missing (the block names a node that has no
     *                 record), none (a block of no node), corrupt (the block's value), or a record's
     *                 state followed by ", no block"
     * @param used     addresses in use, or -1 when unknown (corrupt, no block)
     */
    record BlockRow(String node, Cidr cidr, String key, String affinity, int used, int free) {
    }

    final List<PoolRow> pools = new ArrayList<>();
    final List<BlockRow> blocks = new ArrayList<>();
    final String prefix;

    IpamUsage(IpamTree tree, PoolConfig config) {
        prefix = tree.prefix();
        Set<String> shown = new HashSet<>();
        for (IpamTree.Block b : tree.blocks()) {
            AllocationBlock blk = b.block();
            if (blk == null) {
                String node = tree.affinities().stream().filter(a -> a.cidr().equals(b.cidr())).map(IpamTree.Affinity::node)
                        .findFirst().orElse(null);
                blocks.add(new BlockRow(node, b.cidr(), b.key(), "corrupt", -1, -1));
                continue;
            }
            String node = blk.host();
            String state = "none";
            if (node != null) {
                IpamTree.Affinity a = tree.affinity(node, b.cidr()).orElse(null);
                state = a == null ? "missing" : a.state() == null ? "corrupt record" : a.state().json();
                if (a != null) {
                    shown.add(a.key());
                }
            }
            blocks.add(new BlockRow(node, b.cidr(), b.key(), state, blk.size() - blk.freeCount(), blk.freeCount()));
        }
        for (IpamTree.Affinity a : tree.affinities()) {
            boolean blockExists = tree.blocks().stream().anyMatch(b -> b.cidr().equals(a.cidr()));
            if (!shown.contains(a.key()) && !blockExists) {
                String state = a.state() == null ? "corrupt record" : a.state().json();
                blocks.add(new BlockRow(a.node(), a.cidr(), a.key(), state + ", no block", -1, -1));
            }
        }
        blocks.sort(Comparator.comparing((BlockRow r) -> r.node() == null ? "\uffff" : r.node()).thenComparing(BlockRow::cidr));
        for (Pool p : config.pools()) {
            int n = 0;
            long used = 0;
            for (BlockRow r : blocks) {
                if (p.hasBlock(r.cidr()) && !r.affinity().endsWith("no block")) {
                    n++;
                    used += Math.max(0, r.used());
                }
            }
            pools.add(new PoolRow(p, n, used, p.cidr().size()));
        }
    }

    String table() {
        TextTable pt = new TextTable().row("POOL", "BLOCK SIZE", "BLOCKS", "IN USE", "TOTAL");
        for (PoolRow p : pools) {
            pt.row(p.pool().cidr().toString(), "/" + p.pool().blockSize(), Integer.toString(p.blocks()),
                    Long.toString(p.inUse()), p.total().toString());
        }
        TextTable bt = new TextTable().row("NODE", "BLOCK", "AFFINITY", "USED", "FREE");
        for (BlockRow b : blocks) {
            bt.row(b.node() == null ? "-" : b.node(), b.cidr().toString(), b.affinity(),
                    b.used() < 0 ? "-" : Integer.toString(b.used()), b.free() < 0 ? "-" : Integer.toString(b.free()));
        }
        return pt.render() + "\n" + bt.render();
    }

    String json() {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("prefix", prefix);
        ArrayNode ps = doc.putArray("pools");
        for (PoolRow p : pools) {
            ps.addObject().put("cidr", p.pool().cidr().toString()).put("blockSize", p.pool().blockSize())
                    .put("blocks", p.blocks()).put("inUse", p.inUse()).put("total", p.total());
        }
        ArrayNode bs = doc.putArray("blocks");
        for (BlockRow b : blocks) {
            ObjectNode o = bs.addObject().put("node", b.node()).put("cidr", b.cidr().toString()).put("key", b.key())
                    .put("affinity", b.affinity());
            if (b.used() < 0) {
                o.putNull("used").putNull("free");
            } else {
                o.put("used", b.used()).put("free", b.free());
            }
        }
        return doc.toString();
    }
}
