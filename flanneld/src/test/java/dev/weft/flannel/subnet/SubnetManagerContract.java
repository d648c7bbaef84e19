package dev.weft.flannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.config.ConfigException;
import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.lease.LeaseValidator.Reason;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Subnet manager behaviour that must hold on every {@link KvStore}: the etcd and file tests run it
 * against a real etcd and a real file.
 */
abstract class SubnetManagerContract {
    static final String CONFIG = "{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";
    static final Duration WAIT = Duration.ofSeconds(10);
    private static final AtomicInteger PREFIXES = new AtomicInteger();

    protected String prefix;
    private final Deque<AutoCloseable> closeables = new ArrayDeque<>();

    /** A store connection for one more node. */
    protected abstract KvStore openStore();

    /** Writes as an administrator would (etcdctl, or the file store directly), without TTL. */
    protected abstract void rawPut(String key, String value);

    protected abstract void rawDelete(String key);

    protected abstract Optional<String> rawGet(String key);

    /** Makes the store drop the history up to now, so older watch revisions are compacted. */
    protected abstract void compactNow();

    @BeforeEach
    void newPrefix() {
        prefix = "/wt-" + PREFIXES.incrementAndGet() + "/network";
    }

    @AfterEach
    void closeAll() throws Exception {
        while (!closeables.isEmpty()) {
            closeables.pop().close();
        }
    }

    protected <T extends AutoCloseable> T track(T c) {
        closeables.push(c);
        return c;
    }

    SubnetManagerOptions options(Duration ttl, Duration margin) {
        return SubnetManagerOptions.defaults().withPrefix(prefix).withLeaseTtl(ttl, margin)
                .withRenewRetryInterval(Duration.ofMillis(300));
    }

    SubnetManager manager() {
        return manager(options(Duration.ofHours(1), Duration.ofMinutes(10)));
    }

    SubnetManager manager(SubnetManagerOptions o) {
        return new SubnetManager(track(openStore()), o);
    }

    void config(String json) {
        rawPut(prefix + "/config", json);
    }

    String key(Cidr subnet) {
        return prefix + "/subnets/" + subnet.toKeyForm();
    }

    LeaseWatcher watch(SubnetManager m, Supplier<Cidr> own, EventLog log) {
        return track(m.watchLeases(own, log));
    }

    static Cidr cidr(String s) {
        return Cidr.parse(s);
    }

    // ---------------------------------------------------------------- config

    @Test
    void missingConfigSaysEtcdV3() {
        ConfigException e = assertThrows(ConfigException.class, () -> manager().getNetworkConfig());
        assertTrue(e.getMessage().contains("flannel config not found"), e.getMessage());
        assertTrue(e.getMessage().contains("Did you create your config using etcdv3 API?"), e.getMessage());
        assertTrue(e.getMessage().contains(prefix + "/config"), e.getMessage());
    }

    @Test
    void readsTheConfig() {
        config("{\"network\":\"10.9.0.0/16\",\"subnetlen\":20,\"backend\":{\"type\":\"host-gw\"}}");
        NetworkConfig c = manager().getNetworkConfig();
        assertEquals(cidr("10.9.0.0/16"), c.network());
        assertEquals(20, c.subnetLen());
        assertEquals("host-gw", c.backendType());
    }

    // ---------------------------------------------------------------- acquisition

