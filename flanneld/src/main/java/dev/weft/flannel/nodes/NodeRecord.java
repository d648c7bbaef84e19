package dev.weft.flannel.nodes;

import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.net.Cidr;
import java.util.Objects;

/**
 * A registered node: its name (the key's last segment) and what it published, which is exactly
 * what a subnet lease carries ({@link LeaseAttrs}).
 *
 * @param name                  the node's name
 * @param attrs                 PublicIP, BackendType and BackendData (bgp: address, AS, node name)
 * @param seniority             etcd revision of the key's creation, else of its last write (the older registration wins a
 *                              PublicIP both claim)
 * @param modRevision           etcd revision of the last write
 * @param expirationEpochMillis when the registration expires unless renewed
 */
public record NodeRecord(String name, LeaseAttrs attrs, long seniority, long modRevision, long expirationEpochMillis) {
    public NodeRecord {
        NodeKeys.checkName(name);
        Objects.requireNonNull(attrs, "attrs");
    }

    /**
     * The node as a backend sees a peer: a lease of the node's own address as a /32 (never a pod
     * subnet), so the backends that take their peers from leases (bgp's mesh) take them from here.
     */
    public Lease asPeerLease() {
        return new Lease(Cidr.ofHost(attrs.publicIp()), null, attrs, expirationEpochMillis, modRevision);
    }

    /** Same name and attrs; revisions and expiry (which change on every renewal) ignored. */
    public boolean sameContent(NodeRecord o) {
        return o != null && name.equals(o.name) && attrs.equals(o.attrs);
    }
}
