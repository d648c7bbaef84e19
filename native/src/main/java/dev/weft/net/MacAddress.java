package dev.weft.net;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A 48-bit Ethernet (EUI-48) address as an immutable value, held in the low 48 bits of a
 * {@code long} so FDB/neighbour lookups can key on it without arrays.
 */
public final class MacAddress {

    public static final MacAddress BROADCAST = new MacAddress(0xffff_ffff_ffffL);

    private static final long MASK = 0xffff_ffff_ffffL;
    private static final long GROUP_BIT = 1L << 40; // I/G: least significant bit of the first octet
    private static final long LOCAL_BIT = 1L << 41; // U/L: second bit of the first octet

    private final long value;

    private MacAddress(long value) {
        this.value = value;
    }

    /** The address whose 48 low bits are {@code value} (first octet in bits 40..47). */
    public static MacAddress ofLong(long value) {
        if ((value & ~MASK) != 0) {
            throw new IllegalArgumentException("MAC address value does not fit in 48 bits: 0x"
                    + Long.toHexString(value));
        }
        return new MacAddress(value);
    }

    /** From exactly 6 bytes; the array is not retained. */
    public static MacAddress ofBytes(byte[] b) {
        Objects.requireNonNull(b, "b");
        if (b.length != 6) {
            throw new IllegalArgumentException("MAC address must be 6 bytes, got " + b.length);
        }
        long v = 0;
        for (byte x : b) {
            v = (v << 8) | (x & 0xff);
        }
        return new MacAddress(v);
    }

    /** Reads 6 bytes at the buffer's position, advancing it. */
    public static MacAddress readFrom(ByteBuffer buf) {
        if (buf.remaining() < 6) {
            throw new java.nio.BufferUnderflowException();
        }
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = (v << 8) | (buf.get() & 0xff);
        }
        return new MacAddress(v);
    }

    /**
     * Parses six two-digit hex octets separated by ':' or '-' (one separator throughout), in either
     * case. Other spellings (Cisco dotted, bare hex, single digits) are rejected to keep config
     * unambiguous.
     */
    public static MacAddress parse(String s) {
        Objects.requireNonNull(s, "s");
        if (s.length() != 17) {
            throw bad(s, "expected 6 two-digit hex octets separated by ':' or '-'");
        }
        char sep = s.charAt(2);
        if (sep != ':' && sep != '-') {
            throw bad(s, "separator must be ':' or '-'");
        }
        long v = 0;
        for (int i = 0; i < 6; i++) {
            int pos = i * 3;
            int h = hexValue(s.charAt(pos));
            int l = hexValue(s.charAt(pos + 1));
            if (h < 0 || l < 0) {
                throw bad(s, "octet " + (i + 1) + " is not two hex digits");
            }
            if (i < 5 && s.charAt(pos + 2) != sep) {
                throw bad(s, "inconsistent or missing separator at index " + (pos + 2));
            }
            v = (v << 8) | (h << 4) | l;
        }
        return new MacAddress(v);
    }

    /** A random locally administered unicast address, as bridges and veth peers are given. */
    public static MacAddress randomLocal(RandomGenerator rng) {
        long v = rng.nextLong() & MASK;
        return new MacAddress((v & ~GROUP_BIT) | LOCAL_BIT);
    }

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

    private static IllegalArgumentException bad(String s, String why) {
        return new IllegalArgumentException("invalid MAC address \"" + s + "\": " + why);
    }

    public long toLong() {
        return value;
    }

    /** The 6 bytes in transmission order, in a fresh array. */
    public byte[] toBytes() {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (value >>> (40 - 8 * i));
        }
        return b;
    }

    /** Writes the 6 bytes at the buffer's position, advancing it. */
    public void writeTo(ByteBuffer buf) {
        if (buf.remaining() < 6) { // don't leave a partial address behind
            throw new java.nio.BufferOverflowException();
        }
        for (int i = 0; i < 6; i++) {
            buf.put((byte) (value >>> (40 - 8 * i)));
        }
    }

    /** Group (multicast or broadcast) address: the I/G bit is set. */
    public boolean isMulticast() {
        return (value & GROUP_BIT) != 0;
    }

    public boolean isBroadcast() {
        return value == MASK;
    }

    /** The U/L bit is set: assigned by software rather than burned in by a vendor. */
    public boolean isLocallyAdministered() {
        return (value & LOCAL_BIT) != 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MacAddress m && m.value == value;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(value);
    }

    /** Lowercase, colon-separated, as iproute2 and CNI results print it. */
    @Override
    public String toString() {
        char[] out = new char[17];
        for (int i = 0; i < 6; i++) {
            int octet = (int) (value >>> (40 - 8 * i)) & 0xff;
            out[i * 3] = Character.forDigit(octet >>> 4, 16);
            out[i * 3 + 1] = Character.forDigit(octet & 0xf, 16);
            if (i < 5) {
                out[i * 3 + 2] = ':';
            }
        }
        return new String(out);
    }
}
