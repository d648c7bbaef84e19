package dev.weft.netlink;

import dev.weft.net.Cidr;

/**
 * An interface address: {@code cidr} carries the host address and the prefix (10.1.0.5/16).
 *
 * @param flags IFA_F_* flags (IFA_F_NODAD, IFA_F_PERMANENT …)
 */
public record Address(int index, Cidr cidr, int scope, int flags, String label) {
    public static Address of(int index, Cidr cidr) {
        return new Address(index, cidr, Rt.RT_SCOPE_UNIVERSE, 0, null);
    }

    public Address withFlags(int f) {
        return new Address(index, cidr, scope, f, label);
    }

    public Address withScope(int s) {
        return new Address(index, cidr, s, flags, label);
    }

    public boolean isV4() {
        return cidr.address().isV4();
    }
}
