package dev.weft.net;

import java.math.BigInteger;
import java.util.Objects;

/**
 * An address with a prefix length, e.g. {@code 10.1.0.5/16}.
 *
 * <p>Host bits are kept as given because CNI results and interface configuration carry an
 * interface address and its subnet in one value; use {@link #network()} for the block itself.
 * Masks are derived from the prefix length on demand (a shift or two), so a {@code Cidr} is just
 * its two components and IPv4 matching stays a handful of int operations.
 *
 * @param address      the address as given, host bits included
 * @param prefixLength 0..32 for IPv4, 0..128 for IPv6
 */
public record Cidr(IpAddress address, int prefixLength) implements Comparable<Cidr> {

    public Cidr {
        Objects.requireNonNull(address, "address");
        if (prefixLength < 0 || prefixLength > address.bitLength()) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is out of range 0.."
                    + address.bitLength() + " for " + address);
        }
    }

    public static Cidr of(IpAddress address, int prefixLength) {
        return new Cidr(address, prefixLength);
    }

    /** The single-address block of {@code address}: /32 or /128. */
    public static Cidr ofHost(IpAddress address) {
        return new Cidr(address, address.bitLength());
    }

    /**
     * Parses {@code address/prefix}, e.g. {@code 10.1.0.5/16} or {@code 2001:db8::1/64}. The prefix
     * is plain decimal: no sign, no leading zeros, within the family's range.
     */
    public static Cidr parse(String s) {
        return parse(s, '/', "CIDR");
    }

    /** Parses flannel's etcd key form, {@code 10.244.1.0-24} or {@code fd00:10:244:1::-64}. */
    public static Cidr parseKeyForm(String s) {
        return parse(s, '-', "subnet key");
    }

    private static Cidr parse(String s, char separator, String kind) {
        Objects.requireNonNull(s, "s");
        // IP literals never contain '/' or '-', so the first separator is the only candidate.
        int sep = s.indexOf(separator);
        if (sep < 0) {
            throw IpAddress.bad(kind, s, "missing '" + separator + "' before the prefix length");
        }
        IpAddress address = IpAddress.parse(s, 0, sep, s, kind);
        int prefix = parsePrefix(s, sep + 1, address.bitLength(), kind);
        return new Cidr(address, prefix);
    }

    private static int parsePrefix(String s, int from, int max, String kind) {
        int to = s.length();
        if (from == to) {
            throw IpAddress.bad(kind, s, "empty prefix length");
        }
        if (to - from > 3) {
            throw IpAddress.bad(kind, s, "prefix length is too long");
        }
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw IpAddress.bad(kind, s, "prefix length must be unsigned decimal, found '" + c + "'");
            }
            value = value * 10 + (c - '0');
        }
        if (to - from > 1 && s.charAt(from) == '0') {
            throw IpAddress.bad(kind, s, "prefix length has a leading zero");
        }
        if (value > max) {
            throw IpAddress.bad(kind, s, "prefix length " + value + " exceeds " + max);
        }
        return value;
    }

    // ---------------------------------------------------------------- masks

    /** IPv4 mask for prefix p in 0..32. The long shift makes /0 come out as 0 without a branch. */
    static int v4Mask(int p) {
        return (int) (-1L << (32 - p));
    }

    static long v6MaskHi(int p) {
        return p == 0 ? 0L : p >= 64 ? -1L : -1L << (64 - p);
    }

    static long v6MaskLo(int p) {
        return p <= 64 ? 0L : -1L << (128 - p);
    }

    /** Whether a and b (same family assumed) agree on their first p bits. */
    private static boolean samePrefix(IpAddress a, IpAddress b, int p) {
        if (!a.v6) {
            return ((a.v4 ^ b.v4) & v4Mask(p)) == 0;
        }
        return ((a.hi ^ b.hi) & v6MaskHi(p)) == 0 && ((a.lo ^ b.lo) & v6MaskLo(p)) == 0;
    }

    // ---------------------------------------------------------------- queries

    public boolean isV4() {
        return address.isV4();
    }

    public boolean isV6() {
        return address.isV6();
    }

    /** Whether the address has bits set beyond the prefix (10.1.0.5/16 does, 10.1.0.0/16 doesn't). */
    public boolean hasHostBits() {
        IpAddress a = address;
        int p = prefixLength;
        if (!a.v6) {
            return (a.v4 & ~v4Mask(p)) != 0;
        }
        return (a.hi & ~v6MaskHi(p)) != 0 || (a.lo & ~v6MaskLo(p)) != 0;
    }

    /** The block itself: this CIDR with the host bits cleared. */
    public Cidr network() {
        IpAddress n = networkAddress();
        return n == address ? this : new Cidr(n, prefixLength);
    }

    /** The first address of the block. */
    public IpAddress networkAddress() {
        IpAddress a = address;
        int p = prefixLength;
        if (!a.v6) {
            int n = a.v4 & v4Mask(p);
            return n == a.v4 ? a : IpAddress.ofV4(n);
        }
        long h = a.hi & v6MaskHi(p);
        long l = a.lo & v6MaskLo(p);
        return h == a.hi && l == a.lo ? a : IpAddress.ofV6(h, l);
    }

    /** The last address of the block (for IPv6, simply the all-ones host part). */
    public IpAddress broadcastAddress() {
        IpAddress a = address;
        int p = prefixLength;
        if (!a.v6) {
            return IpAddress.ofV4(a.v4 | ~v4Mask(p));
        }
        return IpAddress.ofV6(a.hi | ~v6MaskHi(p), a.lo | ~v6MaskLo(p));
    }

    /** The prefix as a mask address, e.g. 255.255.255.0 or ffff:ffff:ffff:ffff::. */
    public IpAddress netmask() {
        int p = prefixLength;
        return address.v6 ? IpAddress.ofV6(v6MaskHi(p), v6MaskLo(p)) : IpAddress.ofV4(v4Mask(p));
    }

    /** Whether ip lies in this block. Always false for the other family. Allocation-free. */
    public boolean contains(IpAddress ip) {
        return ip.v6 == address.v6 && samePrefix(ip, address, prefixLength);
    }

    /** Whether all of {@code other} lies in this block. */
    public boolean contains(Cidr other) {
        return other.prefixLength >= prefixLength && contains(other.address);
    }

    /** Whether the two blocks share any address; two blocks overlap only if one contains the other. */
    public boolean overlaps(Cidr other) {
        return other.address.v6 == address.v6
                && samePrefix(address, other.address, Math.min(prefixLength, other.prefixLength));
    }

    /** Number of addresses in the block, 2^(bits - prefix). */
    public BigInteger size() {
        return BigInteger.ONE.shiftLeft(address.bitLength() - prefixLength);
    }

    /** Number of host bits, bits - prefix. */
    public int hostBits() {
        return address.bitLength() - prefixLength;
    }

    /**
     * First assignable address. IPv4 skips the network address except on /31 and /32 (RFC 3021
     * point-to-point links and host routes use every address). IPv6 has no broadcast, but the
     * all-zero host is the subnet-router anycast address, so it starts at network+1 (except /128).
     */
    public IpAddress firstHost() {
        IpAddress n = networkAddress();
        int usableFromNetwork = address.v6 ? 128 : 31;
        return prefixLength >= usableFromNetwork ? n : n.next();
    }

    /** Last assignable address: IPv4 skips the broadcast except on /31 and /32; IPv6 uses the last. */
    public IpAddress lastHost() {
        IpAddress b = broadcastAddress();
        return address.v6 || prefixLength >= 31 ? b : b.previous();
    }

    /** The address at offset n from the network address; n must be within the block. */
    public IpAddress nth(long n) {
        int hostBits = hostBits();
        // With 63 or more host bits every non-negative long fits.
        if (n < 0 || (hostBits < 63 && n >= (1L << hostBits))) {
            throw new IllegalArgumentException("offset " + n + " is outside " + network());
        }
        return networkAddress().plus(n);
    }

    // ---------------------------------------------------------------- text

    /** flannel's etcd key spelling: {@code 10.244.1.0-24}. Uses the address as given. */
    public String toKeyForm() {
        return address + "-" + prefixLength;
    }

    /** {@code address/prefix} with the address in canonical form. */
    @Override
    public String toString() {
        return address + "/" + prefixLength;
    }

    // Written out, not the record's generated pair: that one is bootstrapped through
    // java.lang.invoke on first use, which costs a CNI plugin (a JVM per call) ~15 ms.
    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && prefixLength == c.prefixLength && address.equals(c.address);
    }

    @Override
    public int hashCode() {
        return 31 * address.hashCode() + prefixLength;
    }

    /**
     * By network address, then prefix length (so a block sorts before its sub-blocks); ties are
     * broken by the address as given to stay consistent with {@link #equals}.
     */
    @Override
    public int compareTo(Cidr o) {
        int c = networkAddress().compareTo(o.networkAddress());
        if (c != 0) {
            return c;
        }
        c = Integer.compare(prefixLength, o.prefixLength);
        return c != 0 ? c : address.compareTo(o.address);
    }
}
