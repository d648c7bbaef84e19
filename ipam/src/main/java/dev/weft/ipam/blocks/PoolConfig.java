package dev.weft.ipam.blocks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Block IPAM's configuration, read from flannel's net-conf: the pools ({@code Network}, then
 * {@code IPv6Network}, then each entry of the optional {@code Pools}) and the {@code IPAM} object
 * <pre>{"Type":"blocks","BlockSize":26,"IPv6BlockSize":122,"StrictAffinity":false,"MaxBlocksPerHost":20}</pre>
 * A {@code Pools} entry is a CIDR string or {@code {"CIDR":"10.9.0.0/16","BlockSize":27}}.
 *
 * @param pools            validated: no two overlap, every block size within 20–32 (116–128)
 * @param strictAffinity   never borrow addresses from other nodes' blocks
 * @param maxBlocksPerHost blocks one node may hold per family (Calico: 0 means 20)
 */
public record PoolConfig(List<Pool> pools, boolean strictAffinity, int maxBlocksPerHost) {
    /** A net-conf longer than this is refused before parsing. */
    public static final int MAX_NET_CONF_CHARS = 64 * 1024;
    public static final int DEFAULT_MAX_BLOCKS_PER_HOST = 20;
    private static final Set<String> IPAM_KEYS =
            Set.of("Type", "BlockSize", "IPv6BlockSize", "StrictAffinity", "MaxBlocksPerHost");
    private static final ObjectMapper JSON = new ObjectMapper();

    public PoolConfig {
        pools = List.copyOf(pools);
        if (maxBlocksPerHost < 1) {
            throw new IllegalArgumentException("maxBlocksPerHost must be positive, got " + maxBlocksPerHost);
        }
    }

    /** Validated pools with the defaults (not strict, 20 blocks per host). */
    public static PoolConfig of(List<Pool> pools) throws IpamException {
        return validated(pools, false, DEFAULT_MAX_BLOCKS_PER_HOST);
    }

    /** The pools of one family, in configuration order. */
    public List<Pool> pools(Family f) {
        return pools.stream().filter(p -> p.family() == f).toList();
    }

    /** The pool holding {@code block} as one of its blocks, or null. */
    public Pool poolOf(Cidr block) {
        for (Pool p : pools) {
            if (p.hasBlock(block)) {
                return p;
            }
        }
        return null;
    }

    /** Parses a net-conf document; every mistake is an {@link IpamException} with code 7 naming the field. */
    public static PoolConfig fromNetConf(String netConf) throws IpamException {
        if (netConf.length() > MAX_NET_CONF_CHARS) {
            throw invalid("net-conf is longer than " + MAX_NET_CONF_CHARS + " characters");
        }
        JsonNode root;
        try {
            root = JSON.readTree(netConf);
        } catch (JsonProcessingException e) {
            throw invalid("net-conf is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw invalid("net-conf must be a JSON object");
        }
        JsonNode ipam = root.get("IPAM");
        if (ipam == null || !ipam.isObject()) {
            throw invalid("net-conf has no \"IPAM\" object; block IPAM needs {\"Type\":\"blocks\", ...}");
        }
        for (Iterator<String> it = ipam.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!IPAM_KEYS.contains(k)) {
                throw invalid("IPAM: unknown key \"" + k + "\" (known: " + String.join(", ", IPAM_KEYS.stream().sorted().toList()) + ")");
            }
        }
        if (!"blocks".equals(text(ipam, "Type", "IPAM.Type"))) {
            throw invalid("IPAM.Type must be \"blocks\", got " + ipam.get("Type"));
        }
        int v4Size = integer(ipam, "BlockSize", Family.V4.defaultBlockSize(), "IPAM.BlockSize");
        int v6Size = integer(ipam, "IPv6BlockSize", Family.V6.defaultBlockSize(), "IPAM.IPv6BlockSize");
        checkBlockSize(Family.V4, v4Size, "IPAM.BlockSize");
        checkBlockSize(Family.V6, v6Size, "IPAM.IPv6BlockSize");
        JsonNode strict = ipam.get("StrictAffinity");
        if (strict != null && !strict.isBoolean()) {
            throw invalid("IPAM.StrictAffinity must be true or false, got " + strict);
        }
        int max = integer(ipam, "MaxBlocksPerHost", 0, "IPAM.MaxBlocksPerHost");
        if (max < 0) {
            throw invalid("IPAM.MaxBlocksPerHost must not be negative, got " + max);
        }

        List<Pool> pools = new ArrayList<>();
        if (root.hasNonNull("Network")) {
            pools.add(pool(Family.V4, text(root, "Network", "Network"), v4Size, v6Size, "Network"));
        }
        if (root.hasNonNull("IPv6Network")) {
            pools.add(pool(Family.V6, text(root, "IPv6Network", "IPv6Network"), v4Size, v6Size, "IPv6Network"));
        }
        JsonNode extra = root.get("Pools");
        if (extra != null && !extra.isNull()) {
            if (!extra.isArray()) {
                throw invalid("Pools must be a list of CIDRs or {\"CIDR\":..,\"BlockSize\":..} objects");
            }
            for (int i = 0; i < extra.size(); i++) {
                pools.add(extraPool(extra.get(i), v4Size, v6Size, "Pools[" + i + "]"));
            }
        }
        return validated(pools, strict != null && strict.booleanValue(), max == 0 ? DEFAULT_MAX_BLOCKS_PER_HOST : max);
    }

