package dev.weft.bgp.wire;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * Prefixes as length-in-bits plus the significant octets (RFC 4271 §4.3), each preceded by a
 * 4-octet path identifier when ADD-PATH applies (RFC 7911). Trailing bits beyond the prefix length
 * are ignored on input (cleared), as RFC 4271 says they are irrelevant.
 */
final class NlriCodec {
    private NlriCodec() {}

    /**
     * Appends the prefixes in {@code [index, end)} to {@code out}. Any syntax error (prefix too
     * long, truncation) throws 3/{@code subcode}: an unparsable NLRI field always resets the
     * session (RFC 7606 §5.3). Each prefix consumes at least one octet, so {@code out} grows at
     * most by {@code end - index}.
     */
    static void decode(ByteBuf buf, int index, int end, boolean v6, boolean addPath, List<Nlri> out, int subcode)
            throws BgpWireException {
        int maxBits = v6 ? 128 : 32;
        int p = index;
        while (p < end) {
            int pathId = 0;
            if (addPath) {
                if (end - p < 5) {
                    throw error(subcode, "truncated ADD-PATH prefix");
                }
                pathId = buf.getInt(p);
                p += 4;
            }
            int bits = buf.getUnsignedByte(p++);
            if (bits > maxBits) {
                throw error(subcode, "prefix length " + bits + " exceeds " + maxBits);
            }
            int octets = (bits + 7) >>> 3;
            if (octets > end - p) {
                throw error(subcode, "truncated prefix /" + bits);
            }
            IpAddress a;
            if (v6) {
                long hi = 0;
                long lo = 0;
                for (int i = 0; i < octets; i++) {
                    long b = buf.getUnsignedByte(p + i);
                    if (i < 8) {
                        hi |= b << (56 - 8 * i);
                    } else {
                        lo |= b << (56 - 8 * (i - 8));
                    }
                }
                hi &= bits == 0 ? 0L : bits >= 64 ? -1L : -1L << (64 - bits);
                lo &= bits <= 64 ? 0L : bits == 128 ? -1L : -1L << (128 - bits);
                a = IpAddress.ofV6(hi, lo);
            } else {
                int v = 0;
                for (int i = 0; i < octets; i++) {
                    v |= buf.getUnsignedByte(p + i) << (24 - 8 * i);
                }
                v &= bits == 0 ? 0 : -1 << (32 - bits);
                a = IpAddress.ofV4(v);
            }
            p += octets;
            out.add(new Nlri(Cidr.of(a, bits), pathId));
        }
    }

    private static BgpWireException error(int subcode, String why) {
        return new BgpWireException(Notification.UPDATE_MESSAGE_ERROR, subcode, why);
    }

    static void encode(List<Nlri> prefixes, boolean addPath, ByteBuf out) {
        for (Nlri n : prefixes) {
            encode(n, addPath, out);
        }
    }

    static void encode(Nlri n, boolean addPath, ByteBuf out) {
        if (addPath) {
            out.writeInt(n.pathId());
        }
        int bits = n.prefix().prefixLength();
        out.writeByte(bits);
        int octets = (bits + 7) >>> 3;
        IpAddress a = n.prefix().address();
        if (a.isV4()) {
            int v = a.toV4Int();
            for (int i = 0; i < octets; i++) {
                out.writeByte(v >>> (24 - 8 * i));
            }
        } else {
            byte[] b = a.toBytes();
            out.writeBytes(b, 0, octets);
        }
    }

    static int encodedLength(List<Nlri> prefixes, boolean addPath) {
        int n = 0;
        for (Nlri x : prefixes) {
            n += (addPath ? 5 : 1) + ((x.prefix().prefixLength() + 7) >>> 3);
        }
        return n;
    }
}
