package dev.weft.net;

import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * An IPv4 or IPv6 address as an immutable value.
 *
 * <p>IPv4 is held in a single {@code int} so the packet paths that dominate an overlay (route and
 * subnet matching) are plain integer operations. IPv6 is held as two big-endian {@code long}
 * halves. Zones ({@code %eth0}) are deliberately not modelled: they are interface state, not part
 * of an address value, and flannel/CNI never carry them.
 *
 * <p>An IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}) is an IPv6 value: it is not equal to
 * the IPv4 address it embeds (use {@link #unmap()}), but the classification predicates look
 * through the mapping, as Go does.
 *
 * <p>Longer than the house's usual class on purpose: parsing (with Go's and the JDK's rules for
 * IPv4, IPv6, zero compression and embedded IPv4), formatting, classification and arithmetic of
 * one value type belong together, and splitting them would only spread the representation
 * (the int and the two longs) across files.
 */
public final class IpAddress implements Comparable<IpAddress> {

    public static final IpAddress V4_UNSPECIFIED = new IpAddress(0);
    public static final IpAddress V4_LOOPBACK = new IpAddress(0x7f000001);
    public static final IpAddress V4_BROADCAST = new IpAddress(-1);
    public static final IpAddress V6_UNSPECIFIED = new IpAddress(0L, 0L);
    public static final IpAddress V6_LOOPBACK = new IpAddress(0L, 1L);

    private static final long V4_MAPPED_PREFIX = 0xffffL; // bits 32..63 of lo for ::ffff:0:0/96

    // Package-private so Cidr can match without accessor calls or allocation.
    final boolean v6;
    final int v4;  // IPv4 value; 0 for IPv6
    final long hi; // IPv6 bits 0..63 (network order); 0 for IPv4
    final long lo; // IPv6 bits 64..127; 0 for IPv4

    private IpAddress(int v4) {
        this.v6 = false;
        this.v4 = v4;
        this.hi = 0L;
        this.lo = 0L;
    }

    private IpAddress(long hi, long lo) {
        this.v6 = true;
        this.v4 = 0;
        this.hi = hi;
        this.lo = lo;
    }

    // ---------------------------------------------------------------- factories

    /** The IPv4 address whose network-order value is {@code value}. */
    public static IpAddress ofV4(int value) {
        return new IpAddress(value);
    }

    /** The IPv6 address with the given high and low 64 bits (network order). */
    public static IpAddress ofV6(long high, long low) {
        return new IpAddress(high, low);
    }

    /** An address from 4 (IPv4) or 16 (IPv6) network-order bytes. The array is not retained. */
    public static IpAddress ofBytes(byte[] b) {
        Objects.requireNonNull(b, "b");
        if (b.length == 4) {
            return new IpAddress(int32(b, 0));
        }
        if (b.length == 16) {
            return new IpAddress(int64(b, 0), int64(b, 8));
        }
        throw new IllegalArgumentException("IP address must be 4 or 16 bytes, got " + b.length);
    }

    /**
     * The value of a JDK address. An {@link Inet6Address} scope id is dropped, since zones are not
     * part of this type. Note the JDK itself turns IPv4-mapped literals into {@code Inet4Address}.
     */
    public static IpAddress fromInetAddress(InetAddress a) {
        return ofBytes(Objects.requireNonNull(a, "a").getAddress());
    }

    /** Reads {@code len} (4 or 16) network-order bytes at the buffer's position, advancing it. */
    public static IpAddress readFrom(ByteBuffer buf, int len) {
        // Bulk reads are correct for either buffer byte order because we undo a little-endian view.
        boolean big = buf.order() == ByteOrder.BIG_ENDIAN;
        if (len == 4) {
            int v = buf.getInt();
            return new IpAddress(big ? v : Integer.reverseBytes(v));
        }
        if (len == 16) {
            if (buf.remaining() < 16) {
                throw new java.nio.BufferUnderflowException();
            }
            long h = buf.getLong();
            long l = buf.getLong();
            return big ? new IpAddress(h, l) : new IpAddress(Long.reverseBytes(h), Long.reverseBytes(l));
        }
        throw new IllegalArgumentException("IP address length must be 4 or 16, got " + len);
    }

    /**
     * The address with the given numeric value. Throws {@link IllegalArgumentException} if the value
     * is negative or does not fit the family (32 or 128 bits).
     */
    public static IpAddress fromBigInteger(BigInteger value, boolean v6) {
        Objects.requireNonNull(value, "value");
        int bits = v6 ? 128 : 32;
        if (value.signum() < 0 || value.bitLength() > bits) {
            throw new IllegalArgumentException(
                    value + " is not a valid " + (v6 ? "IPv6" : "IPv4") + " address value");
        }
        return v6 ? new IpAddress(value.shiftRight(64).longValue(), value.longValue())
                  : new IpAddress(value.intValue());
    }

    // ---------------------------------------------------------------- parsing

    /**
     * Parses a textual address: a strict dotted quad, or any RFC 4291 IPv6 form (including
     * {@code ::} and a trailing embedded IPv4). Never consults DNS.
     *
     * @throws IllegalArgumentException naming the input if it is not an address literal
     */
    public static IpAddress parse(String s) {
        Objects.requireNonNull(s, "s");
        return parse(s, 0, s.length(), s, "IP address");
    }

    /** Parses {@code s[from, to)}; errors name {@code whole}, described as {@code kind}. */
    static IpAddress parse(String s, int from, int to, String whole, String kind) {
        if (from >= to) {
            throw bad(kind, whole, "empty address");
        }
        boolean colon = false;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == '%') {
                throw bad(kind, whole, "zone identifiers are not supported");
            }
            if (c == ':') {
                colon = true;
            }
        }
        return colon ? parseV6(s, from, to, whole, kind) : new IpAddress(parseV4(s, from, to, whole, kind));
    }

    private static int parseV4(String s, int from, int to, String whole, String kind) {
        int value = 0;
        int octets = 0;
        int i = from;
        while (true) {
            int start = i;
            int octet = 0;
            while (i < to) {
                char c = s.charAt(i);
                if (c < '0' || c > '9') {
                    break;
                }
                if (i - start == 3) {
                    throw bad(kind, whole, "IPv4 octet has more than 3 digits");
                }
                octet = octet * 10 + (c - '0');
                i++;
            }
            if (i == start) {
                throw bad(kind, whole, i < to ? unexpected(s, i) : "empty IPv4 octet");
            }
            // "010" means 8 to inet_aton but 10 to most parsers; refuse to guess, as Go does.
            if (i - start > 1 && s.charAt(start) == '0') {
                throw bad(kind, whole, "IPv4 octet has a leading zero");
            }
            if (octet > 255) {
                throw bad(kind, whole, "IPv4 octet " + octet + " is greater than 255");
            }
            value = (value << 8) | octet;
            octets++;
            if (i == to) {
                break;
            }
            if (s.charAt(i) != '.') {
                throw bad(kind, whole, unexpected(s, i));
            }
            if (octets == 4) {
                throw bad(kind, whole, "IPv4 address has more than 4 octets");
            }
            i++;
        }
        if (octets != 4) {
            throw bad(kind, whole, "IPv4 address must have 4 octets, got " + octets);
        }
        return value;
    }

    private static IpAddress parseV6(String s, int from, int to, String whole, String kind) {
        // Groups before "::" go straight to their final position; groups after it go through a
        // 128-bit shift register, which leaves them right-aligned when input ends. No arrays.
        long headHi = 0, headLo = 0, tailHi = 0, tailLo = 0;
        int groups = 0;
        int ellipsis = -1; // group index where "::" sits, or -1
        int i = from;
        if (s.charAt(i) == ':') {
            if (i + 1 >= to || s.charAt(i + 1) != ':') {
                throw bad(kind, whole, "IPv6 address may not start with a single ':'");
            }
            ellipsis = 0;
            i += 2;
        }
        while (i < to) {
            int start = i;
            int group = 0;
            while (i < to) {
                int d = hexValue(s.charAt(i));
                if (d < 0) {
                    break;
                }
                if (i - start == 4) {
                    throw bad(kind, whole, "IPv6 group has more than 4 hex digits");
                }
                group = (group << 4) | d;
                i++;
            }
            if (i < to && s.charAt(i) == '.') {
                // Embedded IPv4: it must be the final 32 bits of the address.
                int limit = ellipsis < 0 ? 8 : 7;
                if (groups + 2 > limit || (ellipsis < 0 && groups != 6)) {
                    throw bad(kind, whole, "embedded IPv4 address must be the last 32 bits");
                }
                long v4 = parseV4(s, start, to, whole, kind) & 0xffffffffL;
                if (ellipsis < 0) {
                    headLo |= v4;
                } else {
                    tailHi = (tailHi << 32) | (tailLo >>> 32);
                    tailLo = (tailLo << 32) | v4;
                }
                groups += 2;
                break;
            }
            if (i == start) {
                throw bad(kind, whole, i < to ? unexpected(s, i) : "empty IPv6 group");
            }
            if (groups >= (ellipsis < 0 ? 8 : 7)) {
                throw bad(kind, whole, "IPv6 address has too many groups");
            }
            if (ellipsis < 0) {
                if (groups < 4) {
                    headHi |= (long) group << (48 - 16 * groups);
                } else {
                    headLo |= (long) group << (48 - 16 * (groups - 4));
                }
            } else {
                tailHi = (tailHi << 16) | (tailLo >>> 48);
                tailLo = (tailLo << 16) | group;
            }
            groups++;
            if (i == to) {
                break;
            }
            if (s.charAt(i) != ':') {
                throw bad(kind, whole, unexpected(s, i));
            }
            i++;
            if (i == to) {
                throw bad(kind, whole, "IPv6 address may not end with a single ':'");
            }
            if (s.charAt(i) == ':') {
                if (ellipsis >= 0) {
                    throw bad(kind, whole, "IPv6 address has more than one '::'");
                }
                ellipsis = groups;
                i++;
            }
        }
        if (ellipsis < 0 && groups != 8) {
            throw bad(kind, whole, "IPv6 address must have 8 groups or use '::', got " + groups);
        }
        if (ellipsis >= 0 && groups > 7) {
            throw bad(kind, whole, "'::' must stand for at least one zero group");
        }
        return new IpAddress(headHi | tailHi, headLo | tailLo);
    }

    /** ASCII-only, unlike Character.digit, which would also accept e.g. fullwidth digits. */
    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static String unexpected(String s, int i) {
        return "unexpected character '" + s.charAt(i) + "' at index " + i;
    }

    static IllegalArgumentException bad(String kind, String input, String why) {
        return new IllegalArgumentException("invalid " + kind + " \"" + input + "\": " + why);
    }

    // ---------------------------------------------------------------- shape and conversion

    public boolean isV4() {
        return !v6;
    }

    public boolean isV6() {
        return v6;
    }

    /** 32 for IPv4, 128 for IPv6. */
    public int bitLength() {
        return v6 ? 128 : 32;
    }

    /** 4 for IPv4, 16 for IPv6. */
    public int byteLength() {
        return v6 ? 16 : 4;
    }

    /** The IPv4 value (network order). Throws {@link IllegalStateException} for IPv6. */
    public int toV4Int() {
        if (v6) {
            throw new IllegalStateException(this + " is not an IPv4 address");
        }
        return v4;
    }

    /** True for {@code ::ffff:0:0/96}, the IPv4-mapped IPv6 range. */
    public boolean isV4Mapped() {
        return v6 && hi == 0 && (lo >>> 32) == V4_MAPPED_PREFIX;
    }

    /** The embedded IPv4 address if this is IPv4-mapped, otherwise this address. */
    public IpAddress unmap() {
        return isV4Mapped() ? new IpAddress((int) lo) : this;
    }

    /** The IPv4-mapped IPv6 form of an IPv4 address; IPv6 addresses are returned unchanged. */
    public IpAddress toV4Mapped() {
        return v6 ? this : new IpAddress(0L, (V4_MAPPED_PREFIX << 32) | (v4 & 0xffffffffL));
    }

    /** Network-order bytes in a fresh array. */
    public byte[] toBytes() {
        byte[] b = new byte[v6 ? 16 : 4];
        if (v6) {
            putInt64(b, 0, hi);
            putInt64(b, 8, lo);
        } else {
            putInt32(b, 0, v4);
        }
        return b;
    }

    /** Writes the network-order bytes at the buffer's position, advancing it. */
    public void writeTo(ByteBuffer buf) {
        boolean big = buf.order() == ByteOrder.BIG_ENDIAN;
        if (!v6) {
            buf.putInt(big ? v4 : Integer.reverseBytes(v4));
            return;
        }
        if (buf.remaining() < 16) { // don't leave half an address behind
            throw new java.nio.BufferOverflowException();
        }
        buf.putLong(big ? hi : Long.reverseBytes(hi));
        buf.putLong(big ? lo : Long.reverseBytes(lo));
    }

    /**
     * The JDK equivalent, built from bytes (no lookup). IPv6 values, including IPv4-mapped ones,
     * become {@link Inet6Address} so the family survives the round trip.
     */
    public InetAddress toInetAddress() {
        try {
            return v6 ? Inet6Address.getByAddress(null, toBytes(), -1) : InetAddress.getByAddress(toBytes());
        } catch (UnknownHostException e) {
            throw new AssertionError("byte length is always valid", e);
        }
    }

    public BigInteger toBigInteger() {
        return v6 ? new BigInteger(1, toBytes()) : BigInteger.valueOf(v4 & 0xffffffffL);
    }

    // ---------------------------------------------------------------- arithmetic

    /** The following address. Throws {@link ArithmeticException} at the top of the family. */
    public IpAddress next() {
        return plus(1);
    }

    /** The preceding address. Throws {@link ArithmeticException} at the bottom of the family. */
    public IpAddress previous() {
        return plus(-1);
    }

    /**
     * This address plus {@code n} (which may be negative). Leaving the family's range throws
     * {@link ArithmeticException} rather than wrapping: a wrapped address is always a bug in IPAM.
     */
    public IpAddress plus(long n) {
        if (n == 0) {
            return this;
        }
        if (!v6) {
            long r = (v4 & 0xffffffffL) + n; // a long overflow (huge n) also lands below 0
            if (r < 0 || r > 0xffffffffL) {
                throw overflow(n);
            }
            return new IpAddress((int) r);
        }
        long newHi = hi;
        long newLo;
        if (n > 0) {
            newLo = lo + n;
            if (Long.compareUnsigned(newLo, lo) < 0) { // carry out of the low half
                if (hi == -1L) {
                    throw overflow(n);
                }
                newHi++;
            }
        } else {
            long m = -n; // for Long.MIN_VALUE this is 2^63 read as unsigned, which is right
            newLo = lo - m;
            if (Long.compareUnsigned(lo, m) < 0) { // borrow from the high half
                if (hi == 0L) {
                    throw overflow(n);
                }
                newHi--;
            }
        }
        return new IpAddress(newHi, newLo);
    }

    private ArithmeticException overflow(long n) {
        return new ArithmeticException(
                "address arithmetic leaves the " + (v6 ? "IPv6" : "IPv4") + " range: " + this + " + " + n);
    }

    // ---------------------------------------------------------------- classification
    // IPv4-mapped addresses are classified by the IPv4 address they carry, like Go's net package.

    private boolean v4Like() {
        return !v6 || isV4Mapped();
    }

    private int v4Value() {
        return v6 ? (int) lo : v4;
    }

    /** 0.0.0.0 or :: (or ::ffff:0.0.0.0). */
    public boolean isUnspecified() {
        return v4Like() ? v4Value() == 0 : (hi == 0 && lo == 0);
    }

    /** 127.0.0.0/8 or ::1. */
    public boolean isLoopback() {
        return v4Like() ? (v4Value() >>> 24) == 127 : (hi == 0 && lo == 1);
    }

    /** 224.0.0.0/4 or ff00::/8. */
    public boolean isMulticast() {
        return v4Like() ? (v4Value() >>> 28) == 0xe : (hi >>> 56) == 0xff;
    }

    /** 169.254.0.0/16 or fe80::/10. */
    public boolean isLinkLocalUnicast() {
        return v4Like() ? (v4Value() >>> 16) == 0xa9fe : (hi >>> 54) == (0xfe80L >>> 6);
    }

    /** The IPv4 limited broadcast address 255.255.255.255. */
    public boolean isBroadcast() {
        return v4Like() && v4Value() == -1;
    }

    /** RFC 1918 IPv4 ranges and IPv6 unique-local fc00::/7. */
    public boolean isPrivate() {
        if (v4Like()) {
            int v = v4Value();
            return (v >>> 24) == 10 || (v >>> 20) == 0xac1 || (v >>> 16) == 0xc0a8;
        }
        return (hi >>> 57) == (0xfcL >>> 1);
    }

    /**
     * Go's {@code net.IP.IsGlobalUnicast}: anything that is not unspecified, loopback, multicast,
     * link-local or limited broadcast. Private and unique-local addresses do count.
     */
    public boolean isGlobalUnicast() {
        return !isUnspecified() && !isLoopback() && !isMulticast() && !isLinkLocalUnicast() && !isBroadcast();
    }

    // ---------------------------------------------------------------- value semantics

    @Override
    public boolean equals(Object o) {
        return o instanceof IpAddress a && a.v6 == v6 && a.v4 == v4 && a.hi == hi && a.lo == lo;
    }

    @Override
    public int hashCode() {
        return v6 ? 31 * Long.hashCode(hi) + Long.hashCode(lo) + 1 : v4;
    }

    /** IPv4 before IPv6; within a family, numeric order. */
    @Override
    public int compareTo(IpAddress o) {
        if (v6 != o.v6) {
            return v6 ? 1 : -1;
        }
        if (!v6) {
            return Integer.compareUnsigned(v4, o.v4);
        }
        int c = Long.compareUnsigned(hi, o.hi);
        return c != 0 ? c : Long.compareUnsigned(lo, o.lo);
    }

    /** Dotted quad, or RFC 5952 canonical IPv6 ({@code ::ffff:a.b.c.d} for IPv4-mapped). */
    @Override
    public String toString() {
        if (!v6) {
            return appendV4(new StringBuilder(15), v4).toString();
        }
        if (isV4Mapped()) {
            return appendV4(new StringBuilder(22).append("::ffff:"), (int) lo).toString();
        }
        // Longest run of two or more zero groups; the first one wins a tie.
        int bestStart = -1;
        int bestLen = 1;
        int runStart = -1;
        for (int g = 0; g < 8; g++) {
            if (group(g) == 0) {
                if (runStart < 0) {
                    runStart = g;
                }
                if (g - runStart + 1 > bestLen) {
                    bestStart = runStart;
                    bestLen = g - runStart + 1;
                }
            } else {
                runStart = -1;
            }
        }
        StringBuilder sb = new StringBuilder(39);
        for (int g = 0; g < 8; g++) {
            if (g == bestStart) {
                sb.append("::");
                g += bestLen - 1;
                continue;
            }
            if (g > 0 && g != bestStart + bestLen) {
                sb.append(':');
            }
            appendHex(sb, group(g));
        }
        return sb.toString();
    }

    private int group(int g) {
        long half = g < 4 ? hi : lo;
        return (int) (half >>> (48 - 16 * (g & 3))) & 0xffff;
    }

    private static StringBuilder appendV4(StringBuilder sb, int v) {
        return sb.append(v >>> 24).append('.').append((v >>> 16) & 0xff).append('.')
                .append((v >>> 8) & 0xff).append('.').append(v & 0xff);
    }

    private static void appendHex(StringBuilder sb, int group) {
        boolean started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            int d = (group >>> shift) & 0xf;
            if (d != 0 || started || shift == 0) {
                sb.append(Character.forDigit(d, 16)); // forDigit yields lowercase
                started = true;
            }
        }
    }

    // ---------------------------------------------------------------- byte helpers

    private static int int32(byte[] b, int off) {
        return (b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | (b[off + 3] & 0xff);
    }

    private static long int64(byte[] b, int off) {
        return (long) int32(b, off) << 32 | (int32(b, off + 4) & 0xffffffffL);
    }

    private static void putInt32(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    private static void putInt64(byte[] b, int off, long v) {
        putInt32(b, off, (int) (v >>> 32));
        putInt32(b, off + 4, (int) v);
    }
}