    private static Pool extraPool(JsonNode n, int v4Size, int v6Size, String where) throws IpamException {
        if (n.isTextual()) {
            return pool(null, n.textValue(), v4Size, v6Size, where);
        }
        if (!n.isObject()) {
            throw invalid(where + " must be a CIDR string or an object, got " + n);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            String k = it.next().getKey();
            if (!k.equals("CIDR") && !k.equals("BlockSize")) {
                throw invalid(where + ": unknown key \"" + k + "\" (known: BlockSize, CIDR)");
            }
        }
        Pool p = pool(null, text(n, "CIDR", where + ".CIDR"), v4Size, v6Size, where);
        if (n.has("BlockSize")) {
            int size = integer(n, "BlockSize", 0, where + ".BlockSize");
            checkBlockSize(p.family(), size, where + ".BlockSize");
            p = poolWithSize(p.cidr(), size, where);
        }
        return p;
    }

    private static Pool pool(Family expected, String text, int v4Size, int v6Size, String where) throws IpamException {
        Cidr c;
        try {
            c = Cidr.parse(text);
        } catch (IllegalArgumentException e) {
            throw invalid(where + ": " + e.getMessage());
        }
        Family f = Family.of(c);
        if (expected != null && f != expected) {
            throw invalid(where + " must be an " + (expected == Family.V4 ? "IPv4" : "IPv6") + " network, got " + text);
        }
        return poolWithSize(c, f == Family.V4 ? v4Size : v6Size, where);
    }

    private static Pool poolWithSize(Cidr c, int size, String where) throws IpamException {
        if (c.hasHostBits()) {
            throw invalid(where + ": pool " + c + " has host bits set (the network is " + c.network() + ")");
        }
        if (c.prefixLength() > size) {
            throw invalid(where + ": pool " + c + " is smaller than one block (/" + size + ")");
        }
        return new Pool(c, size);
    }

    private static PoolConfig validated(List<Pool> pools, boolean strict, int max) throws IpamException {
        if (pools.isEmpty()) {
            throw invalid("no address pool: set Network, IPv6Network or Pools");
        }
        for (Pool p : pools) {
            checkBlockSize(p.family(), p.blockSize(), "pool " + p.cidr());
        }
        for (int i = 0; i < pools.size(); i++) {
            for (int j = 0; j < i; j++) {
                if (pools.get(i).cidr().overlaps(pools.get(j).cidr())) {
                    throw invalid("pool " + pools.get(i).cidr() + " overlaps pool " + pools.get(j).cidr());
                }
            }
        }
        return new PoolConfig(pools, strict, max);
    }

    private static void checkBlockSize(Family f, int size, String where) throws IpamException {
        if (size < f.minBlockSize() || size > f.bits()) {
            throw invalid(where + ": block size " + size + " is outside " + f.minBlockSize() + "–" + f.bits()
                    + " for " + (f == Family.V4 ? "IPv4" : "IPv6"));
        }
    }

    private static String text(JsonNode obj, String key, String where) throws IpamException {
        JsonNode n = obj.get(key);
        if (n == null || !n.isTextual()) {
            throw invalid(where + " must be a string, got " + n);
        }
        return n.textValue();
    }

    private static int integer(JsonNode obj, String key, int dflt, String where) throws IpamException {
        JsonNode n = obj.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw invalid(where + " must be an integer, got " + n);
        }
        return n.intValue();
    }

    private static IpamException invalid(String msg) {
        return new IpamException(IpamException.INVALID_CONFIG, msg);
    }
}
