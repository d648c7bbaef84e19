package dev.weft.bgp.wire;

import dev.weft.net.IpAddress;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760; IPv4 over an IPv6 next hop per RFC 8950). Any
 * syntax error here resets the session (3/9): the NLRI cannot be located reliably, so
 * treat-as-withdraw is impossible (RFC 7606 §7.11). An AFI/SAFI the speaker does not carry is
 * kept opaque, as {@link PathAttribute.Unknown}, so the UPDATE is not mistaken for an End-of-RIB.
 */
final class MpAttributeCodec {
    private MpAttributeCodec() {}

    /** Decodes MP_REACH_NLRI or MP_UNREACH_NLRI ({@code type}) whose value is {@code [i, i+len)}. */
    static PathAttribute decode(int type, int flags, ByteBuf buf, int i, int len, CodecContext ctx) throws BgpWireException {
        boolean reach = type == PathAttribute.MP_REACH_NLRI;
        if (len < (reach ? 5 : 3)) {
            throw error("MP attribute " + type + " of " + len + " octets");
        }
        Optional<Family> family = Family.of(buf.getUnsignedShort(i), buf.getUnsignedByte(i + 2));
        if (family.isEmpty()) {
            return new PathAttribute.Unknown(flags, type, Wire.octets(buf, i, len));
        }
        Family f = family.get();
        List<Nlri> prefixes = new ArrayList<>();
        if (!reach) {
            NlriCodec.decode(buf, i + 3, i + len, f.isV6(), ctx.addPathReceive().contains(f), prefixes, 9);
            return new PathAttribute.MpUnreach(f, prefixes);
        }
        int nhLength = buf.getUnsignedByte(i + 3);
        boolean ok = nhLength == 16 || nhLength == 32 || (f == Family.IPV4_UNICAST && nhLength == 4);
        if (!ok || 4 + nhLength + 1 > len) {
            throw error("MP_REACH_NLRI next hop length " + nhLength + " for " + f);
        }
        int p = i + 4;
        List<IpAddress> nextHops = nhLength == 4 ? List.of(Wire.address(buf, p, 4))
                : nhLength == 16 ? List.of(Wire.address(buf, p, 16))
                : List.of(Wire.address(buf, p, 16), Wire.address(buf, p + 16, 16));
        p += nhLength + 1; // the reserved octet (RFC 4760 §3: ignored)
        NlriCodec.decode(buf, p, i + len, f.isV6(), ctx.addPathReceive().contains(f), prefixes, 9);
        return new PathAttribute.MpReach(f, nextHops, prefixes);
    }

    /**
     * The semantic next-hop check of RFC 7606 §7.3 applied to MP_REACH: the (global) next hop must
     * not be multicast, nor unspecified unless a link-local address follows it.
     */
    static boolean hasValidNextHop(PathAttribute.MpReach r) {
        IpAddress first = r.nextHops().get(0);
        if (first.isV4()) {
            return AttributeCodec.isValidNextHop(first);
        }
        return !first.isMulticast() && !(first.isUnspecified() && r.nextHops().size() == 1);
    }

    private static BgpWireException error(String why) {
        return new BgpWireException(Notification.UPDATE_MESSAGE_ERROR, 9, why);
    }

    static void writeReach(PathAttribute.MpReach r, CodecContext ctx, ByteBuf out) {
        out.writeShort(r.family().afi()).writeByte(r.family().safi());
        int nhLength = 0;
        for (IpAddress a : r.nextHops()) {
            nhLength += a.byteLength();
        }
        out.writeByte(nhLength);
        for (IpAddress a : r.nextHops()) {
            Wire.writeAddress(out, a);
        }
        out.writeByte(0);
        NlriCodec.encode(r.nlri(), ctx.addPathSend().contains(r.family()), out);
    }

    static void writeUnreach(PathAttribute.MpUnreach u, CodecContext ctx, ByteBuf out) {
        out.writeShort(u.family().afi()).writeByte(u.family().safi());
        NlriCodec.encode(u.withdrawn(), ctx.addPathSend().contains(u.family()), out);
    }
}
