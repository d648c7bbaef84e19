package dev.weft.netlink;

import static dev.weft.libc.Linux.AF_INET;
import static dev.weft.libc.Linux.AF_INET6;

import dev.weft.net.IpAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Routes (struct rtmsg + RTA_*): the request body, the decoder and a description. Pure. */
final class RouteCodec {
    /** sizeof(struct rtmsg). */
    static final int HEADER = 12;
    /** sizeof(struct rtnexthop). */
    static final int RTNH_LEN = 8;

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
        for (Route.NextHop h : r.nexthops()) {
            s.append(" nexthop");
            if (h.gateway() != null) {
                s.append(" via ").append(h.gateway());
            }
            if (h.oif() != 0) {
                s.append(" dev #").append(h.oif());
            }
            if (h.weight() != 1) {
                s.append(" weight ").append(h.weight());
            }
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
        if (!r.nexthops().isEmpty()) {
            writeMultipath(w, r.nexthops());
        }
    }

    /**
     * RTA_MULTIPATH: struct rtnexthop (len, flags, hops = weight - 1, ifindex) per hop, each
     * followed by its own attributes. The kernel walks it by hand, so it is not flagged as nested.
     */
    private static void writeMultipath(MessageWriter w, java.util.List<Route.NextHop> hops) {
        int mp = w.legacyNestStart(Rt.RTA_MULTIPATH);
        for (Route.NextHop h : hops) {
            int rtnh = w.rtnexthopStart(h.flags(), h.weight() - 1, h.oif());
            if (h.gateway() != null) {
                w.attrIp(Rt.RTA_GATEWAY, h.gateway());
            }
            w.nestEnd(rtnh);
        }
        w.nestEnd(mp);
    }

    /** The body of a dump request for routes of one family. */
    static void writeDumpRequest(MessageWriter w, int family) {
        w.u8(family).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0);
    }

    /** The body of a single-route lookup (RTM_GETROUTE without NLM_F_DUMP) for one address. */
    static void writeGetRequest(MessageWriter w, IpAddress ip) {
        boolean v4 = ip.isV4();
        w.u8(v4 ? AF_INET : AF_INET6).u8(v4 ? 32 : 128).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0);
        w.attrIp(Rt.RTA_DST, ip);
    }

    /**
     * A dump request the kernel filters itself when the socket has NETLINK_GET_STRICT_CHK (4.20+):
     * rtm_protocol and RTA_TABLE select the routes, so only those cross into user space. Without
     * strict checking the kernel ignores both and dumps everything, which the caller filters again.
     */
    static void writeFilteredDumpRequest(MessageWriter w, int family, int table, int protocol) {
        w.u8(family).u8(0).u8(0).u8(0).u8(table < 256 ? table : Rt.RT_TABLE_UNSPEC).u8(protocol).u8(0).u8(0).u32(0);
        if (table != Rt.RT_TABLE_UNSPEC) {
            w.attrU32(Rt.RTA_TABLE, table);
        }
    }

    /**
     * {@link #decode}, but only for a route of {@code protocol} (0 = any) in {@code table}
     * ({@link Rt#RT_TABLE_UNSPEC} = any). The protocol byte is checked before any attribute is
     * parsed, so skipping the other routes of a large table costs a byte read each.
     */
    static Route decodeIf(ByteBuffer b, int type, int from, int to, int table, int protocol) {
        if (protocol != 0 && to - from >= HEADER && !hasProtocol(b, from, to, protocol)) {
            return null;
        }
        Route r = decode(b, type, from, to);
        return r != null && (table == Rt.RT_TABLE_UNSPEC || r.table() == table) ? r : null;
    }

    /** Whether a route body's rtm_protocol is {@code protocol}, read without decoding the rest. */
    static boolean hasProtocol(ByteBuffer b, int from, int to, int protocol) {
        return to - from >= HEADER && Byte.toUnsignedInt(b.get(from + 5)) == protocol;
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
                a.ip(Rt.RTA_PREFSRC), a.u32(Rt.RTA_PRIORITY, 0), a.u32(Rt.RTA_TABLE, table8), scope, protocol, rtype, flags,
                decodeMultipath(b, a));
    }

    /** The hops of RTA_MULTIPATH; a hop whose length lies ends the walk, as a lying attribute does. */
    private static List<Route.NextHop> decodeMultipath(ByteBuffer b, Attrs a) {
        int p = a.offset(Rt.RTA_MULTIPATH);
        if (p < 0) {
            return List.of();
        }
        int end = p + a.length(Rt.RTA_MULTIPATH);
        List<Route.NextHop> hops = new ArrayList<>(4);
        while (p + RTNH_LEN <= end) {
            int len = Short.toUnsignedInt(b.getShort(p));
            if (len < RTNH_LEN || p + len > end) {
                break;
            }
            int flags = Byte.toUnsignedInt(b.get(p + 2));
            int weight = Byte.toUnsignedInt(b.get(p + 3)) + 1;
            int oif = b.getInt(p + 4);
            IpAddress gw = Attrs.parse(b, p + RTNH_LEN, p + len).ip(Rt.RTA_GATEWAY);
            hops.add(new Route.NextHop(gw, oif, weight, flags));
            p += (len + 3) & ~3;
        }
        return hops;
    }
}
