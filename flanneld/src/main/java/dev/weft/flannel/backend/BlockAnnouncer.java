package dev.weft.flannel.backend;

import dev.weft.flannel.lease.TunnelAddr;
import dev.weft.ipam.blocks.Announcement;

/**
 * A backend that carries routes to pods itself (bgp), for a node on block IPAM: it holds no subnet
 * lease, so instead of announcing a subnet it announces the node's blocks and borrowed addresses
 * ({@code shared/specs/bgp.md} §2.3), following every change without touching its sessions.
 */
public interface BlockAnnouncer {
    /**
     * Tells the backend, before {@link Backend#start}, that the node is on block IPAM: the lease
     * {@code start} is given is the node's registration as a peer lease (its address as a /32),
     * not a pod subnet, and is not announced.
     *
     * @throws BackendException when the backend cannot run on blocks with its options
     */
    void useBlocks();

    /** What the node announces from now on (the complete set; what it announced before and is not in it is withdrawn). */
    void announce(Announcement a);

    /**
     * The tunnel address the backend, with its options, takes from the pool, or null for none: bgp
     * with Encap IPIP, tunl0's ({@code ipip-tunnel-addr-<node>}), so traffic from the host to pods
     * elsewhere has a source; Encap VXLAN, the vxlan device's ({@code vxlan-tunnel-addr-<node>}, as
     * the vxlan backend's and Calico's VXLAN mode's), which the other nodes also use as the on-link
     * gateway of this node's blocks. weftd then allocates it, publishes it in the registration
     * ({@code BackendData.TunnelAddr}) and starts the backend on it: the lease {@link Backend#start}
     * is given is then that address as a /32.
     */
    default TunnelAddr.Kind tunnelKind() {
        return null;
    }

    /**
     * Which node each other node's block and borrowed address is on (the IPAM tree's view, as
     * leases: subnet → the node's attrs), for a data path that must know where to send what the
     * kernel's route does not say (the userspace IPIP path, behind a TUN device that sees no
     * gateway), or that routes blocks itself rather than from BGP (Encap VXLAN: the vxlan device's
     * routes, neighbours and FDB entries, as Felix programs Calico's VXLAN routes from the
     * datastore). The complete set each time, on weftd's pump thread (a throw is retried).
     */
    default void blockRoutes(java.util.Collection<dev.weft.flannel.lease.Lease> leases) {
    }
}
