package dev.weft.flannel.lease;

import dev.weft.net.Cidr;
import java.util.Objects;

/**
 * A node's claim on a subnet, or (block IPAM) a route target: another node's block or borrowed
 * address, which the subnet-routing backends program as they program a subnet.
 *
 * @param subnet                IPv4 subnet, e.g. 10.244.1.0/24. Every lease of etcd's {@code subnets/} has one
 *                              (flannel's keys start with it); null only in a route target for an IPv6
 *                              block or borrowed /128 ({@link #ofV6}), which has no IPv4 half: a node's IPv4
 *                              and IPv6 blocks are unrelated, so they are never paired into one lease
 * @param subnetV6              IPv6 subnet of a dual-stack lease, or null
 * @param attrs                 what the node published
 * @param expirationEpochMillis when the etcd lease runs out; 0 = no TTL (a reservation, never expires)
 * @param modRevision           store revision of the last write of this lease (0 if unknown)
 */
public record Lease(Cidr subnet, Cidr subnetV6, LeaseAttrs attrs, long expirationEpochMillis, long modRevision) {

    public Lease {
        Objects.requireNonNull(attrs, "attrs");
        if (subnet != null) {
            new SubnetKey(subnet, subnetV6); // same family checks
        } else if (subnetV6 == null || !subnetV6.isV6()) {
            throw new IllegalArgumentException("a lease needs an IPv4 subnet, or an IPv6 one alone: " + subnetV6);
        }
    }

    /** A route target with an IPv6 half only: another node's IPv6 block or borrowed /128 on block IPAM. */
    public static Lease ofV6(Cidr subnetV6, LeaseAttrs attrs, long expirationEpochMillis, long modRevision) {
        return new Lease(null, Objects.requireNonNull(subnetV6, "subnetV6"), attrs, expirationEpochMillis, modRevision);
    }

    /** The etcd key's subnet part; a lease with no IPv4 half ({@link #ofV6}) has none (it is never in etcd). */
    public SubnetKey subnetKey() {
        if (subnet == null) {
            throw new IllegalStateException("an IPv6-only route target (" + subnetV6 + ") has no subnet key");
        }
        return new SubnetKey(subnet, subnetV6);
    }

    /**
     * The key suffix under {@code <prefix>/subnets/}, e.g. {@code 10.244.1.0-24}; for an IPv6-only
     * route target, which is never written, its IPv6 part alone ({@code fd00::-122}), which no
     * subnet key equals.
     */
    public String key() {
        return subnet == null ? subnetV6.toKeyForm() : subnetKey().toString();
    }

    /** The IPv4 subnet, else the IPv6 one (for messages). */
    public Cidr anySubnet() {
        return subnet != null ? subnet : subnetV6;
    }

    /** A reservation: written without an etcd lease, so it never expires and is never renewed. */
    public boolean isReservation() {
        return expirationEpochMillis == 0;
    }

    public Lease withAttrs(LeaseAttrs a) {
        return new Lease(subnet, subnetV6, a, expirationEpochMillis, modRevision);
    }

    public Lease withWrite(long expiration, long revision) {
        return new Lease(subnet, subnetV6, attrs, expiration, revision);
    }

    /** Same subnet(s) and same attrs; expiration and revision (which change on every renewal) are ignored. */
    public boolean sameContent(Lease o) {
        return o != null && Objects.equals(subnet, o.subnet) && Objects.equals(subnetV6, o.subnetV6) && attrs.equals(o.attrs);
    }
}
