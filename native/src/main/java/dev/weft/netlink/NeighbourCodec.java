package dev.weft.netlink;

import static dev.weft.libc.Linux.AF_INET;
import static dev.weft.libc.Linux.AF_INET6;

import dev.weft.net.IpAddress;
import java.nio.ByteBuffer;

/**
 * ARP/NDP entries (struct ndmsg of family AF_INET/AF_INET6 + NDA_*): request bodies and the
 * decoder. Pure. FDB entries share the struct under AF_BRIDGE: {@link FdbCodec}.
 */
final class NeighbourCodec {
    /** sizeof(struct ndmsg). */
    static final int HEADER = 12;

    private NeighbourCodec() {
    }

    static void write(MessageWriter w, Neighbour n) {
        ndmsg(w, n.dst().isV4() ? AF_INET : AF_INET6, n.index(), n.state(), n.flags());
        w.attrIp(Rt.NDA_DST, n.dst());
        if (n.lladdr() != null) {
            w.attrMac(Rt.NDA_LLADDR, n.lladdr());
        }
    }

    /** The body of a dump request for one family (AF_BRIDGE for the FDB). */
    static void writeDumpRequest(MessageWriter w, int family) {
        ndmsg(w, family, 0, 0, 0);
    }

    static void ndmsg(MessageWriter w, int family, int index, int state, int flags) {
        w.u8(family).u8(0).u16(0).u32(index).u16(state).u8(flags).u8(0);
    }

    /** An ARP/NDP entry; null for other types, AF_BRIDGE entries, or an entry without a destination. */
    static Neighbour decode(ByteBuffer b, int type, int from, int to) {
        if (type != Rt.RTM_NEWNEIGH && type != Rt.RTM_DELNEIGH) {
            return null;
        }
        NetlinkDecodeException.requireBody(b, from, to, HEADER, "neighbour");
        int family = Byte.toUnsignedInt(b.get(from));
        if (family != AF_INET && family != AF_INET6) {
            return null;
        }
        Attrs a = Attrs.parse(b, from + HEADER, to);
        IpAddress dst = a.ip(Rt.NDA_DST);
        if (dst == null) {
            return null;
        }
        return new Neighbour(b.getInt(from + 4), dst, a.mac(Rt.NDA_LLADDR), Short.toUnsignedInt(b.getShort(from + 8)),
                Byte.toUnsignedInt(b.get(from + 10)));
    }
}
