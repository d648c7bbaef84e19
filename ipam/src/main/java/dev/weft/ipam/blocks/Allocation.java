package dev.weft.ipam.blocks;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;

/**
 * One address handed out.
 *
 * @param address  the pod's address (configured as /32 or /128)
 * @param block    the block it came from
 * @param handle   the handle it is held under
 * @param sequence the block's sequence number at allocation (Calico's per-allocation ABA guard)
 * @param borrowed the block is affine to another node (this node announces the address as a /32)
 */
public record Allocation(IpAddress address, Cidr block, String handle, long sequence, boolean borrowed) {
    /** The address as a host route: /32 or /128. */
    public Cidr hostCidr() {
        return Cidr.ofHost(address);
    }
}
