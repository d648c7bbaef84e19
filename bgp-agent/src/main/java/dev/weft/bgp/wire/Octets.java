package dev.weft.bgp.wire;

import java.util.Arrays;
import java.util.HexFormat;

/** An immutable byte string with value equality, for the opaque parts of messages (unknown attributes and capabilities, NOTIFICATION data). */
public final class Octets {
    public static final Octets EMPTY = new Octets(new byte[0]);

    private final byte[] bytes;

    private Octets(byte[] bytes) {
        this.bytes = bytes;
    }

    public static Octets of(byte[] bytes) {
        return bytes.length == 0 ? EMPTY : new Octets(bytes.clone());
    }

    public static Octets ofHex(String hex) {
        return of(HexFormat.of().parseHex(hex.replace(" ", "")));
    }

    public int length() {
        return bytes.length;
    }

    public byte[] toByteArray() {
        return bytes.clone();
    }

    public int get(int i) {
        return bytes[i] & 0xff;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Octets other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return HexFormat.of().formatHex(bytes);
    }
}
