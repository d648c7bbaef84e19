package dev.weft.flannel.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.flannel.ipam.BlockIpam;
import dev.weft.flannel.nodes.NodeCodec;
import dev.weft.flannel.nodes.NodeKeys;
import dev.weft.flannel.nodes.NodeRecord;
import dev.weft.flannel.subnet.StoreFlags;
import dev.weft.flannel.subnet.etcd.EtcdKvStore;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.blocks.AffinityState;
import dev.weft.ipam.blocks.IpamTree;
import dev.weft.net.Cidr;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * weftctl nodes: the nodes on block IPAM, which lease no subnet: each registration under
 * {@code <etcd-prefix>/nodes/} (judged as weftd judges them; the rejected ones are listed with
 * their reason) with the node's confirmed blocks from the IPAM tree.
 */
@Command(name = "nodes", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
        description = "The registered nodes (block IPAM: no subnet leases): public IP, backend, expiry, blocks and backend data.")
public final class NodesCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    OutputFlag output = new OutputFlag();

    @Mixin
    StoreFlags store = new StoreFlags();

    /** A registration as read: the node, or why it is not used. */
    record Row(String key, NodeRecord node, String rejected, List<Cidr> blocks) {
    }

    @Override
    public Integer call() throws Exception {
        List<Row> rows = new ArrayList<>();
        try (KvStore kv = store.open()) {
            Map<String, List<Cidr>> blocks = kv instanceof EtcdKvStore etcd ? blocks(etcd) : Map.of();
            NodeKeys keys = new NodeKeys(store.etcdPrefix);
            NodeCodec codec = new NodeCodec(keys);
            for (KvEntry e : kv.list(keys.dir()).entries()) {
                try {
                    NodeRecord n = codec.decode(e);
                    rows.add(new Row(e.key(), n, null, blocks.getOrDefault(n.name(), List.of())));
                } catch (NodeCodec.Rejected r) {
                    rows.add(new Row(e.key().length() > 200 ? e.key().substring(0, 197) + "..." : e.key(), null,
                            r.reason().label() + ": " + r.getMessage(), List.of()));
                }
            }
        }
        long now = System.currentTimeMillis();
        output.print(spec, () -> json(rows, now), () -> table(rows, now));
        return 0;
    }

    /** Confirmed blocks by node, from the IPAM tree under the prefix weftd uses. */
    private Map<String, List<Cidr>> blocks(EtcdKvStore etcd) throws IpamException {
        Map<String, List<Cidr>> out = new TreeMap<>();
        IpamTree tree = IpamTree.read(etcd.client().getKVClient(), BlockIpam.prefixUnder(store.etcdPrefix), IpamSource.ETCD_TIMEOUT);
        for (IpamTree.Affinity a : tree.affinities()) {
            if (a.state() == AffinityState.CONFIRMED && a.node() != null && a.cidr() != null) {
                out.computeIfAbsent(a.node(), k -> new ArrayList<>()).add(a.cidr());
            }
        }
        return out;
    }

    static String json(List<Row> rows, long now) {
        ArrayNode all = JSON.createArrayNode();
        for (Row r : rows) {
            ObjectNode n = all.addObject();
            if (r.node() == null) {
                n.put("key", r.key()).put("rejected", r.rejected());
                continue;
            }
            NodeRecord node = r.node();
            n.put("name", node.name()).put("publicIP", node.attrs().publicIp().toString()).put("backendType", node.attrs().backendType());
            n.set("backendData", node.attrs().backendData());
            ArrayNode b = n.putArray("blocks");
            r.blocks().forEach(c -> b.add(c.toString()));
            n.put("expires", node.expirationEpochMillis() == 0 ? null : Instant.ofEpochMilli(node.expirationEpochMillis()).toString());
            n.put("expiresInSeconds", node.expirationEpochMillis() == 0 ? null : Math.max(0, (node.expirationEpochMillis() - now) / 1000));
        }
        ObjectNode doc = JSON.createObjectNode();
        doc.set("nodes", all);
        return doc.toString();
    }

    static String table(List<Row> rows, long now) {
        TextTable t = new TextTable().row("NODE", "PUBLIC IP", "BACKEND", "EXPIRES IN", "BLOCKS", "BACKEND DATA");
        for (Row r : rows) {
            if (r.node() == null) {
                t.row(r.key(), "-", "-", "-", "-", "ignored (" + r.rejected() + ")");
                continue;
            }
            NodeRecord n = r.node();
            String expires = n.expirationEpochMillis() == 0 ? "never" : Durations.human((n.expirationEpochMillis() - now) / 1000);
            String data = n.attrs().backendData() == null ? "-" : n.attrs().backendData().toString();
            String blocks = r.blocks().isEmpty() ? "-" : String.join(",", r.blocks().stream().map(Cidr::toString).toList());
            t.row(n.name(), n.attrs().publicIp().toString(), n.attrs().backendType(), expires, blocks, data);
        }
        return t.render();
    }
}
