package dev.weft.flannel.subnet;

import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseValidator;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvListing;
import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One listing of {@code <prefix>/subnets/}, sorted out: the valid leases, the subnets that are
 * taken, and the raw values of the valid leases for compare-and-swap. A subnet is taken by a
 * canonical key of the configured length inside Network, whatever its value (a garbage value
 * still blocks its key, so allocating there would only lose the create race); any other key takes
 * nothing, so one {@code 0.0.0.0-0} cannot make the whole Network look full.
 */
final class LeaseTable {
    final List<Lease> valid;
    final List<Cidr> occupiedV4;
    final List<Cidr> occupiedV6;
    final Map<String, String> rawValues; // key suffix -> stored value, valid leases only
    final Map<String, Long> seniority;   // key suffix -> creation revision (see KvEntry), valid leases only
    final long revision;

    private LeaseTable(List<Lease> valid, List<Cidr> v4, List<Cidr> v6, Map<String, String> raw,
                       Map<String, Long> seniority, long revision) {
        this.valid = valid;
        this.occupiedV4 = v4;
        this.occupiedV6 = v6;
        this.rawValues = raw;
        this.seniority = seniority;
        this.revision = revision;
    }

    static LeaseTable of(KvListing listing, String subnetsPrefix, NetworkConfig config, LeaseValidator validator) {
        List<Lease> valid = new ArrayList<>();
        List<Cidr> v4 = new ArrayList<>();
        List<Cidr> v6 = new ArrayList<>();
        Map<String, String> raw = new HashMap<>();
        Map<String, Long> seniority = new HashMap<>();
        for (KvEntry e : listing.entries()) {
            if (!e.key().startsWith(subnetsPrefix)) {
                continue;
            }
            String suffix = e.key().substring(subnetsPrefix.length());
            LeaseValidator.occupiedBy(config, suffix).ifPresent(k -> {
                v4.add(k.subnet());
                if (k.subnetV6() != null) {
                    v6.add(k.subnetV6());
                }
            });
            validator.validate(config, suffix, e.value(), e.expirationEpochMillis(), e.modRevision()).ifPresent(l -> {
                valid.add(l);
                raw.put(suffix, e.value());
                seniority.put(suffix, e.seniority());
            });
        }
        return new LeaseTable(valid, v4, v6, raw, seniority, listing.revision());
    }

    boolean isTaken(Cidr v4, Cidr v6) {
        return occupiedV4.stream().anyMatch(v4::overlaps) || (v6 != null && occupiedV6.stream().anyMatch(v6::overlaps));
    }
}
