package dev.weft.flannel.ipam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.flannel.subnet.etcd.EtcdKvStore;
import dev.weft.flannel.subnet.etcd.EtcdOptions;
import dev.weft.ipam.blocks.BlockAllocator;
import dev.weft.ipam.blocks.Pool;
import dev.weft.ipam.blocks.PoolConfig;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.testkit.EtcdServer;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real etcd for a test class, block IPAM on it, and readers of what etcd holds (through etcdctl,
 * not the code under test). A test class holds it as {@code @RegisterExtension static final}: etcd
 * starts with the class and stops after its last test.
 */
final class IpamEtcd implements AutoCloseable, AfterAllCallback {
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static final ObjectMapper JSON = new ObjectMapper();
    final EtcdServer etcd = EtcdServer.launch();
    /** weftd's own client (the one its block IPAM is given), so outages here meet its reconnect behaviour. */
    private final EtcdKvStore store = EtcdKvStore.connect(EtcdOptions.of(etcd.endpoint()));
    final Client client = store.client();

    IpamEtcd() {
        // The client's first request connects; on a loaded machine that can outlast the 1 s request
        // timeout the tests give block IPAM, so it is made here, waited for as long as it takes.
        try {
            client.getKVClient().get(io.etcd.jetcd.ByteSequence.from("/warm-up", java.nio.charset.StandardCharsets.UTF_8))
                    .get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            close();
            throw new IllegalStateException("etcd at " + etcd.endpoint() + " does not answer", e);
        }
    }

    static String prefix() {
        return "/weft/ipamd-test/" + PREFIXES.incrementAndGet();
    }

    static PoolConfig pool(String cidr) throws Exception {
        return pool(cidr, 26, false);
    }

    static PoolConfig pool(String cidr, int blockSize, boolean strictAffinity) throws Exception {
        return new PoolConfig(List.of(new Pool(Cidr.parse(cidr), blockSize)), strictAffinity, 20);
    }

    /** The keys under {@code prefix}, read with etcdctl. */
    List<String> keys(String prefix) {
        return etcd.etcdctl("get", "--prefix", "--keys-only", "--", prefix).lines().map(String::strip)
                .filter(k -> !k.isEmpty()).toList();
    }

    BlockIpam start(String prefix, PoolConfig pools, String node, Path dir, int reserve) throws Exception {
        return BlockIpam.start(client, prefix, pools, node, new BlockIpam.Settings(dir.resolve("run/cni.sock"),
                dir.resolve("lib/ipam-journal"), reserve, 200, new BlockAllocator.Options(Duration.ofSeconds(1), 100),
                BlockIpam.Settings.DEFAULT_GONE_NODE_GRACE));
    }

    /** Every key and value under {@code prefix}, as etcdctl prints them. */
    String dump(String prefix) {
        return etcd.etcdctl("get", "--prefix", "--", prefix);
    }

    boolean hasHandle(String prefix, String handle) {
        return etcd.get(prefix + "/handle/" + handle).isPresent();
    }

    /** Address → handle holding it, for every allocated address of every block under {@code prefix}. */
    TreeMap<String, String> holders(String prefix) throws IOException {
        TreeMap<String, String> out = new TreeMap<>();
        String keys = etcd.etcdctl("get", "--prefix", "--keys-only", "--", prefix + "/assignment/");
        for (String k : keys.split("\n")) {
            if (k.isBlank()) {
                continue;
            }
            JsonNode b = JSON.readTree(etcd.get(k.strip()).orElseThrow());
            Cidr c = Cidr.parse(b.get("cidr").asText());
            JsonNode alloc = b.get("allocations");
            for (int o = 0; o < alloc.size(); o++) {
                if (!alloc.get(o).isNull()) {
                    IpAddress a = c.networkAddress().plus(o);
                    String prev = out.put(a + "/32", b.get("attributes").get(alloc.get(o).asInt()).get("handle_id").asText());
                    if (prev != null) {
                        throw new AssertionError("address " + a + " in two blocks");
                    }
                }
            }
        }
        return out;
    }

    /** The affinity of the block holding {@code a}, read from etcd. */
    String affinityOf(String prefix, Cidr a) throws IOException {
        String keys = etcd.etcdctl("get", "--prefix", "--keys-only", "--", prefix + "/assignment/");
        for (String k : keys.split("\n")) {
            if (!k.isBlank()) {
                JsonNode b = JSON.readTree(etcd.get(k.strip()).orElseThrow());
                if (Cidr.parse(b.get("cidr").asText()).contains(a.address())) {
                    return b.get("affinity").asText();
                }
            }
        }
        return null;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    @Override
    public void close() {
        try {
            store.close();
        } finally {
            etcd.close();
        }
    }
}
