package dev.weft.netlink;

import static dev.weft.libc.Linux.AF_UNSPEC;

import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;
import java.nio.ByteBuffer;

/** Links (struct ifinfomsg + IFLA_*): the create request and the decoder. Pure: no socket, no I/O. */
final class LinkCodec {
    /** sizeof(struct ifinfomsg). */
    static final int HEADER = 16;

    private LinkCodec() {
    }

    static String kindOf(LinkSpec spec) {
        if (spec instanceof LinkSpec.Veth) {
            return "veth";
        } else if (spec instanceof LinkSpec.Bridge) {
            return "bridge";
        } else if (spec instanceof LinkSpec.Vxlan) {
            return "vxlan";
        } else if (spec instanceof LinkSpec.Ipip) {
            return "ipip";
        }
        return "dummy";
    }

    /** The body of an RTM_NEWLINK that creates {@code spec}. */
    static void writeSpec(MessageWriter w, LinkSpec spec) {
        w.ifinfomsg(AF_UNSPEC, 0, 0, 0);
        writeCommon(w, spec.name(), spec.mtu(), spec.mac(), spec.netnsFd());
        int info = w.nestStart(Rt.IFLA_LINKINFO);
        w.attrString(Rt.IFLA_INFO_KIND, kindOf(spec));
        if (spec instanceof LinkSpec.Veth v) {
            int data = w.nestStart(Rt.IFLA_INFO_DATA);
            int peer = w.nestStart(Rt.VETH_INFO_PEER);
            w.ifinfomsg(AF_UNSPEC, 0, 0, 0);
            writeCommon(w, v.peerName(), v.mtu(), v.peerMac(), v.peerNetnsFd());
            w.nestEnd(peer);
            w.nestEnd(data);
        } else if (spec instanceof LinkSpec.Bridge b) {
            if (b.vlanFiltering()) {
                int data = w.nestStart(Rt.IFLA_INFO_DATA);
                w.attrU8(Rt.IFLA_BR_VLAN_FILTERING, 1);
                w.nestEnd(data);
            }
        } else if (spec instanceof LinkSpec.Vxlan x) {
            writeVxlan(w, x);
        }
        w.nestEnd(info);
    }

    private static void writeCommon(MessageWriter w, String name, int mtu, MacAddress mac, int netnsFd) {
        w.attrString(Rt.IFLA_IFNAME, name);
        if (mtu > 0) {
            w.attrU32(Rt.IFLA_MTU, mtu);
        }
        if (mac != null) {
            w.attrMac(Rt.IFLA_ADDRESS, mac);
        }
        if (netnsFd >= 0) {
            w.attrU32(Rt.IFLA_NET_NS_FD, netnsFd);
        }
    }

    private static void writeVxlan(MessageWriter w, LinkSpec.Vxlan x) {
        int data = w.nestStart(Rt.IFLA_INFO_DATA);
        w.attrU32(Rt.IFLA_VXLAN_ID, x.vni());
        if (x.local() != null) {
            w.attrIp(x.local().isV4() ? Rt.IFLA_VXLAN_LOCAL : Rt.IFLA_VXLAN_LOCAL6, x.local());
        }
        if (x.linkIndex() > 0) {
            w.attrU32(Rt.IFLA_VXLAN_LINK, x.linkIndex());
        }
        if (x.port() > 0) {
            w.attrBe16(Rt.IFLA_VXLAN_PORT, x.port());
        }
        w.attrU8(Rt.IFLA_VXLAN_LEARNING, x.learning() ? 1 : 0);
        w.attrU8(Rt.IFLA_VXLAN_UDP_CSUM, x.udpChecksum() ? 1 : 0);
        if (x.gbp()) {
            w.attrFlag(Rt.IFLA_VXLAN_GBP);
        }
        w.nestEnd(data);
    }

    /** An RTM_NEWLINK/RTM_DELLINK body in [from, to); null for other message types. */
    static Link decode(ByteBuffer b, int type, int from, int to) {
        if (type != Rt.RTM_NEWLINK && type != Rt.RTM_DELLINK) {
            return null;
        }
        NetlinkDecodeException.requireBody(b, from, to, HEADER, "link");
        int index = b.getInt(from + 4);
        int flags = b.getInt(from + 8);
        Attrs a = Attrs.parse(b, from + HEADER, to);
        String kind = null;
        String slaveKind = null;
        VxlanInfo vxlan = null;
        Attrs info = a.nested(Rt.IFLA_LINKINFO);
        if (info != null) {
            kind = info.string(Rt.IFLA_INFO_KIND);
            slaveKind = info.string(Rt.IFLA_INFO_SLAVE_KIND);
            Attrs data = info.nested(Rt.IFLA_INFO_DATA);
            if ("vxlan".equals(kind) && data != null) {
                vxlan = decodeVxlan(data);
            }
        }
        return new Link(index, a.string(Rt.IFLA_IFNAME), kind, slaveKind, a.u32(Rt.IFLA_MTU, 0), a.mac(Rt.IFLA_ADDRESS),
                a.u32(Rt.IFLA_MASTER, 0), a.u32(Rt.IFLA_LINK, 0), flags, a.u8(Rt.IFLA_OPERSTATE, 0), vxlan);
    }

    private static VxlanInfo decodeVxlan(Attrs data) {
        IpAddress local = data.ip(Rt.IFLA_VXLAN_LOCAL);
        if (local == null) {
            local = data.ip(Rt.IFLA_VXLAN_LOCAL6);
        }
        return new VxlanInfo(data.u32(Rt.IFLA_VXLAN_ID, 0), local, data.u32(Rt.IFLA_VXLAN_LINK, 0),
                data.be16(Rt.IFLA_VXLAN_PORT, 0), data.u8(Rt.IFLA_VXLAN_LEARNING, 0) != 0,
                data.has(Rt.IFLA_VXLAN_GBP), data.u8(Rt.IFLA_VXLAN_UDP_CSUM, 0) != 0);
    }

    /** The body of an AF_BRIDGE RTM_SETLINK that sets a port's hairpin flag. */
    static void writeHairpin(MessageWriter w, int index, boolean on) {
        w.ifinfomsg(dev.weft.libc.Linux.AF_BRIDGE, index, 0, 0);
        int nest = w.nestStart(Rt.IFLA_PROTINFO);
        w.attrU8(Rt.IFLA_BRPORT_MODE, on ? 1 : 0);
        w.nestEnd(nest);
    }

    /** The hairpin flag in an AF_BRIDGE link message about link {@code index}; null for any other message. */
    static Boolean decodeHairpin(ByteBuffer b, int type, int from, int to, int index) {
        if (type != Rt.RTM_NEWLINK) {
            return null;
        }
        NetlinkDecodeException.requireBody(b, from, to, HEADER, "bridge port");
        if (b.getInt(from + 4) != index) {
            return null;
        }
        Attrs proto = Attrs.parse(b, from + HEADER, to).nested(Rt.IFLA_PROTINFO);
        return proto != null && proto.u8(Rt.IFLA_BRPORT_MODE, 0) != 0;
    }
}
