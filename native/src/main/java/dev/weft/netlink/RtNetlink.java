package dev.weft.netlink;

import static dev.weft.libc.Linux.AF_BRIDGE;
import static dev.weft.libc.Linux.AF_INET;
import static dev.weft.libc.Linux.AF_INET6;
import static dev.weft.libc.Linux.AF_UNSPEC;

import dev.weft.libc.Errno;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;
import dev.weft.netns.NetNs;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * An rtnetlink client for links, addresses, routes, neighbours and FDB entries in one network
 * namespace: the namespace the socket was opened in. Calls are serialised; every failure is a
 * {@link NetlinkException} carrying the errno. Close it to release the socket.
 */
public final class RtNetlink implements AutoCloseable {
    private static final int NETLINK_ROUTE = 0;

    private final RequestChannel channel;

    private RtNetlink(NetlinkSocket socket) {
        this.channel = new RequestChannel(socket);
    }

    /** A client for the calling thread's network namespace. */
    public static RtNetlink open() {
        return new RtNetlink(NetlinkSocket.open(NETLINK_ROUTE, 0));
    }

    /** A client for another namespace; the socket is opened there and stays bound to it. */
    public static RtNetlink open(NetNs ns) {
        return ns.run(RtNetlink::open);
    }

    // ---------------------------------------------------------------------------------- links

    public synchronized List<Link> links() {
        return channel.dump(Rt.RTM_GETLINK, "list links", w -> w.ifinfomsg(AF_UNSPEC, 0, 0, 0), RtNetlink::parseLink);
    }

    public synchronized Optional<Link> link(String name) {
        try {
            List<Link> r = channel.call(Rt.RTM_GETLINK, 0, "get link " + name,
                    w -> w.ifinfomsg(AF_UNSPEC, 0, 0, 0).attrString(Rt.IFLA_IFNAME, name), RtNetlink::parseLink);
            return r.isEmpty() ? Optional.empty() : Optional.of(r.get(0)); // no stream: its lambdas cost a CNI plugin start-up time
        } catch (NetlinkException e) {
            if (e.errno() == Errno.ENODEV) {
                return Optional.empty();
            }
            throw e;
        }
    }

