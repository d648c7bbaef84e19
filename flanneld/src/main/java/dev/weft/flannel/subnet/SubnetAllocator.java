package dev.weft.flannel.subnet;

import dev.weft.flannel.config.SubnetRange;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * flannel's {@code allocateSubnet}: walk from SubnetMin up in steps of one subnet, collect the
 * first 100 that overlap no existing key, and pick one uniformly at random, so nodes starting
 * together rarely collide yet the low end of the range fills first.
 */
final class SubnetAllocator {
    static final int CANDIDATES = 100;

    private SubnetAllocator() {
    }

    static Optional<Cidr> pick(SubnetRange range, Collection<Cidr> occupied, RandomGenerator rng) {
        List<Cidr> free = candidates(range, occupied);
        return free.isEmpty() ? Optional.empty() : Optional.of(free.get(rng.nextInt(free.size())));
    }

    static List<Cidr> candidates(SubnetRange range, Collection<Cidr> occupied) {
        // Same-length keys (the normal case) are checked by set lookup; anything else by overlap.
        Set<IpAddress> exact = new HashSet<>();
        List<Cidr> odd = new ArrayList<>();
        for (Cidr c : occupied) {
            if (c.isV4() != range.network().isV4()) {
                continue;
            }
            if (c.prefixLength() == range.subnetLen()) {
                exact.add(c.networkAddress());
            } else {
                odd.add(c);
            }
        }
        boolean v6 = range.network().isV6();
        BigInteger step = range.subnetSize();
        BigInteger max = range.max().toBigInteger();
        List<Cidr> free = new ArrayList<>(CANDIDATES);
        for (BigInteger at = range.min().toBigInteger(); at.compareTo(max) <= 0 && free.size() < CANDIDATES;
             at = at.add(step)) {
            Cidr sn = range.subnetAt(IpAddress.fromBigInteger(at, v6));
            if (!exact.contains(sn.address()) && odd.stream().noneMatch(sn::overlaps)) {
                free.add(sn);
            }
        }
        return free;
    }
}
