package dev.weft.ipam.hostlocal;

import dev.weft.ipam.IpamException;
import dev.weft.net.IpAddress;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The ranges one address is drawn from. A config has one set per address a container gets
 * (typically one IPv4 set and one IPv6 set); the ranges inside a set share a family and are
 * tried in order, round-robin.
 */
public record RangeSet(List<IpRange> ranges) {

    public RangeSet {
        ranges = List.copyOf(ranges);
        if (ranges.isEmpty()) {
            throw new IllegalArgumentException("empty range set");
        }
    }

    /** Validates an already-canonical list of ranges as a set, with the reference's messages. */
    public static RangeSet of(List<IpRange> ranges) throws IpamException {
        if (ranges.isEmpty()) {
            throw new IpamException(IpamException.INVALID_CONFIG, "empty range set");
        }
        boolean v4 = ranges.get(0).isV4();
        for (IpRange r : ranges) {
            if (r.isV4() != v4) {
                throw new IpamException(IpamException.INVALID_CONFIG, "mixed address families");
            }
        }
        for (int i = 0; i < ranges.size(); i++) {
            for (int j = i + 1; j < ranges.size(); j++) {
                if (ranges.get(i).overlaps(ranges.get(j))) {
                    throw new IpamException(IpamException.INVALID_CONFIG,
                            "subnets " + ranges.get(i) + " and " + ranges.get(j) + " overlap");
                }
            }
        }
        return new RangeSet(ranges);
    }

    public boolean isV4() {
        return ranges.get(0).isV4();
    }

    public boolean contains(IpAddress ip) {
        return rangeFor(ip).isPresent();
    }

    /** The first range that has ip as a candidate. */
    public Optional<IpRange> rangeFor(IpAddress ip) {
        for (IpRange r : ranges) {
            if (r.contains(ip)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    public boolean overlaps(RangeSet other) {
        for (IpRange r : ranges) {
            for (IpRange o : other.ranges) {
                if (r.overlaps(o)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Total number of addresses the allocator can hand out from this set. */
    public BigInteger capacity() {
        BigInteger n = BigInteger.ZERO;
        for (IpRange r : ranges) {
            n = n.add(r.capacity());
        }
        return n;
    }

    /** {@code start-end,start-end}, as in the reference's exhaustion message. */
    @Override
    public String toString() {
        return ranges.stream().map(IpRange::toString).collect(Collectors.joining(","));
    }
}
