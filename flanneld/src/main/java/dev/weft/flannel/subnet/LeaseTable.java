package dev.weft.flannel.subnet;

import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseValidator;
import dev.weft.flannel.lease.SubnetKey;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvListing;
import dev.weft.net.Cidr;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One listing of {@code <prefix>/subnets/}, sorted out: the valid leases, every subnet a key
 * claims (valid or not: a garbage value still blocks its key, so allocating there would only lose
 * the create race), and the raw values for compare-and-swap.
 */
final class LeaseTable {
    final List<Lease> valid;
    final List<Cidr> occupiedV4;
    final List<Cidr> occupiedV6;
    final Map<String, String> rawValues; // key suffix -> stored value
    final long revision;

    private LeaseTable(List<Lease> valid, List<Cidr> v4, List<Cidr> v6, Map<String, String> raw, long revision) {
        this.valid = valid;
        this.occupiedV4 = v4;
        this.occupiedV6 = v6;
        this.rawValues = raw;
        this.revision = revision;
    }

    static LeaseTable of(KvListing listing, String subnetsPrefix, NetworkConfig config, LeaseValidator validator) {
        List<Lease> valid = new ArrayList<>();
        List<Cidr> v4 = new ArrayList<>();
        List<Cidr> v6 = new ArrayList<>();
        Map<String, String> raw = new HashMap<>();
        for (KvEntry e : listing.entries()) {
            if (!e.key().startsWith(subnetsPrefix)) {
                continue;
            }
            String suffix = e.key().substring(subnetsPrefix.length());
            Optional<SubnetKey> sk = SubnetKey.parse(suffix);
            sk.ifPresent(k -> {
                v4.add(k.subnet());
                if (k.subnetV6() != null) {
                    v6.add(k.subnetV6());
                }
            });
            raw.put(suffix, e.value());
            validator.validate(config, suffix, e.value(), e.expirationEpochMillis(), e.modRevision()).ifPresent(valid::add);
        }
        return new LeaseTable(valid, v4, v6, raw, listing.revision());
    }

    boolean isTaken(Cidr v4, Cidr v6) {
        return occupiedV4.stream().anyMatch(v4::overlaps) || (v6 != null && occupiedV6.stream().anyMatch(v6::overlaps));
    }
}
