package dev.weft.flannel.lease;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.math.BigInteger;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The subnet part of a lease key: {@code 10.244.1.0-24}, or dual-stack
 * {@code 10.12.13.0-24&fd00:12:13::-56}.
 *
 * @param subnet   the IPv4 subnet (always present: flannel's etcd keys start with it)
 * @param subnetV6 the IPv6 subnet of a dual-stack lease, or null
 */
public record SubnetKey(Cidr subnet, Cidr subnetV6) {
    /*
     * flannel's pattern, with its unescaped dots kept (they match any character, so
     * "10.5x1y0-24" matches and then fails the IP parse, as in flannel). Go's "$" means end of
     * text; Java's would also match before a final newline, hence \z.
     */
    private static final Pattern KEY = Pattern.compile("(\\d+\\.\\d+.\\d+.\\d+)-(\\d+)(?:&([a-f\\d:]+)-(\\d+))?\\z");

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
     * Parses with flannel's semantics ({@code ParseSubnetKey}): the pattern is matched as a suffix
     * of {@code s}, so a full etcd key works too; prefix lengths may have leading zeros but must
     * fit 5 bits (IPv4: at most 31, flannel's {@code ParseUint(.., 5)}) or 7 bits (IPv6).
     * Empty when flannel would not recognise the key either.
     */
    public static Optional<SubnetKey> parse(String s) {
        Matcher m = KEY.matcher(s);
        if (!m.find()) {
            return Optional.empty();
        }
        try {
            IpAddress v4 = IpAddress.parse(m.group(1));
            int len4 = prefix(m.group(2), 31);
            if (!v4.isV4() || len4 < 0) {
                return Optional.empty();
            }
            Cidr v6 = null;
            if (m.group(3) != null) {
                IpAddress a6 = IpAddress.parse(m.group(3));
                int len6 = prefix(m.group(4), 127);
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
        BigInteger v = new BigInteger(digits);
        return v.compareTo(BigInteger.valueOf(max)) <= 0 ? v.intValue() : -1;
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