    @Test
    void acquiresAndWritesFlannelsExactJson() {
        config(CONFIG);
        LeaseAttrs mine = Nodes.node(1);
        long before = System.currentTimeMillis();
        Lease l = manager().acquireLease(mine, null);
        NetworkConfig c = NetworkConfig.parse(CONFIG);
        assertTrue(c.ipv4().isAllocatable(l.subnet()), l.toString());
        assertEquals(mine, l.attrs());
        assertTrue(l.expirationEpochMillis() >= before + Duration.ofMinutes(59).toMillis(), l.toString());
        assertTrue(l.modRevision() > 0);
        assertEquals(Optional.of(mine.toJson()), rawGet(key(l.subnet())));
        assertTrue(mine.toJson().startsWith("{\"PublicIP\":\"192.168.64.1\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","));
    }

    @Test
    void reusesTheLeaseCarryingOurPublicIp() {
        config(CONFIG);
        Lease first = manager().acquireLease(Nodes.node(7), null);
        // Same node restarted with a new VTEP MAC: same subnet, new attrs.
        LeaseAttrs again = Nodes.node(7, 0x77);
        Lease second = manager().acquireLease(again, null);
        assertEquals(first.subnet(), second.subnet());
        assertEquals(again, second.attrs());
        assertEquals(Optional.of(again.toJson()), rawGet(key(first.subnet())));
        assertTrue(second.modRevision() > first.modRevision());
    }

    @Test
    void deletesOurIncompatibleLeaseAndTakesAnother() {
        config("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.10.0\"}");
        rawPut(key(cidr("10.5.1.0/24")), Nodes.node(8).toJson());
        Lease l = manager().acquireLease(Nodes.node(8), null);
        assertNotEquals(cidr("10.5.1.0/24"), l.subnet());
        assertTrue(l.subnet().address().compareTo(IpAddress.parse("10.5.10.0")) >= 0, l.toString());
        assertEquals(Optional.empty(), rawGet(key(cidr("10.5.1.0/24"))));
    }

    @Test
    void reusesAReservationWithoutGivingItATtl() {
        config(CONFIG);
        rawPut(key(cidr("10.5.200.0/24")), Nodes.node(9).toJson()); // no TTL: a reservation
        Lease l = manager().acquireLease(Nodes.node(9, 0x99), null);
        assertEquals(cidr("10.5.200.0/24"), l.subnet());
        assertTrue(l.isReservation());
    }

    @Test
    void reusesThePreviousSubnetWhenFree() {
        config(CONFIG);
        Lease l = manager().acquireLease(Nodes.node(10), cidr("10.5.77.1/24"));
        assertEquals(cidr("10.5.77.0/24"), l.subnet());
    }

    @Test
    void ignoresAPreviousSubnetThatIsTakenOrIncompatible() {
        config(CONFIG);
        Lease other = manager().acquireLease(Nodes.node(11), cidr("10.5.78.1/24"));
        assertEquals(cidr("10.5.78.0/24"), other.subnet());
        assertNotEquals(other.subnet(), manager().acquireLease(Nodes.node(12), cidr("10.5.78.1/24")).subnet());
        Lease l = manager().acquireLease(Nodes.node(13), cidr("10.9.1.1/24"));
        assertTrue(NetworkConfig.parse(CONFIG).network().contains(l.subnet()));
        Lease l2 = manager().acquireLease(Nodes.node(14), cidr("10.5.79.1/25")); // wrong length
        assertNotEquals(cidr("10.5.79.0/25"), l2.subnet());
    }

    @Test
    void picksRandomlyAmongTheFirstFreeSubnets() {
        Set<Cidr> picked = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            newPrefix(); // an empty network each time
            config(CONFIG);
            Cidr s = manager().acquireLease(Nodes.node(20), null).subnet();
            assertTrue(s.address().compareTo(IpAddress.parse("10.5.100.0")) <= 0, s.toString());
            picked.add(s);
        }
        assertTrue(picked.size() > 1, "six acquisitions in empty networks all got " + picked);
    }

    @Test
    void concurrentNodesGetDistinctSubnets() throws Exception {
        config(CONFIG);
        int n = 20;
        List<SubnetManager> managers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            managers.add(manager());
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Lease>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                SubnetManager m = managers.get(i);
                LeaseAttrs attrs = Nodes.node(100 + i);
                results.add(pool.submit(() -> {
                    go.await();
                    return m.acquireLease(attrs, null);
                }));
            }
            go.countDown();
            Set<Cidr> subnets = new HashSet<>();
            Set<IpAddress> owners = new HashSet<>();
            for (Future<Lease> f : results) {
                Lease l = f.get(60, TimeUnit.SECONDS);
                subnets.add(l.subnet());
                owners.add(l.attrs().publicIp());
                assertEquals(Optional.of(l.attrs().toJson()), rawGet(key(l.subnet())));
            }
            assertEquals(n, subnets.size(), subnets.toString());
            assertEquals(n, owners.size());
            assertEquals(n, managers.get(0).leases().size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void outOfSubnetsIsAClearError() {
        // /22 with /24 subnets: four blocks, flannel skips the first, so exactly three leases fit.
        config("{\"Network\":\"10.5.0.0/22\",\"SubnetLen\":24}");
        Set<Cidr> got = new HashSet<>();
        for (int i = 1; i <= 3; i++) {
            got.add(manager().acquireLease(Nodes.node(30 + i), null).subnet());
        }
        assertEquals(Set.of(cidr("10.5.1.0/24"), cidr("10.5.2.0/24"), cidr("10.5.3.0/24")), got);
        OutOfSubnetsException e = assertThrows(OutOfSubnetsException.class,
                () -> manager().acquireLease(Nodes.node(34), null));
        assertTrue(e.getMessage().startsWith("out of subnets"), e.getMessage());
        assertTrue(e.getMessage().contains("10.5.0.0/22"), e.getMessage());
        assertTrue(e.getMessage().contains("SubnetMin 10.5.1.0"), e.getMessage());
        assertTrue(e.getMessage().contains("SubnetMax 10.5.3.0"), e.getMessage());
    }

    @Test
    void keysThatAreNotCanonicalSubnetsOfTheNetworkBlockNothing() {
        config("{\"Network\":\"10.5.0.0/22\",\"SubnetLen\":24}");
        String s = prefix + "/subnets/";
        rawPut(s + "0.0.0.0-0", "anything");
        rawPut(s + "10.5.0.0-22", Nodes.node(1).toJson());
        rawPut(s + "10.5.1.0-25", Nodes.node(2).toJson());
        rawPut(s + "10.5.1.0-024", Nodes.node(3).toJson());
        rawPut(s + "10.5.2.7-24", Nodes.node(4).toJson());
        rawPut(s + "10.5.3.0-24", "{garbage"); // canonical: it blocks its own subnet, nothing more
        SubnetManager m = manager();
        Set<Cidr> got = new HashSet<>();
        got.add(m.acquireLease(Nodes.node(41), null).subnet());
        got.add(manager().acquireLease(Nodes.node(42), null).subnet());
        assertEquals(Set.of(cidr("10.5.1.0/24"), cidr("10.5.2.0/24")), got);
        assertThrows(OutOfSubnetsException.class, () -> manager().acquireLease(Nodes.node(43), null));
        var v = m.validator();
        assertEquals(3, v.rejections(Reason.WRONG_SUBNET_LENGTH), v.rejections().toString());
        assertEquals(2, v.rejections(Reason.MALFORMED_KEY), v.rejections().toString());
        assertEquals(1, v.rejections(Reason.MALFORMED_VALUE), v.rejections().toString());
        EventLog log = new EventLog();
        watch(manager(), () -> null, log);
        assertEquals(got, Set.copyOf(log.awaitSnapshot(WAIT).leases().stream().map(Lease::subnet).toList()));
    }

    @Test
    void dualStackLeaseKey() {
        config("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/48\"}");
        LeaseAttrs mine = Nodes.dualStack(40);
        Lease l = manager().acquireLease(mine, cidr("10.5.40.1/24"), cidr("fd00:5:0:40::1/64"));
        assertEquals(cidr("10.5.40.0/24"), l.subnet());
        assertEquals(cidr("fd00:5:0:40::/64"), l.subnetV6());
        assertEquals(Optional.of(mine.toJson()), rawGet(prefix + "/subnets/10.5.40.0-24&fd00:5:0:40::-64"));
        Lease other = manager().acquireLease(Nodes.dualStack(41), null);
        assertTrue(NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:5::/48\"}")
                .ipv6().isAllocatable(other.subnetV6()), other.toString());
    }

    // ---------------------------------------------------------------- TTL and renewal

    @Test
    void expiredLeaseIsSeenAsRemovedByAnotherNode() {
        config(CONFIG);
        Lease a = manager(options(Duration.ofSeconds(3), Duration.ofSeconds(1))).acquireLease(Nodes.node(50), null);
        EventLog log = new EventLog();
        watch(manager(), () -> null, log);
        LeaseEvent.Snapshot s = log.awaitSnapshot(WAIT);
        assertEquals(List.of(a.subnet()), s.leases().stream().map(Lease::subnet).toList());
        // nobody renews it
        LeaseEvent.Removed r = log.awaitRemoved(a.subnet(), WAIT);
        assertEquals(a.attrs(), r.lease().attrs(), "Removed carries the attrs the backend must clean up");
        assertEquals(Optional.empty(), rawGet(key(a.subnet())));
        assertEquals(1, log.threads().size(), "events come from one thread");
    }

    @Test
    void renewedLeaseSurvivesThreeTtls() {
        config(CONFIG);
        SubnetManager m = manager(options(Duration.ofSeconds(3), Duration.ofSeconds(2)));
        Lease a = m.acquireLease(Nodes.node(51), null);
        LeaseRenewer keeper = track(m.keepLease(a, l -> { }));
        EventLog log = new EventLog();
        watch(manager(), () -> null, log);
        Await.sleep(9_000);
        assertEquals(Optional.of(a.attrs().toJson()), rawGet(key(a.subnet())));
        assertTrue(keeper.renewals() >= 3, "renewals: " + keeper.renewals());
        assertEquals(0, keeper.reacquisitions());
        assertTrue(keeper.current().expirationEpochMillis() > System.currentTimeMillis());
        assertTrue(log.all().stream().noneMatch(e -> e instanceof LeaseEvent.Removed), log.toString());
        // a renewal rewrites identical attrs: nothing for a backend to do
        assertTrue(log.all().stream().noneMatch(e -> e instanceof LeaseEvent.Added), log.toString());
    }

    @Test
    void ownLeaseDeletedIsAcquiredAgainPreferringTheSameSubnet() {
        config(CONFIG);
        SubnetManager m = manager(options(Duration.ofSeconds(30), Duration.ofSeconds(10)));
        Lease a = m.acquireLease(Nodes.node(52), null);
        // written by the renewer's thread, which counts the re-acquisition before it tells the listener
        List<Lease> changes = new java.util.concurrent.CopyOnWriteArrayList<>();
        LeaseRenewer keeper = track(m.keepLease(a, changes::add));
        try (StderrCapture err = new StderrCapture()) {
            Await.sleep(300); // let the own-key watch start
            rawDelete(key(a.subnet()));
            Await.until(WAIT, () -> keeper.reacquisitions() == 1, () -> "re-acquisition");
            Await.until(WAIT, () -> !changes.isEmpty(), () -> "the listener told of the new lease");
            assertTrue(err.text().contains("Lease has been revoked"), err.text());
        }
        assertEquals(a.subnet(), keeper.current().subnet());
        assertEquals(List.of(keeper.current()), changes);
        Await.until(WAIT, () -> rawGet(key(a.subnet())).equals(Optional.of(a.attrs().toJson())), () -> "lease re-created");
    }

    @Test
    void ownLeaseTakenByAnotherNodeMovesUsElsewhere() {
        config(CONFIG);
        SubnetManager m = manager(options(Duration.ofSeconds(3), Duration.ofSeconds(2)));
        Lease a = m.acquireLease(Nodes.node(53), null);
        LeaseRenewer keeper = track(m.keepLease(a, l -> { }));
        rawPut(key(a.subnet()), Nodes.node(54).toJson()); // someone else's now
        Await.until(WAIT, () -> keeper.reacquisitions() == 1, () -> "re-acquisition");
        assertNotEquals(a.subnet(), keeper.current().subnet());
        assertEquals(Optional.of(Nodes.node(54).toJson()), rawGet(key(a.subnet())), "never overwrite another node");
        assertEquals(Optional.of(a.attrs().toJson()), rawGet(key(keeper.current().subnet())));
    }

    // ---------------------------------------------------------------- watching

    @Test
    void watcherSeesOthersButNotItself() {
        config(CONFIG);
        SubnetManager ma = manager();
        Lease a = ma.acquireLease(Nodes.node(60), null);
        EventLog log = new EventLog();
        watch(ma, a::subnet, log);
        assertEquals(List.of(), log.awaitSnapshot(WAIT).leases());
        Lease b = manager().acquireLease(Nodes.node(61), null);
        assertEquals(b, log.awaitAdded(b.subnet(), WAIT).lease().withWrite(b.expirationEpochMillis(), b.modRevision()));
        // B's VTEP MAC changes: delivered as Added with the new attrs
        manager().acquireLease(Nodes.node(61, 0x61), null);
        log.await(LeaseEvent.Added.class, e -> e.lease().attrs().equals(Nodes.node(61, 0x61)), WAIT);
        rawDelete(key(b.subnet()));
        assertEquals(Nodes.node(61, 0x61), log.awaitRemoved(b.subnet(), WAIT).lease().attrs());
        assertFalse(log.mentions(a.subnet()));
    }

    @Test
    void aListenerThatThrowsIsLoggedAndAnsweredWithAReList() {
        config(CONFIG);
        EventLog log = new EventLog();
        AtomicBoolean thrown = new AtomicBoolean();
        Consumer<LeaseEvent> flaky = e -> {
            log.accept(e);
            if (e instanceof LeaseEvent.Added && thrown.compareAndSet(false, true)) {
                throw new IllegalStateException("backend hiccup");
            }
        };
        Lease b;
        try (StderrCapture err = new StderrCapture()) {
            track(manager().watchLeases(() -> null, flaky));
            log.awaitSnapshot(WAIT);
            b = manager().acquireLease(Nodes.node(62), null);
            log.awaitAdded(b.subnet(), WAIT);
            // the event the listener choked on comes again, in a fresh snapshot
            log.await(LeaseEvent.Snapshot.class, s -> s.leases().stream().anyMatch(l -> l.subnet().equals(b.subnet())), WAIT);
            assertTrue(err.text().contains("backend hiccup") && err.text().contains("re-listing"), err.text());
        }
        Lease c = manager().acquireLease(Nodes.node(63), null);
        log.awaitAdded(c.subnet(), WAIT);
    }

    @Test
    void aStuckListenerMakesTheWatcherUnhealthyUntilItMovesAgain() throws Exception {
        config(CONFIG);
        CountDownLatch release = new CountDownLatch(1);
        EventLog log = new EventLog();
        Consumer<LeaseEvent> stuck = log.hangingOnAdded(release);
        LeaseWatcher w = track(manager().watchLeases(() -> null, stuck));
        log.awaitSnapshot(WAIT);
        Instant later = Instant.now().plus(Liveness.DEFAULT_BOUND).plusSeconds(5);
        Await.until(WAIT, () -> w.healthy(later), () -> "an idle watcher is healthy");
        Lease b = manager().acquireLease(Nodes.node(64), null);
        log.awaitAdded(b.subnet(), WAIT);
        assertTrue(w.healthy(Instant.now()), "not stuck yet");
        assertFalse(w.healthy(Instant.now().plus(Liveness.DEFAULT_BOUND).plusSeconds(5)), "stuck past the bound");
        release.countDown();
        Await.until(WAIT, () -> w.healthy(Instant.now().plus(Liveness.DEFAULT_BOUND).plusSeconds(5)), () -> "healthy again");
        assertTrue(w.lastProgress().isAfter(Instant.now().minusSeconds(10)));
    }

    @Test
    void hostileLeasesAreNeverDeliveredAndAreCounted() {
        config(CONFIG);
        SubnetManager m = manager();
        EventLog log = new EventLog();
        watch(m, () -> null, log);
        log.awaitSnapshot(WAIT);
        String good = Nodes.node(70).toJson();
        String s = prefix + "/subnets/";
        rawPut(s + "10.5.9.0-24", "{garbage");
        rawPut(s + "10.6.1.0-24", good);
        rawPut(s + "10.5.8.0-25", good);
        rawPut(s + "10.5.7.0-24", good.replace("192.168.64.70", "0.0.0.0"));
        rawPut(s + "10.5.6.0-24", good.replace("192.168.64.70", "224.0.0.1"));
        rawPut(s + "10.5.5.0-24", good.replace("c6:d2:32:6f:00:46", "c6:d2:32:6f:00"));
        rawPut(s + "not-a-subnet", good);
        rawPut(s + "10.5.4.0-024", good);
        rawPut(s + "10.5.3.0-24", Nodes.node(71).toJson()); // a good one last, to know the rest went by
        log.awaitAdded(cidr("10.5.3.0/24"), WAIT);
        Await.sleep(200);
        List<LeaseEvent> events = log.all();
        assertEquals(2, events.size(), events.toString());
        assertTrue(events.get(0) instanceof LeaseEvent.Snapshot);
        assertCounts(m);

        // The same garbage seen through a listing: a fresh watcher's snapshot holds only the good lease.
        SubnetManager m2 = manager();
        EventLog log2 = new EventLog();
        watch(m2, () -> null, log2);
        assertEquals(List.of(cidr("10.5.3.0/24")),
                log2.awaitSnapshot(WAIT).leases().stream().map(Lease::subnet).toList());
        assertCounts(m2);
        // and allocation steers clear of keys it cannot use
        Lease mine = m2.acquireLease(Nodes.node(72), cidr("10.5.9.0/24"));
        assertNotEquals(cidr("10.5.9.0/24"), mine.subnet());
    }

    private static void assertCounts(SubnetManager m) {
        var v = m.validator();
        assertEquals(1, v.rejections(Reason.MALFORMED_VALUE), v.rejections().toString());
        assertEquals(1, v.rejections(Reason.SUBNET_OUTSIDE_NETWORK), v.rejections().toString());
        assertEquals(1, v.rejections(Reason.WRONG_SUBNET_LENGTH), v.rejections().toString());
        assertEquals(2, v.rejections(Reason.BAD_PUBLIC_IP), v.rejections().toString());
        assertEquals(1, v.rejections(Reason.BAD_BACKEND_DATA), v.rejections().toString());
        assertEquals(2, v.rejections(Reason.MALFORMED_KEY), v.rejections().toString());
    }

    @Test
    void watcherResyncsWithASnapshotAfterCompaction() {
        config(CONFIG);
        Lease one = manager().acquireLease(Nodes.node(80), null);
        Lease two = manager().acquireLease(Nodes.node(81), null);
        PausableStore cut = track(new PausableStore(openStore(), true));
        SubnetManager watcherSide = new SubnetManager(cut, options(Duration.ofHours(1), Duration.ofMinutes(10)));
        EventLog log = new EventLog();
        watch(watcherSide, () -> null, log);
        assertEquals(Set.of(one.subnet(), two.subnet()),
                Set.copyOf(log.awaitSnapshot(WAIT).leases().stream().map(Lease::subnet).toList()));

        cut.pause();
        rawDelete(key(one.subnet()));
        Lease three = manager().acquireLease(Nodes.node(82), null);
        Lease twoChanged = manager().acquireLease(Nodes.node(81, 0x81), null);
        for (int i = 0; i < 30; i++) {
            rawPut(prefix + "/churn", "value " + i); // history the watcher will never see
        }
        compactNow();
        int opened = cut.watchesOpened;
        cut.resume();

        LeaseEvent.Snapshot s = log.await(LeaseEvent.Snapshot.class, x -> !x.removed().isEmpty(), Duration.ofSeconds(15));
        assertTrue(cut.watchesOpened > opened);
        assertEquals(Set.of(two.subnet(), three.subnet()), Set.copyOf(s.leases().stream().map(Lease::subnet).toList()));
        assertEquals(Set.of(twoChanged.attrs(), three.attrs()), Set.copyOf(s.added().stream().map(Lease::attrs).toList()));
        assertEquals(List.of(one.attrs()), s.removed().stream().map(Lease::attrs).toList());
        // and it keeps watching after the resync
        Lease four = manager().acquireLease(Nodes.node(83), null);
        log.awaitAdded(four.subnet(), WAIT);
        assertNull(log.all().stream().filter(e -> e instanceof LeaseEvent.Removed).findAny().orElse(null));
    }

    @Test
    void watcherCatchesUpAfterADisconnect() {
        config(CONFIG);
        PausableStore cut = track(new PausableStore(openStore(), true));
        SubnetManager watcherSide = new SubnetManager(cut, options(Duration.ofHours(1), Duration.ofMinutes(10)));
        EventLog log = new EventLog();
        watch(watcherSide, () -> null, log);
        log.awaitSnapshot(WAIT);
        cut.pause();
        Lease missed = manager().acquireLease(Nodes.node(84), null);
        Await.sleep(300);
        cut.resume();
        log.awaitAdded(missed.subnet(), WAIT);
        assertEquals(1, log.all().stream().filter(e -> e instanceof LeaseEvent.Snapshot).count(), "resumed, not re-listed");
    }

    /** A node's own net-conf file (weftd -net-config-path) decides its lease: none in the store, or another one there. */
    @Test
    void aConfigGivenByFileReplacesTheStoresForLeasing() {
        SubnetManager sm = manager();
        sm.useConfig(dev.weft.flannel.config.NetworkConfig.parse("{\"Network\":\"10.6.0.0/16\",\"SubnetLen\":25}"));
        Lease l = sm.acquireLease(Nodes.node(91), null);
        assertTrue(dev.weft.net.Cidr.parse("10.6.0.0/16").contains(l.subnet()) && l.subnet().prefixLength() == 25,
                "leased from the file's Network and SubnetLen, with no config in the store: " + l.subnet());
        assertTrue(rawGet(prefix + "/config").isEmpty(), "nothing written to the store's config key");

        config(CONFIG); // the store says 10.5.0.0/16: the file still wins for this node
        Lease again = sm.acquireLease(Nodes.node(92), null);
        assertTrue(dev.weft.net.Cidr.parse("10.6.0.0/16").contains(again.subnet()), "still the file's network: " + again.subnet());
    }
}
