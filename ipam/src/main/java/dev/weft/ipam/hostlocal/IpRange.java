package dev.weft.ipam.hostlocal;

import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.math.BigInteger;
import java.util.Objects;

/**
 * One allocatable range, canonical: every field is set and in one family. {@code rangeStart} and
 * {@code rangeEnd} are inclusive. The gateway is not required to lie inside the subnet (the
 * reference does not check it either); when it lies inside the range it is never handed out.
 *
 * @param subnet     the network, no host bits; its prefix is what allocations carry
 * @param rangeStart first candidate (default network+1)
 * @param rangeEnd   last candidate (default: the last address, minus the broadcast for IPv4)
 * @param gateway    returned with each allocation (default network+1)
 */
public record IpRange(Cidr subnet, IpAddress rangeStart, IpAddress rangeEnd, IpAddress gateway) {

    public IpRange {
        Objects.requireNonNull(subnet, "subnet");
        Objects.requireNonNull(rangeStart, "rangeStart");
        Objects.requireNonNull(rangeEnd, "rangeEnd");
        Objects.requireNonNull(gateway, "gateway");
    }

    /**
     * Fills in defaults and validates, in the reference's order and with its messages, so a
     * config that the reference rejects is rejected here with the same words. Null means "not
     * given" for every argument but the subnet.
     */
    public static IpRange canonical(Cidr subnet, IpAddress start, IpAddress end, IpAddress gateway)
            throws IpamException {
        if (subnet == null) {
            throw invalid("range has no subnet");
        }
        int bits = subnet.address().bitLength();
        // A /31 or /32 (/127, /128) leaves nothing once network and gateway are taken.
        if (subnet.prefixLength() > bits - 2) {
            throw invalid("Network " + subnet + " too small to allocate from");
        }
        // Go keeps "::ffff:10.1.0.0/120" as a 4-byte IP with a 16-byte mask and refuses the pair.
        if (subnet.address().isV4Mapped()) {
            throw invalid("IPNet IP and Mask version mismatch");
        }
        if (subnet.hasHostBits()) {
            throw invalid("Network has host bits set. For a subnet mask of length " + subnet.prefixLength()
                    + " the network address is " + subnet.networkAddress());
        }
        IpAddress firstAfterNetwork = subnet.address().next();
        IpAddress gw = gateway != null ? gateway.unmap() : firstAfterNetwork;
        IpAddress s = start != null ? start.unmap() : null;
        IpAddress e = end != null ? end.unmap() : null;
        // The start is checked against an end that is given but not yet validated, as the reference
        // does: a start beyond a given end is reported as a bad start.
        if (s != null) {
            if (!within(subnet, s, s, e)) {
                throw invalid("RangeStart " + s + " not in network " + subnet);
            }
        } else {
            s = firstAfterNetwork;
        }
        if (e != null) {
            if (!within(subnet, e, s, e)) {
                throw invalid("RangeEnd " + e + " not in network " + subnet);
            }
        } else {
            IpAddress last = subnet.broadcastAddress();
            e = subnet.isV4() ? last.previous() : last; // IPv6 has no broadcast to skip
        }
        return new IpRange(subnet, s, e, gw);
    }

    private static IpamException invalid(String msg) {
        return new IpamException(IpamException.INVALID_CONFIG, msg);
    }

    private static boolean within(Cidr subnet, IpAddress ip, IpAddress start, IpAddress end) {
        return subnet.contains(ip)
                && (start == null || ip.compareTo(start) >= 0)
                && (end == null || ip.compareTo(end) <= 0);
    }

    /** Whether ip is a candidate of this range: in the subnet and between start and end. */
    public boolean contains(IpAddress ip) {
        return within(subnet, ip.unmap(), rangeStart, rangeEnd);
    }

    /** Whether the two ranges share an address (always false across families). */
    public boolean overlaps(IpRange o) {
        return rangeStart.isV4() == o.rangeStart.isV4()
                && (contains(o.rangeStart) || contains(o.rangeEnd) || o.contains(rangeStart) || o.contains(rangeEnd));
    }

    /** How many addresses the allocator can hand out here: start..end minus the gateway. */
    public BigInteger capacity() {
        BigInteger n = rangeEnd.toBigInteger().subtract(rangeStart.toBigInteger()).add(BigInteger.ONE);
        return contains(gateway) ? n.subtract(BigInteger.ONE) : n;
    }

    public boolean isV4() {
        return rangeStart.isV4();
    }

    /** {@code start-end}, the form the reference uses in its error messages. */
    @Override
    public String toString() {
        return rangeStart + "-" + rangeEnd;
    }
}
