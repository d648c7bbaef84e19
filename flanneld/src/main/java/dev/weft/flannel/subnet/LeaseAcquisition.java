package dev.weft.flannel.subnet;

import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.config.SubnetRange;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.net.Cidr;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's attempt to get a lease (flannel's {@code tryAcquireLease}). {@link #tryOnce} returns
 * empty when a conditional write lost to a concurrent writer, which the caller retries.
 */
final class LeaseAcquisition {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseAcquisition.class);

    private final SubnetManager manager;
    private final NetworkConfig config;
    private final LeaseAttrs mine;
    private final Cidr previous;
    private final Cidr previousV6;

    LeaseAcquisition(SubnetManager manager, NetworkConfig config, LeaseAttrs mine, Cidr previous, Cidr previousV6) {
        this.manager = manager;
        this.config = config;
        this.mine = mine;
        this.previous = previous;
        this.previousV6 = previousV6;
    }

    Optional<Lease> tryOnce() {
        LeaseTable table = manager.table(config);

        // flannel takes the first in key order; the first created is ours even when a copy of our
        // PublicIP sorts before it (the watchers ignore such a copy: see LeaseSet)
        Optional<Lease> byIp = table.valid.stream().filter(l -> l.attrs().publicIp().equals(mine.publicIp()))
                .min(Comparator.comparingLong((Lease l) -> table.seniority.get(l.key())).thenComparing(Lease::key));
        if (byIp.isPresent()) {
            Lease l = byIp.get();
            if (SubnetManager.fits(config, l.subnet(), l.subnetV6())) {
                LOG.info("Found lease (ip: {} ipv6: {}) for current IP ({}), reusing", l.subnet(), l.subnetV6(), mine.publicIp());
                return reuse(l, table.rawValues.get(l.key()));
            }
            LOG.info("Found lease {} for current IP ({}) but not compatible with current config, deleting", l.key(), mine.publicIp());
            manager.store().delete(manager.keyOf(l));
        }

        Cidr v4 = null;
        Cidr v6 = null;
        if (previous != null) {
            if (table.isTaken(previous, previousV6)) {
                LOG.info("Previously leased subnet {} is held by another node, not reusing it", previous);
            } else if (SubnetManager.fits(config, previous, previousV6)) {
                LOG.info("Found previously leased subnet ({}), reusing", previous);
                v4 = previous;
                v6 = previousV6;
            } else {
                LOG.error("Found previously leased subnet ({}) that is not compatible with the network config, ignoring", previous);
            }
        }
        if (v4 == null) {
            v4 = allocate(config.ipv4(), table.occupiedV4, table);
            v6 = config.ipv6() == null ? null : allocate(config.ipv6(), table.occupiedV6, table);
        }
        Lease candidate = new Lease(v4, v6, mine, 0, 0);
        Optional<KvEntry> created = manager.store().createIfAbsent(manager.keyOf(candidate), mine.toJson(),
                manager.options().leaseTtl());
        if (created.isEmpty()) {
            return Optional.empty();
        }
        LOG.info("Allocated lease (ip: {} ipv6: {}) to current node ({})", v4, v6, mine.publicIp());
        return Optional.of(candidate.withWrite(created.get().expirationEpochMillis(), created.get().modRevision()));
    }

    /** Re-writes a lease that already carries our PublicIP, unless someone changed it since we listed. */
    private Optional<Lease> reuse(Lease l, String listedValue) {
        // A reservation (no TTL) stays one; flannel means to do the same (its check never fires in v3).
        Duration ttl = l.isReservation() ? null : manager.options().leaseTtl();
        Optional<KvEntry> e = manager.store().replaceIfValue(manager.keyOf(l), listedValue, mine.toJson(), ttl);
        return e.map(entry -> new Lease(l.subnet(), l.subnetV6(), mine, entry.expirationEpochMillis(), entry.modRevision()));
    }

    private static Cidr allocate(SubnetRange range, List<Cidr> occupied, LeaseTable table) {
        LOG.info("Picking subnet in range {} ... {}", range.min(), range.max());
        return SubnetAllocator.pick(range, occupied, ThreadLocalRandom.current())
                .orElseThrow(() -> new OutOfSubnetsException("out of subnets: no free /" + range.subnetLen()
                        + " left in network " + range.network() + " between SubnetMin " + range.min()
                        + " and SubnetMax " + range.max() + " (" + range.allocatableCount() + " subnets, "
                        + table.valid.size() + " valid leases held)"));
    }
}
