package dev.weft.netlink;

import static dev.weft.libc.Linux.AF_INET;
import static dev.weft.libc.Linux.AF_INET6;

import dev.weft.net.IpAddress;
import java.nio.ByteBuffer;

/** Routes (struct rtmsg + RTA_*): the request body, the decoder and a description. Pure. */
final class RouteCodec {
    /** sizeof(struct rtmsg). */
    static final int HEADER = 12;

    private RouteCodec() {
    }

    /** "10.0.0.0/24 via 10.1.0.1 dev #3 table 7", for error messages. */
    static String describe(Route r) {
        StringBuilder s = new StringBuilder(r.dst().toString());
        if (r.gateway() != null) {
            s.append(" via ").append(r.gateway());
        }
        if (r.oif() != 0) {
            s.append(" dev #").append(r.oif());
        }
        if (r.table() != Rt.RT_TABLE_MAIN) {
            s.append(" table ").append(r.table());
        }
        return s.toString();
    }

    static void write(MessageWriter w, Route r, boolean delete) {
        IpAddress dst = r.dst().address();
        int family = dst.isV4() ? AF_INET : AF_INET6;
        int table = r.table();
        int scope = delete ? Rt.RT_SCOPE_NOWHERE : r.effectiveScope();
        // On delete the kernel matches rtm_protocol when it is set: a route whose protocol was chosen
        // (Weft's tag, or one read back from a dump) deletes only a route of that protocol, while the
        // default (boot, what `ip route del` leaves unset) matches any.
        int protocol = delete && r.protocol() == Rt.RTPROT_BOOT ? 0 : r.protocol();
        w.u8(family).u8(r.dst().prefixLength()).u8(0).u8(0).u8(table < 256 ? table : Rt.RT_TABLE_UNSPEC)
                .u8(protocol).u8(scope).u8(r.type()).u32(r.flags());
        w.attrU32(Rt.RTA_TABLE, table);
        if (r.dst().prefixLength() > 0) {
            w.attrIp(Rt.RTA_DST, dst);
        }
        if (r.gateway() != null) {
            w.attrIp(Rt.RTA_GATEWAY, r.gateway());
        }
        if (r.oif() != 0) {
            w.attrU32(Rt.RTA_OIF, r.oif());
        }
        if (r.src() != null) {
            w.attrIp(Rt.RTA_PREFSRC, r.src());
        }
        if (r.priority() != 0) {
            w.attrU32(Rt.RTA_PRIORITY, r.priority());
        }
    }

    /** The body of a dump request for routes of one family. */
    static void writeDumpRequest(MessageWriter w, int family) {
        w.u8(family).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0);
    }

    /** An RTM_NEWROUTE/RTM_DELROUTE body; null for other types or families. */
    static Route decode(ByteBuffer b, int type, int from, int to) {
        if (type != Rt.RTM_NEWROUTE && type != Rt.RTM_DELROUTE) {
            return null;
        }
        NetlinkDecodeException.requireBody(b, from, to, HEADER, "route");
        int family = Byte.toUnsignedInt(b.get(from));
        int dstLen = Byte.toUnsignedInt(b.get(from + 1));
        int table8 = Byte.toUnsignedInt(b.get(from + 4));
        int protocol = Byte.toUnsignedInt(b.get(from + 5));
        int scope = Byte.toUnsignedInt(b.get(from + 6));
        int rtype = Byte.toUnsignedInt(b.get(from + 7));
        int flags = b.getInt(from + 8);
        if (family != AF_INET && family != AF_INET6) {
            return null;
        }
        Attrs a = Attrs.parse(b, from + HEADER, to);
        IpAddress dst = a.ip(Rt.RTA_DST);
        if (dst == null) {
            dst = IpAddress.ofBytes(new byte[family == AF_INET ? 4 : 16]);
        }
        return new Route(AddressCodec.cidr(dst, dstLen, "route"), a.ip(Rt.RTA_GATEWAY), a.u32(Rt.RTA_OIF, 0),
                a.ip(Rt.RTA_PREFSRC), a.u32(Rt.RTA_PRIORITY, 0), a.u32(Rt.RTA_TABLE, table8), scope, protocol, rtype, flags);
    }
}
