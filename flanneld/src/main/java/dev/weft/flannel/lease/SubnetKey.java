package dev.weft.flannel.lease;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * The subnet part of a lease key: {@code 10.244.1.0-24}, or dual-stack
 * {@code 10.12.13.0-24&fd00:12:13::-56}.
 *
 * @param subnet   the IPv4 subnet (always present: flannel's etcd keys start with it)
 * @param subnetV6 the IPv6 subnet of a dual-stack lease, or null
 */
public record SubnetKey(Cidr subnet, Cidr subnetV6) {
    /**
     * Longest key text {@link #parse} looks at. The longest canonical key,
     * {@code 255.255.255.255-32&ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff-128}, has 62 characters;
     * the cap leaves room for a full etcd key under the default prefix.
     */
    public static final int MAX_LENGTH = 128;

    public SubnetKey {
        Objects.requireNonNull(subnet, "subnet");
        if (!subnet.isV4()) {
            throw new IllegalArgumentException("subnet must be IPv4: " + subnet);
        }
        if (subnetV6 != null && !subnetV6.isV6()) {
            throw new IllegalArgumentException("subnetV6 must be IPv6: " + subnetV6);
        }
    }

    /**
     * Parses with flannel's semantics ({@code ParseSubnetKey}, see {@link SubnetKeySyntax}): the
     * pattern is matched as a suffix of {@code s}, so a full etcd key works too; prefix lengths may
     * have leading zeros but must fit 5 bits (IPv4: at most 31, flannel's {@code ParseUint(.., 5)})
     * or 7 bits (IPv6). Empty when flannel would not recognise the key either, and for anything
     * longer than {@link #MAX_LENGTH}, which is not read at all.
     */
    public static Optional<SubnetKey> parse(CharSequence s) {
        if (s.length() > MAX_LENGTH) {
            return Optional.empty();
        }
        SubnetKeySyntax.Parts p = SubnetKeySyntax.scan(s);
        if (p == null) {
            return Optional.empty();
        }
        try {
            IpAddress v4 = IpAddress.parse(p.v4());
            int len4 = prefix(p.len4(), 31);
            if (!v4.isV4() || len4 < 0) {
                return Optional.empty();
            }
            Cidr v6 = null;
            if (p.v6() != null) {
                IpAddress a6 = IpAddress.parse(p.v6());
                int len6 = prefix(p.len6(), 127);
                if (!a6.isV6() || len6 < 0) {
                    return Optional.empty();
                }
                v6 = Cidr.of(a6, len6);
            }
            return Optional.of(new SubnetKey(Cidr.of(v4, len4), v6));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Decimal digits (leading zeros allowed) up to max, else -1. */
    private static int prefix(String digits, int max) {
        int i = 0;
        while (i < digits.length() - 1 && digits.charAt(i) == '0') {
            i++;
        }
        if (digits.length() - i > 3) {
            return -1;
        }
        int v = Integer.parseInt(digits, i, digits.length(), 10);
        return v <= max ? v : -1;
    }

    /** flannel's {@code MakeSubnetKey}: the form every flanneld writes. */
    @Override
    public String toString() {
        String k = subnet.toKeyForm();
        return subnetV6 == null ? k : k + "&" + subnetV6.toKeyForm();
    }

    /** Whether both parts are network addresses (no host bits). */
    public boolean isNetworkAligned() {
        return !subnet.hasHostBits() && (subnetV6 == null || !subnetV6.hasHostBits());
    }
}
