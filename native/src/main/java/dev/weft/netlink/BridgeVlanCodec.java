package dev.weft.netlink;

import static dev.weft.libc.Linux.AF_BRIDGE;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Bridge VLANs (IFLA_AF_SPEC / IFLA_BRIDGE_VLAN_INFO): request bodies and the decoder. Pure. */
final class BridgeVlanCodec {
    private BridgeVlanCodec() {
    }

    /** The body of a bridge VLAN request; one VID when {@code from == to}, else a range. */
    static void write(MessageWriter w, int index, int from, int to, int flags, boolean self) {
        w.ifinfomsg(AF_BRIDGE, index, 0, 0);
        int spec = w.legacyNestStart(Rt.IFLA_AF_SPEC);
        // The reference (vishvananda/netlink) and iproute2 both say "master" explicitly.
        w.attrU16(Rt.IFLA_BRIDGE_FLAGS, self ? Rt.BRIDGE_FLAGS_SELF : Rt.BRIDGE_FLAGS_MASTER);
        if (from == to) {
            w.attrU32(Rt.IFLA_BRIDGE_VLAN_INFO, vlanInfo(from, flags));
        } else {
            w.attrU32(Rt.IFLA_BRIDGE_VLAN_INFO, vlanInfo(from, flags | Rt.BRIDGE_VLAN_INFO_RANGE_BEGIN));
            w.attrU32(Rt.IFLA_BRIDGE_VLAN_INFO, vlanInfo(to, flags | Rt.BRIDGE_VLAN_INFO_RANGE_END));
        }
        w.nestEnd(spec);
    }

    /** struct bridge_vlan_info {u16 flags; u16 vid;} read as one native-order (little-endian) u32. */
    private static int vlanInfo(int vid, int flags) {
        if (vid < 1 || vid > 4094) {
            throw new IllegalArgumentException("VLAN ID out of range 1..4094: " + vid);
        }
        return (vid << 16) | flags;
    }

    /**
     * The VLANs in an AF_BRIDGE link message about link {@code index}: its IFLA_BRIDGE_VLAN_INFO
     * attributes (repeated, so walked by hand). Null for any other message.
     */
    static List<BridgeVlan> decode(ByteBuffer b, int type, int from, int to, int index) {
        if (type != Rt.RTM_NEWLINK) {
            return null;
        }
        NetlinkDecodeException.requireBody(b, from, to, LinkCodec.HEADER, "bridge vlans");
        if (b.getInt(from + 4) != index) {
            return null;
        }
        Attrs a = Attrs.parse(b, from + LinkCodec.HEADER, to);
        int p = a.offset(Rt.IFLA_AF_SPEC);
        List<BridgeVlan> out = new ArrayList<>();
        if (p < 0) {
            return out;
        }
        int end = p + a.length(Rt.IFLA_AF_SPEC);
        while (p + 4 <= end) {
            int len = Short.toUnsignedInt(b.getShort(p));
            int attr = Short.toUnsignedInt(b.getShort(p + 2)) & Rt.NLA_TYPE_MASK;
            if (len < 4 || p + len > end) {
                break; // a length under 4 would never advance: the walk ends instead
            }
            if (attr == Rt.IFLA_BRIDGE_VLAN_INFO && len >= 8) {
                int flags = Short.toUnsignedInt(b.getShort(p + 4));
                int vid = Short.toUnsignedInt(b.getShort(p + 6));
                out.add(new BridgeVlan(vid, (flags & Rt.BRIDGE_VLAN_INFO_PVID) != 0, (flags & Rt.BRIDGE_VLAN_INFO_UNTAGGED) != 0));
            }
            p += (len + 3) & ~3;
        }
        return out;
    }
}
