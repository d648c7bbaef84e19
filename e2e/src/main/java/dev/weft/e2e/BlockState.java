package dev.weft.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.EtcdServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Block IPAM as etcd holds it, read with etcdctl and plain JSON (none of Weft's codecs, so it
 * cross-checks them): each node's blocks (Calico's {@code affinity: "host:<node>"}) and the
 * addresses each node borrowed (allocations whose attributes name a node other than the block's).
 *
 * @param blocks   node → its blocks (CIDRs), sorted
 * @param borrowed node → addresses it holds in other nodes' blocks, sorted
 * @param used     node → every address allocated for it (own blocks and borrowed), sorted
 */
public record BlockState(Map<String, TreeSet<String>> blocks, Map<String, TreeSet<String>> borrowed,
                         Map<String, TreeSet<String>> used) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads every IPv4 block under {@code <etcdPrefix>/ipam/v2}. */
    public static BlockState read(EtcdServer etcd, String etcdPrefix) {
        return read(etcd, etcdPrefix, false);
    }

    /** Reads every IPv4 block, or every IPv6 block, under {@code <etcdPrefix>/ipam/v2}. */
    public static BlockState read(EtcdServer etcd, String etcdPrefix, boolean ipv6) {
        String out = etcd.etcdctl("get", "--prefix", etcdPrefix + "/ipam/v2/assignment/" + (ipv6 ? "ipv6" : "ipv4") + "/block/");
        List<String> lines = out.lines().toList();
        BlockState s = new BlockState(new TreeMap<>(), new TreeMap<>(), new TreeMap<>());
        for (int i = 0; i + 1 < lines.size(); i += 2) {
            try {
                s.add(JSON.readTree(lines.get(i + 1)));
            } catch (IOException e) {
                throw new UncheckedIOException("block " + lines.get(i) + " is not JSON", e);
            }
        }
        return s;
    }

    private void add(JsonNode b) {
        String cidr = b.get("cidr").asText();
        String affinity = b.path("affinity").asText("");
        String owner = affinity.startsWith("host:") ? affinity.substring(5) : null;
        if (owner != null) {
            blocks.computeIfAbsent(owner, k -> new TreeSet<>()).add(cidr);
        }
        JsonNode allocations = b.get("allocations");
        JsonNode attributes = b.get("attributes");
        for (int ord = 0; ord < allocations.size(); ord++) {
            if (allocations.get(ord).isNull()) {
                continue;
            }
            String node = attributes.get(allocations.get(ord).asInt()).path("secondary").path("node").asText(null);
            if (node == null) {
                continue;
            }
            String ip = address(cidr, ord);
            used.computeIfAbsent(node, k -> new TreeSet<>()).add(ip);
            if (!node.equals(owner)) {
                borrowed.computeIfAbsent(node, k -> new TreeSet<>()).add(ip);
            }
        }
    }

    public TreeSet<String> blocksOf(String node) {
        return blocks.getOrDefault(node, new TreeSet<>());
    }

    public TreeSet<String> borrowedBy(String node) {
        return borrowed.getOrDefault(node, new TreeSet<>());
    }

    /** The address at {@code ordinal} in the block {@code cidr} (IPv6 in its short form, as {@code ip} prints it). */
    static String address(String cidr, int ordinal) {
        try {
            byte[] base = InetAddress.getByName(cidr.substring(0, cidr.indexOf('/'))).getAddress();
            byte[] a = new BigInteger(1, base).add(BigInteger.valueOf(ordinal)).toByteArray();
            int n = base.length;
            byte[] out = new byte[n];
            System.arraycopy(a, Math.max(0, a.length - n), out, Math.max(0, n - a.length), Math.min(n, a.length));
            String text = InetAddress.getByAddress(out).getHostAddress();
            return n == 4 ? text : dev.weft.net.IpAddress.parse(text).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
