package dev.weft.flannel.backend.udp;

import dev.weft.flannel.backend.AbstractBackend;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.RouteTag;
import dev.weft.flannel.config.BackendTypes;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.Route;
import dev.weft.netlink.RtNetlink;
import dev.weft.tun.TunDevice;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * flannel's udp backend, wire-compatible with flannel's C proxy: a TUN device {@code flannel0}
 * (IFF_TUN|IFF_NO_PI, the own subnet's network address as /32, MTU = external − 28, a route for
 * the whole Network through it) and a UDP socket on the interface address and Port (8285); each
 * datagram carries one bare IPv4 packet. The lease carries the PublicIP only, with no BackendType
 * (flannel's quirk), and the BackendType of other leases is not checked. On block IPAM
 * ({@link #useBlocks}) the TUN takes a tunnel address from the pool and the route table maps each
 * other node's block and borrowed /32 to that node.
 */
public final class UdpBackend extends AbstractBackend {
    private static final Logger LOG = LoggerFactory.getLogger(UdpBackend.class);

    private final UdpSettings settings;
    private final UdpOptions options;
    private final Cidr network;
    private final UdpMetrics metrics = new UdpMetrics();
    private final Map<Cidr, Lease> leases = new LinkedHashMap<>();
    private RtNetlink nl;
    private TunDevice tun;
    private UdpDataPath dataPath;
    /** The TUN offloads in use ("vnet_hdr tso4 ..."), empty without IFF_VNET_HDR. */
    private String tunOffloads = "";
    /** Block IPAM: the own lease is the TUN's tunnel address, the leases are other nodes' blocks and borrowed /32s. */
    private boolean blocks;

    /** With {@link UdpSettings#DEFAULT}. */
    public UdpBackend(BackendContext ctx) {
        this(ctx, UdpSettings.DEFAULT);
    }

    /** @throws BackendException for bad options or an IPv6-only network */
    public UdpBackend(BackendContext ctx, UdpSettings settings) {
        super(ctx, BackendTypes.UDP);
        this.settings = java.util.Objects.requireNonNull(settings, "settings");
        this.options = UdpOptions.parse(ctx.network().backend());
        if (!ctx.network().enableIPv4()) {
            throw new BackendException("udp backend supports IPv4 only");
        }
        if (ctx.network().enableIPv6()) {
            LOG.warn("udp backend carries IPv4 only; IPv6 is ignored");
        }
        this.network = ctx.network().network();
        if (ctx.extIface().ifaceAddr() == null) {
            throw new BackendException("udp: interface " + ctx.extIface().name() + " has no IPv4 address");
        }
    }

    public UdpOptions options() {
        return options;
    }

    /** This node's udp settings (weftd's -udp-* flags). */
    public UdpSettings settings() {
        return settings;
    }

    /** The data path counters. */
    public UdpMetrics metrics() {
        return metrics;
    }

    /** The TUN name the kernel gave (flannel0); valid after {@link #prepare()}. */
    public synchronized String deviceName() {
        if (tun == null) {
            throw new IllegalStateException("prepare() first");
        }
        return tun.name();
    }

    /**
     * Tells the backend, before {@link #start}, that the node is on block IPAM: the lease it starts
     * on is its tunnel address from the pool (a /32, the TUN's address), and its pods are anywhere
     * in the Network outside the other nodes' blocks, so that is what received datagrams may be for.
     */
    public synchronized void useBlocks() {
        blocks = true;
    }

    @Override
    protected LeaseAttrs setUp() {
        nl = ctx.openNetlink();
        try {
            boolean vnet = settings.offloads() && (TunDevice.supportedFeatures() & TunDevice.IFF_VNET_HDR) != 0;
            int flags = TunDevice.IFF_TUN | TunDevice.IFF_NO_PI | (vnet ? TunDevice.IFF_VNET_HDR : 0);
            tun = ctx.namespace().run(() -> TunDevice.open(UdpOptions.DEVICE_TEMPLATE, flags));
            tun.setNonBlocking(); // after TUNSETIFF, before epoll sees it
            tunOffloads = vnet ? enableTunOffloads(tun) : "";
            Link l = nl.requireLink(tun.name());
            nl.setMtu(l.index(), mtu());
        } catch (RuntimeException e) {
            release();
            throw e instanceof BackendException ? e : new BackendException("udp: cannot create the TUN device: " + e, e);
        }
        // flannel: PublicIP only; no BackendType, no BackendData, PublicIPv6 null.
        LeaseAttrs attrs = new LeaseAttrs(ctx.extIface().extAddr(), null, "", null, null);
        LOG.info("udp: TUN {} (MTU {}), port {}, offloads: {}", tun.name(), mtu(), options.port(),
                tunOffloads.isEmpty() ? "off" : tunOffloads);
        return attrs;
    }

    @Override
    protected void begin(Lease ownLease) {
        IpAddress tunAddr = ownLease.subnet().networkAddress();
        int idx = nl.requireLink(tun.name()).index();
        configureAddress(idx, Cidr.ofHost(tunAddr));
        // The ICMP net-unreachable errors come out of the TUN with the TUN's own address as source;
        // without accept_local the kernel drops them as martians (flannel's do get dropped).
        try {
            ctx.writeSysctl("net/ipv4/conf/" + tun.name() + "/accept_local", "1");
        } catch (RuntimeException e) {
            LOG.warn("udp: cannot set accept_local on {}: {}", tun.name(), e.toString());
        }
        nl.setUp(idx);
        try {
            nl.addRoute(Route.to(network).dev(idx).withProtocol(RouteTag.PROTOCOL));
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EEXIST) {
                throw new BackendException("udp: adding route " + network + " dev " + tun.name() + ": " + e, e);
            }
        }
        boolean vnet = (tun.flags() & TunDevice.IFF_VNET_HDR) != 0;
        DatagramFilter filter = blocks ? DatagramFilter.forBlocks(network, settings.acceptAnySource())
                : new DatagramFilter(ownLease.subnet(), settings.acceptAnySource());
        UdpDataPath dp = new UdpDataPath(tun.fd(), mtu(), tunAddr, options.port(), metrics, vnet, settings.offloads(),
                settings.resolvedThreads(), filter);
        String socketOffloads = dp.start(ctx.namespace(), ctx.extIface().ifaceAddr());
        metrics.offloads((tunOffloads + " " + socketOffloads).trim());
        LOG.info("udp: data path up, offloads: {}; {}", metrics.offloads().isEmpty() ? "none" : metrics.offloads(),
                settings.acceptAnySource() ? "datagrams accepted from any sender (-udp-accept-any-source)"
                        : "datagrams accepted from lease holders, from their subnets to "
                        + (blocks ? network + " outside the other nodes' blocks" : ownLease.subnet()));
        dataPath = dp;
        publishRoutes();
    }

    /**
     * Lets the kernel hand over TCP/UDP super-segments with partial checksums (the segmenter
     * finishes them): CSUM|TSO4|TSO6 plus USO4|USO6 where the kernel has them (6.2+). Returns the
     * names of what is on; "vnet_hdr" alone when the kernel takes none of it.
     */
    public static String enableTunOffloads(TunDevice tun) {
        int base = TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6;
        try {
            tun.setOffload(base | TunDevice.TUN_F_USO4 | TunDevice.TUN_F_USO6);
            return "vnet_hdr csum tso4 tso6 uso4 uso6";
        } catch (ErrnoException e) {
            LOG.debug("udp: TUN without USO: {}", e.toString());
        }
        try {
            tun.setOffload(base);
            return "vnet_hdr csum tso4 tso6";
        } catch (ErrnoException e) {
            LOG.info("udp: TUN offloads not available ({}); packets come one by one", e.toString());
            return "vnet_hdr";
        }
    }

    /** flannel's EnsureV4AddressOnLink: the wanted /32, and no other address of the Network. */
    private void configureAddress(int idx, Cidr want) {
        boolean present = false;
        for (Address a : nl.addresses(Linux.AF_INET, idx)) {
            if (a.cidr().equals(want)) {
                present = true;
            } else if (network.contains(a.cidr().address())) {
                nl.deleteAddress(a);
            }
        }
        if (!present) {
            nl.addAddress(Address.of(idx, want));
        }
    }

    /** flannel's udp backend takes every other IPv4 lease, whatever its BackendType. */
    @Override
    protected boolean accepts(Lease l) {
        // IPv4 only, as flannel's udp: an IPv6-only block route (which weftd does not let reach udp) is not carried
        return l.subnet() != null && !l.subnet().equals(ownLease().subnet()) && l.subnet().isV4();
    }

    @Override
    protected void added(Lease l) {
        leases.put(l.subnet(), l);
        publishRoutes();
    }

    @Override
    protected void removed(Lease l) {
        leases.remove(l.subnet());
        publishRoutes();
    }

    @Override
    protected void resync(List<Lease> all) {
        leases.clear();
        all.forEach(l -> leases.put(l.subnet(), l));
        publishRoutes();
    }

    private void publishRoutes() {
        Map<Cidr, InetSocketAddress> m = new LinkedHashMap<>();
        for (Lease l : leases.values()) {
            m.put(l.subnet(), new InetSocketAddress(l.attrs().publicIp().toInetAddress(), options.port()));
        }
        dataPath.setRoutes(RouteTable.of(m));
    }

    /** The running data path, for tests that need its loops; null before {@link #start}. */
    synchronized UdpDataPath dataPath() {
        return dataPath;
    }

    @Override
    public String metricsText() {
        return metrics.prometheusText();
    }

    @Override
    public int mtu() {
        return UdpOptions.deviceMtu(ctx.extIface().mtu());
    }

    /**
     * Stops the data path and closes the socket. The TUN goes with its fd, as flannel's does when
     * flanneld exits.
     */
    @Override
    protected void release() {
        if (dataPath != null) {
            dataPath.close();
            dataPath = null;
        }
        if (tun != null) {
            tun.close();
            tun = null;
        }
        if (nl != null) {
            nl.close();
            nl = null;
        }
    }
}
