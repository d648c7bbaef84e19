package dev.weft.netlink;

import static dev.weft.libc.Linux.AF_BRIDGE;

import dev.weft.net.MacAddress;
import java.nio.ByteBuffer;

/** Bridge FDB entries (struct ndmsg of family AF_BRIDGE + NDA_*): the request body and the decoder. Pure. */
final class FdbCodec {
    private FdbCodec() {
    }

    static void write(MessageWriter w, FdbEntry e) {
        NeighbourCodec.ndmsg(w, AF_BRIDGE, e.index(), e.state(), e.flags());
        w.attrMac(Rt.NDA_LLADDR, e.mac());
        if (e.dst() != null) {
            w.attrIp(Rt.NDA_DST, e.dst());
        }
    }

    /** An FDB entry; null for other types, other families, or an entry without a MAC. */
    static FdbEntry decode(ByteBuffer b, int type, int from, int to) {
        if (type != Rt.RTM_NEWNEIGH && type != Rt.RTM_DELNEIGH) {
            return null;
        }
        NetlinkDecodeException.requireBody(b, from, to, NeighbourCodec.HEADER, "fdb entry");
        if (Byte.toUnsignedInt(b.get(from)) != AF_BRIDGE) {
            return null;
        }
        Attrs a = Attrs.parse(b, from + NeighbourCodec.HEADER, to);
        MacAddress mac = a.mac(Rt.NDA_LLADDR);
        if (mac == null) {
            return null;
        }
        return new FdbEntry(b.getInt(from + 4), mac, a.ip(Rt.NDA_DST), Short.toUnsignedInt(b.getShort(from + 8)),
                Byte.toUnsignedInt(b.get(from + 10)));
    }
}
