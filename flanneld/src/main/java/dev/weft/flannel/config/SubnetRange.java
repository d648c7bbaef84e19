package dev.weft.flannel.config;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.math.BigInteger;
import java.util.Objects;

/**
 * One address family's part of the config after defaults: the cluster network, the size of each
 * node's subnet, and the first and last subnet the allocator may hand out.
 *
 * @param network   e.g. 10.244.0.0/16 (host bits cleared)
 * @param subnetLen prefix length of each node subnet, e.g. 24
 * @param min       network address of the lowest subnet to allocate (flannel skips the first one)
 * @param max       network address of the highest subnet to allocate (the last one is included)
 */
public record SubnetRange(Cidr network, int subnetLen, IpAddress min, IpAddress max) {

    public SubnetRange {
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(min, "min");
        Objects.requireNonNull(max, "max");
    }

    /** Addresses per subnet, 2^(bits - subnetLen). */
    public BigInteger subnetSize() {
        return BigInteger.ONE.shiftLeft(network.address().bitLength() - subnetLen);
    }

    /** The subnet that starts at {@code address} with this range's length. */
    public Cidr subnetAt(IpAddress address) {
        return Cidr.of(address, subnetLen);
    }

    /**
     * flannel's {@code isSubnetConfigCompat}: a lease this node may keep or take must have the
     * configured length and lie between SubnetMin and SubnetMax (we also insist on a clean network
     * address, which flannel never writes otherwise).
     */
    public boolean isAllocatable(Cidr subnet) {
        return subnet != null
                && subnet.isV4() == network.isV4()
                && subnet.prefixLength() == subnetLen
                && !subnet.hasHostBits()
                && subnet.address().compareTo(min) >= 0
                && subnet.address().compareTo(max) <= 0;
    }

    /** Whether a peer's subnet is plausible at all: inside the network with the configured length. */
    public boolean isMember(Cidr subnet) {
        return subnet != null && subnet.prefixLength() == subnetLen && network.contains(subnet);
    }

    /** Number of subnets between min and max inclusive (0 when min > max). */
    public BigInteger allocatableCount() {
        BigInteger span = max.toBigInteger().subtract(min.toBigInteger());
        if (span.signum() < 0) {
            return BigInteger.ZERO;
        }
        return span.divide(subnetSize()).add(BigInteger.ONE);
    }
}
