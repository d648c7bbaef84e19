package dev.weft.flannel.backend.udp;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071) over buffer regions, fast enough for the offload path, which
 * checksums every byte it segments or coalesces. Sums are kept in little-endian order, eight bytes
 * per step: a ones' complement sum is byte-order independent up to a swap of the final 16 bits
 * (RFC 1071 §2(B)), so only {@link #finish} swaps. Every region summed into one accumulator,
 * except the last, must have an even length.
 */
final class Checksum {
    private static final boolean UNSAFE_LE = PlatformDependent.hasUnsafe()
            && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private Checksum() {
    }

    /** Adds {@code len} bytes at {@code off} to the little-endian accumulator {@code acc}. */
    static long add(ByteBuf b, int off, int len, long acc) {
        if (off < 0 || len < 0 || off + len > b.capacity()) {
            throw new IndexOutOfBoundsException("checksum region " + off + "+" + len + " of " + b.capacity());
        }
        int end = off + len;
        if (UNSAFE_LE && b.hasMemoryAddress()) {
            // bounds checked above once, not per word: this loop runs over every payload byte
            long a = b.memoryAddress() + off;
            long stop = a + (len & ~7);
            for (; a < stop; a += 8) {
                long v = PlatformDependent.getLong(a);
                acc += (v >>> 32) + (v & 0xffffffffL);
            }
            off = end - (len & 7);
        } else {
            for (; off + 8 <= end; off += 8) {
                long v = b.getLongLE(off);
                acc += (v >>> 32) + (v & 0xffffffffL);
            }
        }
        if (off + 4 <= end) {
            acc += b.getUnsignedIntLE(off);
            off += 4;
        }
        if (off + 2 <= end) {
            acc += b.getUnsignedShortLE(off);
            off += 2;
        }
        if (off < end) {
            acc += b.getUnsignedByte(off);
        }
        return acc;
    }

    /** The IPv4 pseudo-header of the packet at {@code ip} for an L4 length, as an accumulator. */
    static long pseudoV4(ByteBuf b, int ip, int proto, int l4Length) {
        return b.getUnsignedIntLE(ip + 12) + b.getUnsignedIntLE(ip + 16) + (proto << 8) + swap16(l4Length);
    }

    /** Folds an accumulator into the 16-bit ones' complement sum, in network order (not complemented). */
    static int finish(long acc) {
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xffff) + (acc >>> 16);
        }
        return swap16((int) acc);
    }

    /** The checksum field value for {@code len} bytes at {@code off} (complemented sum). */
    static int of(ByteBuf b, int off, int len) {
        return ~finish(add(b, off, len, 0)) & 0xffff;
    }

    static int swap16(int v) {
        return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
    }
}
