package dev.weft.flannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.subnet.etcd.EtcdKvStore;
import dev.weft.flannel.subnet.etcd.EtcdOptions;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.testkit.EtcdServer;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The subnet manager against a real etcd (the test kit's, on loopback). */
class EtcdSubnetManagerTest extends SubnetManagerContract {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static EtcdServer etcd;

    @BeforeAll
    static void launch() {
        etcd = EtcdServer.launch();
    }

    @AfterAll
    static void shutdown() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Override
    protected KvStore openStore() {
        return EtcdKvStore.connect(EtcdOptions.of(etcd.endpoint()).withRequestTimeout(Duration.ofSeconds(2)));
    }

    @Override
    protected void rawPut(String key, String value) {
        etcd.put(key, value);
    }

    @Override
    protected void rawDelete(String key) {
        etcd.etcdctl("del", "--", key);
    }

    @Override
    protected Optional<String> rawGet(String key) {
        return etcd.get(key);
    }

    @Override
    protected void compactNow() {
        etcd.etcdctl("compact", Long.toString(revision()));
    }

    private static long revision() {
        try {
            return JSON.readTree(etcd.etcdctl("get", "/", "-w", "json")).path("header").path("revision").asLong();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode getJson(String key) throws Exception {
        return JSON.readTree(etcd.etcdctl("get", "-w", "json", "--", key)).path("kvs").path(0);
    }

    @Test
    void aLeaseIsAnEtcdLeaseWithTheConfiguredTtl() throws Exception {
        config(CONFIG);
        Lease l = manager(options(Duration.ofSeconds(120), Duration.ofSeconds(60))).acquireLease(Nodes.node(90), null);
        long id = getJson(key(l.subnet())).path("lease").asLong();
        assertNotEquals(0, id);
        JsonNode ttl = JSON.readTree(etcd.etcdctl("lease", "timetolive", Long.toHexString(id), "-w", "json"));
        assertEquals(120, ttl.path("granted-ttl").asLong());
        assertTrue(ttl.path("ttl").asLong() > 100);
    }

    @Test
    void reservationsKeepNoEtcdLease() throws Exception {
        config(CONFIG);
        rawPut(key(cidr("10.5.201.0/24")), Nodes.node(91).toJson());
        Lease l = manager().acquireLease(Nodes.node(91, 0x91), null);
        assertTrue(l.isReservation());
        assertEquals(0, getJson(key(l.subnet())).path("lease").asLong());
        assertEquals(Optional.of(Nodes.node(91, 0x91).toJson()), rawGet(key(l.subnet())));
    }

    /**
     * etcd goes away for longer than a renew interval but shorter than the TTL: the renewal that
     * falls into the outage is retried and succeeds once etcd is back; a watcher reconnects and
     * sees what was written after the restart.
     */
    @Test
    void etcdOutageShorterThanTheTtlLosesNothing() {
        config(CONFIG);
        SubnetManager m = manager(options(Duration.ofSeconds(12), Duration.ofSeconds(9))); // renew 3 s in
        Lease a = m.acquireLease(Nodes.node(92), null);
        long acquiredAt = System.currentTimeMillis();
        LeaseRenewer keeper = track(m.keepLease(a, l -> { }));
        EventLog log = new EventLog();
        watch(manager(), () -> null, log);
        log.awaitSnapshot(WAIT);

        etcd.stop();
        Await.sleep(Math.max(0, acquiredAt + 5_000 - System.currentTimeMillis()));
        assertEquals(0, keeper.renewals(), "the renewal fell into the outage");
        etcd.start();

        rawPut(key(cidr("10.5.222.0/24")), Nodes.node(93).toJson());
        log.awaitAdded(cidr("10.5.222.0/24"), Duration.ofSeconds(20));
        Await.until(Duration.ofSeconds(20), () -> keeper.renewals() >= 1, () -> "a renewal after the outage");
        assertEquals(0, keeper.reacquisitions());
        assertEquals(a.subnet(), keeper.current().subnet());
        assertEquals(Optional.of(a.attrs().toJson()), rawGet(key(a.subnet())));
    }

    /**
     * gRPC refuses inbound messages over 4 MiB by default; one listing of the subnets must not be
     * one message, or every acquisition and re-list fails for good once the cluster is that large.
     */
    @Test
    void moreThanFourMebibytesOfLeasesStillListAndWatch() {
        config("{\"Network\":\"10.0.0.0/8\",\"SubnetLen\":24,\"Backend\":{\"Type\":\"vxlan\"}}");
        int n = 1_200;
        String pad = "x".repeat(3_800); // a field flannel ignores; the value stays under the 4096 cap
        long bytes = 0;
        try (KvStore admin = openStore()) {
            for (int i = 0; i < n; i++) {
                String value = String.format("{\"PublicIP\":\"172.16.%d.%d\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
                        + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0e:00:00:00:%02x:%02x\"},\"Pad\":\"%s\"}",
                        i / 200, i % 200 + 1, i >> 8, i & 0xff, pad);
                String key = key(cidr(String.format("10.%d.%d.0/24", 1 + i / 256, i % 256)));
                admin.put(key, value, null);
                bytes += key.length() + value.length();
            }
        }
        assertTrue(bytes > 4L << 20, "bytes under the prefix: " + bytes);
        EventLog log = new EventLog();
        watch(manager(), () -> null, log);
        assertEquals(n, log.awaitSnapshot(Duration.ofSeconds(30)).leases().size());
        Lease mine = manager().acquireLease(Nodes.node(1), null);
        assertEquals(mine.attrs(), log.awaitAdded(mine.subnet(), WAIT).lease().attrs());
        assertEquals(n + 1, manager().leases().size());
    }
}