    public synchronized Optional<Link> link(int index) {
        try {
            List<Link> r = channel.call(Rt.RTM_GETLINK, 0, "get link #" + index,
                    w -> w.ifinfomsg(AF_UNSPEC, index, 0, 0), RtNetlink::parseLink);
            return r.isEmpty() ? Optional.empty() : Optional.of(r.get(0)); // no stream: its lambdas cost a CNI plugin start-up time
        } catch (NetlinkException e) {
            if (e.errno() == Errno.ENODEV) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The link by name, or a NetlinkException with ENODEV naming it. */
    public Link requireLink(String name) {
        return link(name).orElseThrow(() -> new NetlinkException("get link " + name, Errno.ENODEV.number(), null));
    }

    /** Creates a link; an existing name gives a NetlinkException with EEXIST. */
    public synchronized void create(LinkSpec spec) {
        channel.call(Rt.RTM_NEWLINK, Rt.NLM_F_CREATE | Rt.NLM_F_EXCL, "create " + kindOf(spec) + " " + spec.name(),
                w -> writeLinkSpec(w, spec), null);
    }

    public synchronized void delete(int index) {
        channel.call(Rt.RTM_DELLINK, 0, "delete link #" + index, w -> w.ifinfomsg(AF_UNSPEC, index, 0, 0), null);
    }

    public void delete(String name) {
        delete(requireLink(name).index());
    }

    public void setUp(int index) {
        setFlags(index, Rt.IFF_UP, Rt.IFF_UP, "set up");
    }

    public void setDown(int index) {
        setFlags(index, 0, Rt.IFF_UP, "set down");
    }

    public void setPromisc(int index, boolean on) {
        setFlags(index, on ? Rt.IFF_PROMISC : 0, Rt.IFF_PROMISC, "set promisc");
    }

    public synchronized void setMtu(int index, int mtu) {
        setLink(index, "set mtu " + mtu, w -> w.attrU32(Rt.IFLA_MTU, mtu));
    }

    public synchronized void setMac(int index, MacAddress mac) {
        setLink(index, "set address " + mac, w -> w.attrMac(Rt.IFLA_ADDRESS, mac));
    }

    /** Enslaves the link to a master (a bridge); master 0 releases it. */
    public synchronized void setMaster(int index, int masterIndex) {
        setLink(index, "set master #" + masterIndex, w -> w.attrU32(Rt.IFLA_MASTER, masterIndex));
    }

    /** Renames a link (the kernel requires it to be down). */
    public synchronized void rename(int index, String newName) {
        setLink(index, "rename to " + newName, w -> w.attrString(Rt.IFLA_IFNAME, newName));
    }

    /** Moves a link into the namespace behind {@code netnsFd}. */
    public synchronized void moveToNetns(int index, int netnsFd) {
        setLink(index, "move to netns", w -> w.attrU32(Rt.IFLA_NET_NS_FD, netnsFd));
    }

    /** Sets the bridge-port hairpin (reflective relay) flag on a link enslaved to a bridge. */
    public synchronized void setHairpin(int index, boolean on) {
        channel.call(Rt.RTM_SETLINK, 0, "set hairpin on link #" + index, w -> {
            w.ifinfomsg(AF_BRIDGE, index, 0, 0);
            int nest = w.nestStart(Rt.IFLA_PROTINFO);
            w.attrU8(Rt.IFLA_BRPORT_MODE, on ? 1 : 0);
            w.nestEnd(nest);
        }, null);
    }

    /** Reads the hairpin flag of a bridge port. */
    public synchronized boolean hairpin(int index) {
        List<Boolean> r = channel.dump(Rt.RTM_GETLINK, "list bridge ports", w -> w.ifinfomsg(AF_BRIDGE, 0, 0, 0),
                (b, type, from, to) -> {
                    if (type != Rt.RTM_NEWLINK || b.getInt(from + 4) != index) {
                        return null;
                    }
                    Attrs proto = Attrs.parse(b, from + 16, to).nested(Rt.IFLA_PROTINFO);
                    return proto != null && proto.u8(Rt.IFLA_BRPORT_MODE, 0) != 0;
                });
        if (r.isEmpty()) {
            throw new NetlinkException("read hairpin of link #" + index + " (not a bridge port)", Errno.ENODEV.number(), null);
        }
        return r.get(0);
    }

    /**
     * Adds a VLAN to a bridge port (or, with {@code self}, to the bridge device itself), as
     * {@code bridge vlan add dev X vid N [pvid] [untagged] master|self} does.
     */
    public synchronized void addBridgeVlan(int index, int vid, boolean pvid, boolean untagged, boolean self) {
        int flags = (pvid ? Rt.BRIDGE_VLAN_INFO_PVID : 0) | (untagged ? Rt.BRIDGE_VLAN_INFO_UNTAGGED : 0);
        channel.call(Rt.RTM_SETLINK, 0, "add vlan " + vid + " on link #" + index,
                w -> writeVlans(w, index, vid, vid, flags, self), null);
    }

    /**
     * Adds the VLANs {@code from..to} (tagged, or untagged on egress) in one request, as
     * {@code bridge vlan add dev X vid A-B [untagged]} does: the kernel takes a range as a
     * RANGE_BEGIN/RANGE_END pair, so a trunk of 4094 VLANs is one message, not 4094.
     */
    public synchronized void addBridgeVlanRange(int index, int from, int to, boolean untagged, boolean self) {
        int flags = untagged ? Rt.BRIDGE_VLAN_INFO_UNTAGGED : 0;
        channel.call(Rt.RTM_SETLINK, 0, "add vlans " + from + "-" + to + " on link #" + index,
                w -> writeVlans(w, index, from, to, flags, self), null);
    }

    /** Removes a VLAN from a bridge port ({@code bridge vlan del}). */
    public synchronized void deleteBridgeVlan(int index, int vid, boolean self) {
        channel.call(Rt.RTM_DELLINK, 0, "delete vlan " + vid + " on link #" + index,
                w -> writeVlans(w, index, vid, vid, 0, self), null);
    }

    /**
     * The VLANs of one bridge port ({@code bridge vlan show dev X}), one entry per VID; empty when
     * the port has none or the kernel was built without VLAN filtering.
     */
    public synchronized List<BridgeVlan> bridgeVlans(int index) {
        return channel.dump(Rt.RTM_GETLINK, "list vlans of link #" + index,
                w -> w.ifinfomsg(AF_BRIDGE, 0, 0, 0).attrU32(Rt.IFLA_EXT_MASK, Rt.RTEXT_FILTER_BRVLAN),
                (b, type, from, to) -> type == Rt.RTM_NEWLINK && b.getInt(from + 4) == index ? parseVlans(b, from, to) : null)
                .stream().flatMap(List::stream).toList();
    }

    /** The body of a bridge VLAN request; one VID when {@code from == to}, else a range. */
    static void writeVlans(MessageWriter w, int index, int from, int to, int flags, boolean self) {
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

    /** The IFLA_BRIDGE_VLAN_INFO attributes (repeated, so walked by hand) of one port message. */
    private static List<BridgeVlan> parseVlans(ByteBuffer b, int from, int to) {
        Attrs a = Attrs.parse(b, from + 16, to);
        int p = a.offset(Rt.IFLA_AF_SPEC);
        List<BridgeVlan> out = new ArrayList<>();
        if (p < 0) {
            return out;
        }
        int end = p + a.length(Rt.IFLA_AF_SPEC);
        while (p + 4 <= end) {
            int len = Short.toUnsignedInt(b.getShort(p));
            int type = Short.toUnsignedInt(b.getShort(p + 2)) & Rt.NLA_TYPE_MASK;
            if (len < 4 || p + len > end) {
                break;
            }
            if (type == Rt.IFLA_BRIDGE_VLAN_INFO && len >= 8) {
                int flags = Short.toUnsignedInt(b.getShort(p + 4));
                int vid = Short.toUnsignedInt(b.getShort(p + 6));
                out.add(new BridgeVlan(vid, (flags & Rt.BRIDGE_VLAN_INFO_PVID) != 0, (flags & Rt.BRIDGE_VLAN_INFO_UNTAGGED) != 0));
            }
            p += (len + 3) & ~3;
        }
        return out;
    }

    private void setFlags(int index, int flags, int change, String what) {
        synchronized (this) {
            channel.call(Rt.RTM_NEWLINK, 0, what + " link #" + index, w -> w.ifinfomsg(AF_UNSPEC, index, flags, change), null);
        }
    }

    private void setLink(int index, String what, Consumer<MessageWriter> attrs) {
        channel.call(Rt.RTM_NEWLINK, 0, what + " on link #" + index, w -> {
            w.ifinfomsg(AF_UNSPEC, index, 0, 0);
            attrs.accept(w);
        }, null);
    }

    private static String kindOf(LinkSpec spec) {
        if (spec instanceof LinkSpec.Veth) {
            return "veth";
        } else if (spec instanceof LinkSpec.Bridge) {
            return "bridge";
        } else if (spec instanceof LinkSpec.Vxlan) {
            return "vxlan";
        }
        return "dummy";
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

    private static void writeLinkSpec(MessageWriter w, LinkSpec spec) {
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
        w.nestEnd(info);
    }

    static Link parseLink(ByteBuffer b, int type, int from, int to) {
        if (type != Rt.RTM_NEWLINK && type != Rt.RTM_DELLINK) {
            return null;
        }
        int index = b.getInt(from + 4);
        int flags = b.getInt(from + 8);
        Attrs a = Attrs.parse(b, from + 16, to);
        String kind = null;
        String slaveKind = null;
        VxlanInfo vxlan = null;
        Attrs info = a.nested(Rt.IFLA_LINKINFO);
        if (info != null) {
            kind = info.string(Rt.IFLA_INFO_KIND);
            slaveKind = info.string(Rt.IFLA_INFO_SLAVE_KIND);
            Attrs data = info.nested(Rt.IFLA_INFO_DATA);
            if ("vxlan".equals(kind) && data != null) {
                IpAddress local = data.ip(Rt.IFLA_VXLAN_LOCAL);
                if (local == null) {
                    local = data.ip(Rt.IFLA_VXLAN_LOCAL6);
                }
                vxlan = new VxlanInfo(data.u32(Rt.IFLA_VXLAN_ID, 0), local, data.u32(Rt.IFLA_VXLAN_LINK, 0),
                        data.be16(Rt.IFLA_VXLAN_PORT, 0), data.u8(Rt.IFLA_VXLAN_LEARNING, 0) != 0,
                        data.has(Rt.IFLA_VXLAN_GBP), data.u8(Rt.IFLA_VXLAN_UDP_CSUM, 0) != 0);
            }
        }
        return new Link(index, a.string(Rt.IFLA_IFNAME), kind, slaveKind, a.u32(Rt.IFLA_MTU, 0), a.mac(Rt.IFLA_ADDRESS),
                a.u32(Rt.IFLA_MASTER, 0), a.u32(Rt.IFLA_LINK, 0), flags, a.u8(Rt.IFLA_OPERSTATE, 0), vxlan);
    }

    // ------------------------------------------------------------------------------ addresses

    /** Adds an address; one that already exists gives EEXIST. */
    public synchronized void addAddress(Address addr) {
        channel.call(Rt.RTM_NEWADDR, Rt.NLM_F_CREATE | Rt.NLM_F_EXCL, "add address " + addr.cidr(),
                w -> writeAddress(w, addr), null);
    }

    /** Adds an address or updates the one that is there. */
    public synchronized void replaceAddress(Address addr) {
        channel.call(Rt.RTM_NEWADDR, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace address " + addr.cidr(),
                w -> writeAddress(w, addr), null);
    }

    public synchronized void deleteAddress(Address addr) {
        channel.call(Rt.RTM_DELADDR, 0, "delete address " + addr.cidr(), w -> writeAddress(w, addr), null);
    }

    /** Addresses of one family (AF_INET, AF_INET6, or AF_UNSPEC for both) on one link (0 = all). */
    public synchronized List<Address> addresses(int family, int index) {
        return channel.dump(Rt.RTM_GETADDR, "list addresses", w -> w.u8(family).u8(0).u8(0).u8(0).u32(0),
                (b, type, from, to) -> {
                    Address a = parseAddress(b, type, from, to);
                    return a != null && (index == 0 || a.index() == index) ? a : null;
                });
    }

    private static void writeAddress(MessageWriter w, Address addr) {
        IpAddress ip = addr.cidr().address();
        int len = addr.cidr().prefixLength();
        w.u8(ip.isV4() ? AF_INET : AF_INET6).u8(len).u8(addr.flags() & 0xff).u8(addr.scope()).u32(addr.index());
        w.attrIp(Rt.IFA_LOCAL, ip);
        w.attrIp(Rt.IFA_ADDRESS, ip);
        // As the reference plugins (via their netlink library) do: IPv4 gets its broadcast address.
        if (ip.isV4() && len < 31) {
            w.attrIp(Rt.IFA_BROADCAST, addr.cidr().broadcastAddress());
        }
        if (addr.flags() > 0xff) {
            w.attrU32(Rt.IFA_FLAGS, addr.flags());
        }
        if (addr.label() != null) {
            w.attrString(Rt.IFA_LABEL, addr.label());
        }
    }

    static Address parseAddress(ByteBuffer b, int type, int from, int to) {
        if (type != Rt.RTM_NEWADDR && type != Rt.RTM_DELADDR) {
            return null;
        }
        int prefix = Byte.toUnsignedInt(b.get(from + 1));
        int flags8 = Byte.toUnsignedInt(b.get(from + 2));
        int scope = Byte.toUnsignedInt(b.get(from + 3));
        int index = b.getInt(from + 4);
        Attrs a = Attrs.parse(b, from + 8, to);
        IpAddress ip = a.ip(Rt.IFA_LOCAL);
        if (ip == null) {
            ip = a.ip(Rt.IFA_ADDRESS);
        }
        if (ip == null) {
            return null;
        }
        return new Address(index, Cidr.of(ip, prefix), scope, a.u32(Rt.IFA_FLAGS, flags8), a.string(Rt.IFA_LABEL));
    }

    // --------------------------------------------------------------------------------- routes

    /** Adds a route; an identical one gives EEXIST. */
    public synchronized void addRoute(Route r) {
        channel.call(Rt.RTM_NEWROUTE, Rt.NLM_F_CREATE | Rt.NLM_F_EXCL, "add route " + describe(r), w -> writeRoute(w, r, false), null);
    }

    /** Adds a route or replaces the one with the same destination, table and metric. */
    public synchronized void replaceRoute(Route r) {
        channel.call(Rt.RTM_NEWROUTE, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace route " + describe(r),
                w -> writeRoute(w, r, false), null);
    }

    /**
     * Deletes a route. A missing route gives ENOENT: the kernel answers ESRCH for routes, and
     * callers should not have to know which object kind uses which "not found" errno.
     */
    public synchronized void deleteRoute(Route r) {
        try {
            channel.call(Rt.RTM_DELROUTE, 0, "delete route " + describe(r), w -> writeRoute(w, r, true), null);
        } catch (NetlinkException e) {
            throw e.errno() == Errno.ESRCH ? e.as(Errno.ENOENT) : e;
        }
    }

    /** Routes of one family in one table ({@link Rt#RT_TABLE_UNSPEC} for every table). */
    public synchronized List<Route> routes(int family, int table) {
        return channel.dump(Rt.RTM_GETROUTE, "list routes", w -> w.u8(family).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u8(0).u32(0),
                (b, type, from, to) -> {
                    Route r = parseRoute(b, type, from, to);
                    return r != null && (table == Rt.RT_TABLE_UNSPEC || r.table() == table) ? r : null;
                });
    }

    private static String describe(Route r) {
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

    static void writeRoute(MessageWriter w, Route r, boolean delete) {
        IpAddress dst = r.dst().address();
        int family = dst.isV4() ? AF_INET : AF_INET6;
        int table = r.table();
        int scope = delete ? Rt.RT_SCOPE_NOWHERE : r.effectiveScope();
        int protocol = delete ? 0 : r.protocol();
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

    static Route parseRoute(ByteBuffer b, int type, int from, int to) {
        if (type != Rt.RTM_NEWROUTE && type != Rt.RTM_DELROUTE) {
            return null;
        }
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
        Attrs a = Attrs.parse(b, from + 12, to);
        IpAddress dst = a.ip(Rt.RTA_DST);
        if (dst == null) {
            dst = IpAddress.ofBytes(new byte[family == AF_INET ? 4 : 16]);
        }
        return new Route(Cidr.of(dst, dstLen), a.ip(Rt.RTA_GATEWAY), a.u32(Rt.RTA_OIF, 0), a.ip(Rt.RTA_PREFSRC),
                a.u32(Rt.RTA_PRIORITY, 0), a.u32(Rt.RTA_TABLE, table8), scope, protocol, rtype, flags);
    }

    // ---------------------------------------------------------------------- neighbours and FDB

    public synchronized void addNeighbour(Neighbour n) {
        channel.call(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_EXCL, "add neighbour " + n.dst(), w -> writeNeighbour(w, n), null);
    }

    public synchronized void replaceNeighbour(Neighbour n) {
        channel.call(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace neighbour " + n.dst(),
                w -> writeNeighbour(w, n), null);
    }

    public synchronized void deleteNeighbour(Neighbour n) {
        channel.call(Rt.RTM_DELNEIGH, 0, "delete neighbour " + n.dst(), w -> writeNeighbour(w, n), null);
    }

    /** ARP (AF_INET) or NDP (AF_INET6) entries, on one link or all (index 0). */
    public synchronized List<Neighbour> neighbours(int family, int index) {
        return channel.dump(Rt.RTM_GETNEIGH, "list neighbours", w -> w.u8(family).u8(0).u16(0).u32(0).u16(0).u8(0).u8(0),
                (b, type, from, to) -> {
                    Neighbour n = parseNeighbour(b, type, from, to);
                    return n != null && (index == 0 || n.index() == index) ? n : null;
                });
    }

    /** Adds an FDB entry beside any others for the same MAC (as {@code bridge fdb append}). */
    public synchronized void appendFdb(FdbEntry e) {
        channel.call(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_APPEND, "append fdb " + e.mac(), w -> writeFdb(w, e), null);
    }

    /** Sets the FDB entry for a MAC (as {@code bridge fdb replace}). */
    public synchronized void replaceFdb(FdbEntry e) {
        channel.call(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace fdb " + e.mac(), w -> writeFdb(w, e), null);
    }

    public synchronized void deleteFdb(FdbEntry e) {
        channel.call(Rt.RTM_DELNEIGH, 0, "delete fdb " + e.mac(), w -> writeFdb(w, e), null);
    }

    /** FDB entries of one device. */
    public synchronized List<FdbEntry> fdb(int index) {
        return channel.dump(Rt.RTM_GETNEIGH, "list fdb", w -> w.u8(AF_BRIDGE).u8(0).u16(0).u32(0).u16(0).u8(0).u8(0),
                (b, type, from, to) -> {
                    FdbEntry e = parseFdb(b, type, from, to);
                    return e != null && e.index() == index ? e : null;
                });
    }

    static void writeNeighbour(MessageWriter w, Neighbour n) {
        w.u8(n.dst().isV4() ? AF_INET : AF_INET6).u8(0).u16(0).u32(n.index()).u16(n.state()).u8(n.flags()).u8(0);
        w.attrIp(Rt.NDA_DST, n.dst());
        if (n.lladdr() != null) {
            w.attrMac(Rt.NDA_LLADDR, n.lladdr());
        }
    }

    static void writeFdb(MessageWriter w, FdbEntry e) {
        w.u8(AF_BRIDGE).u8(0).u16(0).u32(e.index()).u16(e.state()).u8(e.flags()).u8(0);
        w.attrMac(Rt.NDA_LLADDR, e.mac());
        if (e.dst() != null) {
            w.attrIp(Rt.NDA_DST, e.dst());
        }
    }

    static Neighbour parseNeighbour(ByteBuffer b, int type, int from, int to) {
        if (type != Rt.RTM_NEWNEIGH && type != Rt.RTM_DELNEIGH) {
            return null;
        }
        int family = Byte.toUnsignedInt(b.get(from));
        if (family != AF_INET && family != AF_INET6) {
            return null;
        }
        Attrs a = Attrs.parse(b, from + 12, to);
        IpAddress dst = a.ip(Rt.NDA_DST);
        if (dst == null) {
            return null;
        }
        return new Neighbour(b.getInt(from + 4), dst, a.mac(Rt.NDA_LLADDR), Short.toUnsignedInt(b.getShort(from + 8)),
                Byte.toUnsignedInt(b.get(from + 10)));
    }

    static FdbEntry parseFdb(ByteBuffer b, int type, int from, int to) {
        if ((type != Rt.RTM_NEWNEIGH && type != Rt.RTM_DELNEIGH) || Byte.toUnsignedInt(b.get(from)) != AF_BRIDGE) {
            return null;
        }
        Attrs a = Attrs.parse(b, from + 12, to);
        MacAddress mac = a.mac(Rt.NDA_LLADDR);
        if (mac == null) {
            return null;
        }
        return new FdbEntry(b.getInt(from + 4), mac, a.ip(Rt.NDA_DST), Short.toUnsignedInt(b.getShort(from + 8)),
                Byte.toUnsignedInt(b.get(from + 10)));
    }

    // ---------------------------------------------------------------------------------- batch

    /**
     * Starts a batch: requests are queued and sent many to a datagram, and the kernel's answers
     * are gathered at the end. Use it to program hundreds of routes or FDB entries at once.
     */
    public Batch batch() {
        return new Batch();
    }

    /** A queue of change requests executed together by {@link #execute()}. */
    public final class Batch {
        private final List<Op> ops = new ArrayList<>();

        private record Op(int type, int flags, String description, Consumer<MessageWriter> body) {
        }

        public Batch addRoute(Route r) {
            return add(Rt.RTM_NEWROUTE, Rt.NLM_F_CREATE | Rt.NLM_F_EXCL, "add route " + r.dst(), w -> writeRoute(w, r, false));
        }

        public Batch replaceRoute(Route r) {
            return add(Rt.RTM_NEWROUTE, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace route " + r.dst(), w -> writeRoute(w, r, false));
        }

        public Batch deleteRoute(Route r) {
            return add(Rt.RTM_DELROUTE, 0, "delete route " + r.dst(), w -> writeRoute(w, r, true));
        }

        public Batch replaceNeighbour(Neighbour n) {
            return add(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace neighbour " + n.dst(), w -> writeNeighbour(w, n));
        }

        public Batch deleteNeighbour(Neighbour n) {
            return add(Rt.RTM_DELNEIGH, 0, "delete neighbour " + n.dst(), w -> writeNeighbour(w, n));
        }

        public Batch replaceFdb(FdbEntry e) {
            return add(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace fdb " + e.mac(), w -> writeFdb(w, e));
        }

        public Batch appendFdb(FdbEntry e) {
            return add(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_APPEND, "append fdb " + e.mac(), w -> writeFdb(w, e));
        }

        public Batch deleteFdb(FdbEntry e) {
            return add(Rt.RTM_DELNEIGH, 0, "delete fdb " + e.mac(), w -> writeFdb(w, e));
        }

        public int size() {
            return ops.size();
        }

        private Batch add(int type, int flags, String description, Consumer<MessageWriter> body) {
            ops.add(new Op(type, flags, description, body));
            return this;
        }

        /**
         * Sends everything queued; the kernel applies each request on its own, so one failure does
         * not stop the rest. Returns the failures (empty when all succeeded), indexed by queue order.
         */
        public List<BatchFailure> execute() {
            synchronized (RtNetlink.this) {
                List<BatchFailure> failures = new ArrayList<>();
                List<RequestChannel.Pending> window = new ArrayList<>(RequestChannel.WINDOW);
                MessageWriter w = channel.writer();
                w.reset();
                int base = 0;
                for (int i = 0; i < ops.size(); i++) {
                    Op op = ops.get(i);
                    int s = channel.nextSeq();
                    w.begin(op.type(), op.flags() | Rt.NLM_F_REQUEST | Rt.NLM_F_ACK, s);
                    op.body().accept(w);
                    w.end();
                    window.add(new RequestChannel.Pending(s, op.description()));
                    if (channel.windowFull(window.size()) || i == ops.size() - 1) {
                        List<BatchFailure> part = new ArrayList<>();
                        channel.sendAndAwait(window, new ArrayList<>(), null, part);
                        for (BatchFailure f : part) {
                            failures.add(new BatchFailure(base + f.index(), f.description(), f.error()));
                        }
                        base = i + 1;
                        window.clear();
                    }
                }
                ops.clear();
                return failures;
            }
        }

        /** Like {@link #execute()}, but throws the first failure. */
        public void executeOrThrow() {
            List<BatchFailure> f = execute();
            if (!f.isEmpty()) {
                NetlinkException first = f.get(0).error();
                if (f.size() > 1) {
                    first.addSuppressed(new RuntimeException((f.size() - 1) + " more requests in the batch failed"));
                }
                throw first;
            }
        }
    }

    @Override
    public synchronized void close() {
        channel.close();
    }
}
