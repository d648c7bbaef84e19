package dev.weft.flannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.subnet.etcd.EtcdKvStore;
import dev.weft.flannel.subnet.etcd.EtcdOptions;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.testkit.EtcdServer;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.lease.LeaseValidator.Reason;
import dev.weft.net.Cidr;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
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

    /**
     * A listener slower than the store: the watch responses waiting for it are bounded; past the
     * bound the watch is dropped and resumed, and nothing is lost.
     */
    @Test
    void aSlowListenerLosesNothingAndQueuesBoundedly() throws Exception {
        config("{\"Network\":\"10.0.0.0/8\",\"SubnetLen\":24,\"Backend\":{\"Type\":\"vxlan\"}}");
        CountDownLatch release = new CountDownLatch(1);
        EventLog log = new EventLog();
        Consumer<LeaseEvent> slow = log.hangingOnAdded(release);
        int n = ResilientWatch.MAX_QUEUED + 200;
        LeaseWatcher w;
        try (StderrCapture err = new StderrCapture(); KvStore admin = openStore()) {
            w = track(manager().watchLeases(() -> null, slow));
            log.awaitSnapshot(WAIT);
            for (int i = 0; i < n; i++) {
                admin.put(key(cidr(String.format("10.%d.%d.0/24", 1 + i / 256, i % 256))),
                        Nodes.node(1 + i % 250, i).toJson().replace("192.168.64.", "192.168." + (65 + i / 250) + "."), null);
            }
            Await.until(WAIT, () -> err.text().contains("watch responses waiting"), () -> "the watch to be dropped");
            release.countDown();
            Await.until(Duration.ofSeconds(30), () -> w.leases().size() == n, () -> w.leases().size() + " of " + n + " leases");
        }
        Set<Cidr> delivered = new HashSet<>();
        for (LeaseEvent e : log.all()) {
            if (e instanceof LeaseEvent.Added a) {
                delivered.add(a.lease().subnet());
            } else if (e instanceof LeaseEvent.Snapshot s) {
                s.added().forEach(l -> delivered.add(l.subnet()));
            }
        }
        assertEquals(n, delivered.size());
    }

    /**
     * A lease that names another node's VtepMAC or PublicIP would move that node's FDB entry or
     * route to itself. The first by creation revision keeps it; the copy is never delivered until
     * the holder goes away. The holder restarting (re-taking its own key) stays the holder.
     */
    @Test
    void aLeaseCopyingAnotherNodesVtepMacOrPublicIpIsNotUsed() {
        config(CONFIG);
        Lease a = manager().acquireLease(Nodes.node(100), cidr("10.5.30.0/24"));
        assertEquals(cidr("10.5.30.0/24"), a.subnet());
        SubnetManager m = manager();
        EventLog log = new EventLog();
        watch(m, () -> null, log);
        log.awaitSnapshot(WAIT);
        String s = prefix + "/subnets/";
        rawPut(s + "10.5.250.0-24", Nodes.node(101, 100).toJson()); // a's VtepMAC, its own PublicIP
        rawPut(s + "10.5.251.0-24", Nodes.node(100, 0x102).toJson()); // a's PublicIP, its own VtepMAC
        Lease ok = manager().acquireLease(Nodes.node(103), null);
        log.awaitAdded(ok.subnet(), WAIT);
        assertFalse(log.mentions(cidr("10.5.250.0/24")) || log.mentions(cidr("10.5.251.0/24")), log.toString());
        assertEquals(1, m.validator().rejections(Reason.DUPLICATE_VTEP_MAC), m.validator().rejections().toString());
        assertEquals(1, m.validator().rejections(Reason.DUPLICATE_PUBLIC_IP), m.validator().rejections().toString());

        // a restarts (its VtepMAC kept in the state dir): it re-takes its own lease, the first
        // with its PublicIP, although the copy sorts first in the listing
        Lease again = manager().acquireLease(Nodes.node(100), null);
        assertEquals(a.subnet(), again.subnet());
        assertEquals(Optional.of(Nodes.node(100, 0x102).toJson()), rawGet(s + "10.5.251.0-24"));

        // a listing sorts them out the same way
        EventLog fresh = new EventLog();
        watch(manager(), () -> null, fresh);
        assertEquals(Set.of(a.subnet(), ok.subnet()),
                Set.copyOf(fresh.awaitSnapshot(WAIT).leases().stream().map(Lease::subnet).toList()));

        // once the holder is gone, the copies hold their claims alone and are used
        rawDelete(key(a.subnet()));
        log.awaitRemoved(a.subnet(), WAIT);
        log.awaitAdded(cidr("10.5.250.0/24"), WAIT);
        log.awaitAdded(cidr("10.5.251.0/24"), WAIT);
    }
}
