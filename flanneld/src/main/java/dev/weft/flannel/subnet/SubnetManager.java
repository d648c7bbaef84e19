package dev.weft.flannel.subnet;

import dev.weft.flannel.config.ConfigException;
import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.config.SubnetRange;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.lease.LeaseEvent;
import dev.weft.flannel.lease.LeaseValidator;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.net.Cidr;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * flannel's etcd subnet manager ({@code LocalManager}) over a {@link KvStore}.
 *
 * <pre>{@code
 * SubnetManager sm = new SubnetManager(EtcdKvStore.connect(EtcdOptions.of(endpoints)));
 * Lease mine = sm.acquireLease(LeaseAttrs.of(publicIp, "vxlan", data), previousSubnet);
 * LeaseRenewer keeper = sm.keepLease(mine, changed -> rewriteSubnetEnv(changed));
 * LeaseWatcher peers = sm.watchLeases(() -> keeper.current().subnet(), backend::handle);
 * }</pre>
 *
 * Departures from flanneld, all towards staying up: a lost create race is retried (flannel exits),
 * and a lost lease is acquired again by {@link LeaseRenewer} (flannel shuts down).
 */
public final class SubnetManager {
    private static final Logger LOG = LoggerFactory.getLogger(SubnetManager.class);

    private final KvStore store;
    private final SubnetManagerOptions options;
    private final LeaseValidator validator = new LeaseValidator();
    private volatile NetworkConfig config;
    /** Set by {@link #useConfig}: the node's own net-conf file, in place of {@code <prefix>/config}. */
    private volatile NetworkConfig fixed;

    public SubnetManager(KvStore store) {
        this(store, SubnetManagerOptions.defaults());
    }

    public SubnetManager(KvStore store, SubnetManagerOptions options) {
        this.store = Objects.requireNonNull(store, "store");
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * Reads and checks {@code <prefix>/config}.
     *
     * @throws ConfigException when missing or invalid
     */
    public NetworkConfig getNetworkConfig() {
        NetworkConfig f = fixed;
        if (f != null) {
            return f;
        }
        Optional<KvEntry> e = store.get(options.configKey());
        if (e.isEmpty()) {
            throw new ConfigException(null, "flannel config not found in etcd store (" + store.describe() + ", key "
                    + options.configKey() + "). Did you create your config using etcdv3 API?");
        }
        NetworkConfig c = NetworkConfig.parse(e.get().value());
        config = c;
        return c;
    }

    /**
     * Leases from {@code c} (weftd's -net-config-path, a DaemonSet's ConfigMap) instead of reading
     * {@code <prefix>/config}: every node of such a cluster mounts the same file, as flannel's
     * nodes do in its Kubernetes mode, and the operator need not copy it into etcd by hand.
     */
    public void useConfig(NetworkConfig c) {
        fixed = Objects.requireNonNull(c, "config");
        config = c;
    }

    /** The config read last, reading it now if it never was. */
    public NetworkConfig networkConfig() {
        NetworkConfig c = config;
        return c != null ? c : getNetworkConfig();
    }

    /** {@link #acquireLease(LeaseAttrs, Cidr, Cidr)} for a single-stack node. */
    public Lease acquireLease(LeaseAttrs mine, Cidr previousSubnet) {
        return acquireLease(mine, previousSubnet, null);
    }

    /**
     * Acquires this node's lease: the one already carrying our PublicIP (if it still fits the
     * config, else it is deleted), else the previous subnet from subnet.env if free and fitting,
     * else a random one of the first 100 free subnets. The create succeeds only if the key does not
     * exist; losing that race to another node is retried (up to {@code raceRetries}).
     *
     * @param previousSubnet   FLANNEL_SUBNET from the old subnet.env (any host address), or null
     * @param previousSubnetV6 FLANNEL_IPV6_SUBNET, or null
     * @throws OutOfSubnetsException when no subnet is free
     * @throws ConfigException       when the config is missing or invalid
     * @throws dev.weft.flannel.subnet.kv.KvException when the store fails
     */
    public Lease acquireLease(LeaseAttrs mine, Cidr previousSubnet, Cidr previousSubnetV6) {
        Objects.requireNonNull(mine, "mine");
        NetworkConfig c = getNetworkConfig();
        if (!c.enableIPv4()) {
            throw new SubnetException("an IPv6-only network cannot be used with the etcd subnet manager: "
                    + "flannel's lease keys always start with an IPv4 subnet");
        }
        LeaseAcquisition attempt = new LeaseAcquisition(this, c, mine,
                previousSubnet == null ? null : previousSubnet.network(),
                previousSubnetV6 == null ? null : previousSubnetV6.network());
        for (int i = 1; i <= options.raceRetries(); i++) {
            Optional<Lease> got = attempt.tryOnce();
            if (got.isPresent()) {
                return got.get();
            }
            LOG.info("Another node took the subnet we picked (attempt {} of {}); trying again", i, options.raceRetries());
            pauseAfterRace(i);
        }
        throw new SubnetException("failed to acquire a subnet lease: lost the race for a free subnet "
                + options.raceRetries() + " times in a row");
    }

    private void pauseAfterRace(int attempt) {
        long base = options.raceBackoff().toMillis();
        if (base <= 0) {
            return;
        }
        // Jitter, so the nodes that collided do not collide again in lockstep.
        long ms = ThreadLocalRandom.current().nextLong(base / 2, base * Math.min(attempt, 4) + 1);
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SubnetException("interrupted while acquiring a lease", e);
        }
    }

