package dev.weft.netlink;

import static dev.weft.libc.Linux.AF_BRIDGE;
import static dev.weft.libc.Linux.AF_UNSPEC;

import dev.weft.libc.Errno;
import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;
import dev.weft.netns.NetNs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * An rtnetlink client for links, addresses, routes, neighbours and FDB entries in one network
 * namespace: the namespace the socket was opened in. Calls are serialised; every failure is a
 * {@link NetlinkException} carrying the errno. Close it to release the socket. What goes on the wire
 * is written and read by the per-object codecs ({@link LinkCodec}, {@link AddressCodec},
 * {@link RouteCodec}, {@link NeighbourCodec}, {@link FdbCodec}, {@link BridgeVlanCodec}): pure
 * functions over buffers, fuzzed on their own; this class only pairs them with requests.
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
        return channel.dump(Rt.RTM_GETLINK, "list links", w -> w.ifinfomsg(AF_UNSPEC, 0, 0, 0), LinkCodec::decode);
    }

    public synchronized Optional<Link> link(String name) {
        try {
            List<Link> r = channel.call(Rt.RTM_GETLINK, 0, "get link " + name,
                    w -> w.ifinfomsg(AF_UNSPEC, 0, 0, 0).attrString(Rt.IFLA_IFNAME, name), LinkCodec::decode);
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
                    w -> w.ifinfomsg(AF_UNSPEC, index, 0, 0), LinkCodec::decode);
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
        channel.call(Rt.RTM_NEWLINK, Rt.NLM_F_CREATE | Rt.NLM_F_EXCL, "create " + LinkCodec.kindOf(spec) + " " + spec.name(),
                w -> LinkCodec.writeSpec(w, spec), null);
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

    /** NOARP: routes through the link need no neighbour resolution (a tunnel-like device). */
    public void setNoArp(int index, boolean on) {
        setFlags(index, on ? Rt.IFF_NOARP : 0, Rt.IFF_NOARP, "set noarp");
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
        channel.call(Rt.RTM_SETLINK, 0, "set hairpin on link #" + index, w -> LinkCodec.writeHairpin(w, index, on), null);
    }

    /** Reads the hairpin flag of a bridge port. */
    public synchronized boolean hairpin(int index) {
        List<Boolean> r = channel.dump(Rt.RTM_GETLINK, "list bridge ports", w -> w.ifinfomsg(AF_BRIDGE, 0, 0, 0),
                (b, type, from, to) -> LinkCodec.decodeHairpin(b, type, from, to, index));
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
                w -> BridgeVlanCodec.write(w, index, vid, vid, flags, self), null);
    }

    /**
     * Adds the VLANs {@code from..to} (tagged, or untagged on egress) in one request, as
     * {@code bridge vlan add dev X vid A-B [untagged]} does: the kernel takes a range as a
     * RANGE_BEGIN/RANGE_END pair, so a trunk of 4094 VLANs is one message, not 4094.
     */
    public synchronized void addBridgeVlanRange(int index, int from, int to, boolean untagged, boolean self) {
        int flags = untagged ? Rt.BRIDGE_VLAN_INFO_UNTAGGED : 0;
        channel.call(Rt.RTM_SETLINK, 0, "add vlans " + from + "-" + to + " on link #" + index,
                w -> BridgeVlanCodec.write(w, index, from, to, flags, self), null);
    }

    /** Removes a VLAN from a bridge port ({@code bridge vlan del}). */
    public synchronized void deleteBridgeVlan(int index, int vid, boolean self) {
        channel.call(Rt.RTM_DELLINK, 0, "delete vlan " + vid + " on link #" + index,
                w -> BridgeVlanCodec.write(w, index, vid, vid, 0, self), null);
    }

    /**
     * The VLANs of one bridge port ({@code bridge vlan show dev X}), one entry per VID; empty when
     * the port has none or the kernel was built without VLAN filtering.
     */
    public synchronized List<BridgeVlan> bridgeVlans(int index) {
        return channel.dump(Rt.RTM_GETLINK, "list vlans of link #" + index,
                w -> w.ifinfomsg(AF_BRIDGE, 0, 0, 0).attrU32(Rt.IFLA_EXT_MASK, Rt.RTEXT_FILTER_BRVLAN),
                (b, type, from, to) -> BridgeVlanCodec.decode(b, type, from, to, index))
                .stream().flatMap(List::stream).toList();
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

    // ------------------------------------------------------------------------------ addresses

    /** Adds an address; one that already exists gives EEXIST. */
    public synchronized void addAddress(Address addr) {
        channel.call(Rt.RTM_NEWADDR, Rt.NLM_F_CREATE | Rt.NLM_F_EXCL, "add address " + addr.cidr(),
                w -> AddressCodec.write(w, addr), null);
    }

    /** Adds an address or updates the one that is there. */
    public synchronized void replaceAddress(Address addr) {
        channel.call(Rt.RTM_NEWADDR, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace address " + addr.cidr(),
                w -> AddressCodec.write(w, addr), null);
    }

    public synchronized void deleteAddress(Address addr) {
        channel.call(Rt.RTM_DELADDR, 0, "delete address " + addr.cidr(), w -> AddressCodec.write(w, addr), null);
    }

    /** Addresses of one family (AF_INET, AF_INET6, or AF_UNSPEC for both) on one link (0 = all). */
    public synchronized List<Address> addresses(int family, int index) {
        return channel.dump(Rt.RTM_GETADDR, "list addresses", w -> AddressCodec.writeDumpRequest(w, family),
                (b, type, from, to) -> {
                    Address a = AddressCodec.decode(b, type, from, to);
                    return a != null && (index == 0 || a.index() == index) ? a : null;
                });
    }

    // --------------------------------------------------------------------------------- routes

    /** Adds a route; an identical one gives EEXIST. */
    public synchronized void addRoute(Route r) {
        channel.call(Rt.RTM_NEWROUTE, Rt.NLM_F_CREATE | Rt.NLM_F_EXCL, "add route " + RouteCodec.describe(r), w -> RouteCodec.write(w, r, false), null);
    }

    /** Adds a route or replaces the one with the same destination, table and metric. */
    public synchronized void replaceRoute(Route r) {
        channel.call(Rt.RTM_NEWROUTE, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace route " + RouteCodec.describe(r),
                w -> RouteCodec.write(w, r, false), null);
    }

    /**
     * Deletes a route. A missing route gives ENOENT: the kernel answers ESRCH for routes, and
     * callers should not have to know which object kind uses which "not found" errno.
     */
    public synchronized void deleteRoute(Route r) {
        try {
            channel.call(Rt.RTM_DELROUTE, 0, "delete route " + RouteCodec.describe(r), w -> RouteCodec.write(w, r, true), null);
        } catch (NetlinkException e) {
            throw e.errno() == Errno.ESRCH ? e.as(Errno.ENOENT) : e;
        }
    }

    /** Routes of one family in one table ({@link Rt#RT_TABLE_UNSPEC} for every table). */
    public synchronized List<Route> routes(int family, int table) {
        return channel.dump(Rt.RTM_GETROUTE, "list routes", w -> RouteCodec.writeDumpRequest(w, family),
                (b, type, from, to) -> RouteCodec.decodeIf(b, type, from, to, table, 0));
    }

    /**
     * Routes of one family in one table ({@link Rt#RT_TABLE_UNSPEC} for every table) with one
     * rtm_protocol (0 for any): what a routing daemon reads back to find its own routes. The kernel
     * filters where it can (strict dump checking, Linux 4.20+), so a 100,000-route table holding a
     * few of ours costs a few messages; elsewhere the rest are skipped after one header byte.
     */
    public synchronized List<Route> routes(int family, int table, int protocol) {
        return channel.filteredDump(Rt.RTM_GETROUTE, "list routes of protocol " + protocol,
                w -> RouteCodec.writeFilteredDumpRequest(w, family, table, protocol),
                (b, type, from, to) -> RouteCodec.decodeIf(b, type, from, to, table, protocol));
    }

    /**
     * The route the kernel would use to reach {@code ip}, as {@code ip route get} answers it (policy
     * rules and every table consulted): its output interface, gateway and preferred source.
     * Empty when the kernel answers that the address is unreachable (ENETUNREACH, EHOSTUNREACH).
     */
    public synchronized Optional<Route> routeGet(IpAddress ip) {
        try {
            List<Route> r = channel.call(Rt.RTM_GETROUTE, 0, "get route to " + ip,
                    w -> RouteCodec.writeGetRequest(w, ip), RouteCodec::decode);
            return r.isEmpty() ? Optional.empty() : Optional.of(r.get(0));
        } catch (NetlinkException e) {
            if (e.errno() == Errno.ENETUNREACH || e.errno() == Errno.EHOSTUNREACH) {
                return Optional.empty();
            }
            throw e;
        }
    }

    // ------------------------------------------------------------------------ traffic control

    /**
     * Adds a {@code clsact} qdisc to a link. Returns false when the link already has one (someone
     * else's perhaps, with filters of its own: the caller must then not delete it).
     */
    public synchronized boolean addClsact(int index) {
        try {
            channel.call(Rt.RTM_NEWQDISC, Rt.NLM_F_CREATE | Rt.NLM_F_EXCL, "add clsact qdisc on link #" + index,
                    w -> TcCodec.writeClsact(w, index), null);
            return true;
        } catch (NetlinkException e) {
            if (e.errno() == Errno.EEXIST) {
                return false;
            }
            throw e;
        }
    }

    /** Deletes the link's {@code clsact} qdisc and every filter under it. */
    public synchronized void deleteClsact(int index) {
        channel.call(Rt.RTM_DELQDISC, 0, "delete clsact qdisc on link #" + index, w -> TcCodec.writeClsact(w, index), null);
    }

    /**
     * Attaches a loaded {@code BPF_PROG_TYPE_SCHED_CLS} program as a direct-action cls_bpf filter
     * at one priority and handle of a clsact hook, replacing the filter there if any (so a
     * restarted daemon swaps its program in without a gap). The filter holds the program: the
     * descriptor may be closed afterwards.
     */
    public synchronized void attachBpf(int index, TcHook hook, int priority, int handle, int progFd, String name) {
        channel.call(Rt.RTM_NEWTFILTER, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE,
                "attach bpf " + name + " to " + hook.name().toLowerCase(java.util.Locale.ROOT) + " of link #" + index,
                w -> TcCodec.writeBpfFilter(w, index, hook, priority, handle, progFd, name), null);
    }

    /** Removes one filter; false when it was not there. */
    public synchronized boolean detachBpf(int index, TcHook hook, int priority, int handle) {
        try {
            channel.call(Rt.RTM_DELTFILTER, 0, "detach bpf filter " + priority + ":" + handle + " of link #" + index,
                    w -> TcCodec.writeFilterKey(w, index, hook, priority, handle), null);
            return true;
        } catch (NetlinkException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.EINVAL || e.errno() == Errno.ENODEV) {
                return false; // no such filter, no clsact (EINVAL), no link
            }
            throw e;
        }
    }

    /** The filters on one hook of a link's clsact qdisc; empty when it has none (or no clsact). */
    public synchronized List<TcFilter> filters(int index, TcHook hook) {
        try {
            return channel.dump(Rt.RTM_GETTFILTER, "list filters of link #" + index, w -> TcCodec.writeFilterDump(w, index, hook),
                    (b, type, from, to) -> TcCodec.decodeFilter(b, type, from, to, hook));
        } catch (NetlinkException e) {
            if (e.errno() == Errno.EINVAL || e.errno() == Errno.ENOENT) {
                return List.of();
            }
            throw e;
        }
    }

    // ---------------------------------------------------------------------- neighbours and FDB

    public synchronized void addNeighbour(Neighbour n) {
        channel.call(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_EXCL, "add neighbour " + n.dst(), w -> NeighbourCodec.write(w, n), null);
    }

    public synchronized void replaceNeighbour(Neighbour n) {
        channel.call(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace neighbour " + n.dst(),
                w -> NeighbourCodec.write(w, n), null);
    }

    public synchronized void deleteNeighbour(Neighbour n) {
        channel.call(Rt.RTM_DELNEIGH, 0, "delete neighbour " + n.dst(), w -> NeighbourCodec.write(w, n), null);
    }

    /** ARP (AF_INET) or NDP (AF_INET6) entries, on one link or all (index 0). */
    public synchronized List<Neighbour> neighbours(int family, int index) {
        return channel.dump(Rt.RTM_GETNEIGH, "list neighbours", w -> NeighbourCodec.writeDumpRequest(w, family),
                (b, type, from, to) -> {
                    Neighbour n = NeighbourCodec.decode(b, type, from, to);
                    return n != null && (index == 0 || n.index() == index) ? n : null;
                });
    }

    /** Adds an FDB entry beside any others for the same MAC (as {@code bridge fdb append}). */
    public synchronized void appendFdb(FdbEntry e) {
        channel.call(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_APPEND, "append fdb " + e.mac(), w -> FdbCodec.write(w, e), null);
    }

    /** Sets the FDB entry for a MAC (as {@code bridge fdb replace}). */
    public synchronized void replaceFdb(FdbEntry e) {
        channel.call(Rt.RTM_NEWNEIGH, Rt.NLM_F_CREATE | Rt.NLM_F_REPLACE, "replace fdb " + e.mac(), w -> FdbCodec.write(w, e), null);
    }

    public synchronized void deleteFdb(FdbEntry e) {
        channel.call(Rt.RTM_DELNEIGH, 0, "delete fdb " + e.mac(), w -> FdbCodec.write(w, e), null);
    }

    /** FDB entries of one device. */
    public synchronized List<FdbEntry> fdb(int index) {
        return channel.dump(Rt.RTM_GETNEIGH, "list fdb", w -> NeighbourCodec.writeDumpRequest(w, AF_BRIDGE),
                (b, type, from, to) -> {
                    FdbEntry e = FdbCodec.decode(b, type, from, to);
                    return e != null && e.index() == index ? e : null;
                });
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
        // A kind and a value per request, in two arrays: no record and lambda per request (a full
        // BGP table queues 100,000 routes at once, bench/bgp-ingest).
        private BatchRequest[] kinds = new BatchRequest[16];
        private Object[] values = new Object[16];
        private int size;

        public Batch addRoute(Route r) {
            return add(BatchRequest.ADD_ROUTE, r);
        }

        public Batch replaceRoute(Route r) {
            return add(BatchRequest.REPLACE_ROUTE, r);
        }

        public Batch deleteRoute(Route r) {
            return add(BatchRequest.DELETE_ROUTE, r);
        }

        public Batch replaceNeighbour(Neighbour n) {
            return add(BatchRequest.REPLACE_NEIGHBOUR, n);
        }

        public Batch deleteNeighbour(Neighbour n) {
            return add(BatchRequest.DELETE_NEIGHBOUR, n);
        }

        public Batch replaceFdb(FdbEntry e) {
            return add(BatchRequest.REPLACE_FDB, e);
        }

        public Batch appendFdb(FdbEntry e) {
            return add(BatchRequest.APPEND_FDB, e);
        }

        public Batch deleteFdb(FdbEntry e) {
            return add(BatchRequest.DELETE_FDB, e);
        }

        public int size() {
            return size;
        }

        private Batch add(BatchRequest kind, Object value) {
            Objects.requireNonNull(value, "value");
            if (size == kinds.length) {
                kinds = Arrays.copyOf(kinds, size * 2);
                values = Arrays.copyOf(values, size * 2);
            }
            kinds[size] = kind;
            values[size] = value;
            size++;
            return this;
        }

        /** The queued requests {@code from} .. {@code from + n - 1}, sent numbered from {@code firstSeq}. */
        private RequestChannel.Window window(int from, int n, int firstSeq) {
            return new RequestChannel.Window() {
                @Override
                public int size() {
                    return n;
                }

                @Override
                public int firstSeq() {
                    return firstSeq;
                }

                @Override
                public int type(int i) {
                    return kinds[from + i].type;
                }

                @Override
                public String description(int i) {
                    return kinds[from + i].describe(values[from + i]);
                }
            };
        }

        /**
         * Sends everything queued; the kernel applies each request on its own, so one failure does
         * not stop the rest. Returns the failures (empty when all succeeded), indexed by queue order.
         */
        public List<BatchFailure> execute() {
            synchronized (RtNetlink.this) {
                List<BatchFailure> failures = new ArrayList<>();
                MessageWriter w = channel.writer();
                w.reset();
                int base = 0;
                int firstSeq = 0;
                for (int i = 0; i < size; i++) {
                    BatchRequest kind = kinds[i];
                    int s = channel.nextSeq();
                    if (i == base) {
                        firstSeq = s;
                    }
                    // No NLM_F_ACK but on a window's last request: the kernel still answers every
                    // failure, and it handles a datagram's requests in order before the send
                    // returns, so the last one's ACK closes the window. 100,000 routes then cost
                    // the kernel and us no 100,000 success ACKs (bench/bgp-ingest).
                    w.begin(kind.type, kind.flags | Rt.NLM_F_REQUEST, s);
                    kind.write(w, values[i]);
                    w.end();
                    if (channel.windowFull(i + 1 - base) || i == size - 1) {
                        w.addFlagsToLast(Rt.NLM_F_ACK);
                        List<BatchFailure> part = new ArrayList<>();
                        channel.sendAndAwait(window(base, i + 1 - base, firstSeq), new ArrayList<>(), null, part);
                        for (BatchFailure f : part) {
                            failures.add(new BatchFailure(base + f.index(), f.description(), f.error()));
                        }
                        base = i + 1;
                    }
                }
                Arrays.fill(values, 0, size, null);
                size = 0;
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
