package dev.weft.ipam.blocks;

import dev.weft.ipam.IpamException;
import dev.weft.testkit.EtcdServer;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** One real etcd per test class (the test kit's, on loopback) and a jetcd client; each test takes its own key prefix. */
final class EtcdFixture implements AutoCloseable {
    private static final AtomicInteger PREFIXES = new AtomicInteger();
    final EtcdServer etcd;
    final Client client;

    EtcdFixture() {
        etcd = EtcdServer.launch();
        client = Client.builder().endpoints(etcd.endpoint()).build();
    }

    /** A fresh prefix, so tests in one etcd never see each other's keys. */
    static String prefix() {
        return "/weft/ipam-test/" + PREFIXES.incrementAndGet();
    }

    BlockAllocator open(String prefix, PoolConfig config, String node) throws IpamException {
        return BlockAllocator.open(client.getKVClient(), prefix, config, node,
                new BlockAllocator.Options(Duration.ofSeconds(5), 100));
    }

    /** Keys under a prefix, read with etcdctl (independent of the code under test). */
    List<String> keys(String prefix) {
        String out = etcd.etcdctl("get", "--prefix", "--keys-only", "--", prefix);
        return Arrays.stream(out.split("\n")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    String value(String key) {
        return etcd.get(key).orElseThrow(() -> new AssertionError("no key " + key));
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            etcd.close();
        }
    }
}