    /**
     * Renews the lease: re-writes our attrs with a fresh TTL, but only while the key still holds
     * exactly our attrs, so a renewal can never overwrite a lease another node has taken since.
     *
     * @throws LeaseLostException when the key is gone or holds something else
     */
    public Lease renewLease(Lease lease) {
        String key = keyOf(lease);
        String ours = lease.attrs().toJson();
        Duration ttl = lease.isReservation() ? null : options.leaseTtl();
        Optional<KvEntry> e = store.replaceIfValue(key, ours, ours, ttl);
        if (e.isPresent()) {
            return lease.withWrite(e.get().expirationEpochMillis(), e.get().modRevision());
        }
        boolean exists = store.get(key).isPresent();
        throw new LeaseLostException("lease " + lease.key() + (exists
                ? " now holds another node's attrs" : " no longer exists (expired or deleted)"));
    }

    /** The valid leases in the store now. */
    public List<Lease> leases() {
        return table(networkConfig()).valid;
    }

    /**
     * Keeps {@code lease}: renews it before it expires and, if it disappears, acquires one again
     * (preferring the same subnet). {@code onChange} hears about every re-acquired lease.
     */
    public LeaseRenewer keepLease(Lease lease, Consumer<Lease> onChange) {
        LeaseRenewer r = new LeaseRenewer(this, lease, onChange);
        r.start();
        return r;
    }

    /**
     * Watches the other nodes' leases, delivering {@link LeaseEvent}s on one thread: first a
     * {@link LeaseEvent.Snapshot}, then Added/Removed, and a new Snapshot after re-listing.
     *
     * @param ownSubnet our current subnet (its lease is never delivered); may return null
     */
    public LeaseWatcher watchLeases(Supplier<Cidr> ownSubnet, Consumer<LeaseEvent> listener) {
        LeaseWatcher w = new LeaseWatcher(this, networkConfig(), ownSubnet, listener);
        w.start();
        return w;
    }

    /** Rejection counters and the hook for backends to check their own BackendData. */
    public LeaseValidator validator() {
        return validator;
    }

    public KvStore store() {
        return store;
    }

    public SubnetManagerOptions options() {
        return options;
    }

    String keyOf(Lease l) {
        return options.subnetsPrefix() + l.key();
    }

    LeaseTable table(NetworkConfig c) {
        return LeaseTable.of(store.list(options.subnetsPrefix()), options.subnetsPrefix(), c, validator);
    }

    /** flannel's isSubnetConfigCompat + isIPv6SubnetConfigCompat. */
    static boolean fits(NetworkConfig c, Cidr v4, Cidr v6) {
        if (!c.ipv4().isAllocatable(v4)) {
            return false;
        }
        SubnetRange r6 = c.ipv6();
        return r6 == null ? v6 == null : r6.isAllocatable(v6);
    }
}
