package dev.weft.flannel.lease;

import dev.weft.net.Cidr;
import java.util.Objects;

/**
 * A node's claim on a subnet.
 *
 * @param subnet                IPv4 subnet, e.g. 10.244.1.0/24
 * @param subnetV6              IPv6 subnet of a dual-stack lease, or null
 * @param attrs                 what the node published
 * @param expirationEpochMillis when the etcd lease runs out; 0 = no TTL (a reservation, never expires)
 * @param modRevision           store revision of the last write of this lease (0 if unknown)
 */
public record Lease(Cidr subnet, Cidr subnetV6, LeaseAttrs attrs, long expirationEpochMillis, long modRevision) {

    public Lease {
        Objects.requireNonNull(subnet, "subnet");
        Objects.requireNonNull(attrs, "attrs");
        new SubnetKey(subnet, subnetV6); // same family checks
    }

    public SubnetKey subnetKey() {
        return new SubnetKey(subnet, subnetV6);
    }

    /** The key suffix under {@code <prefix>/subnets/}, e.g. {@code 10.244.1.0-24}. */
    public String key() {
        return subnetKey().toString();
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
        return o != null && subnet.equals(o.subnet) && Objects.equals(subnetV6, o.subnetV6) && attrs.equals(o.attrs);
    }
}
