package dev.weft.flannel.backend.ipip;

import dev.weft.exec.CommandRunner;
import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.udp.RouteTable;
import dev.weft.flannel.backend.udp.UdpBackend;
import dev.weft.flannel.backend.udp.UdpMetrics;
import dev.weft.libc.Errno;
import dev.weft.libc.ErrnoException;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import dev.weft.sysctl.Sysctl;
import dev.weft.tun.TunDevice;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * IPIP in user space, for a kernel without the ipip driver: a TUN device (named {@code tunl0} by
 * the bgp backend, which creates it only when {@link #kernelHasIpip} says no, so the name cannot
 * clash) takes the routes {@code <pod subnet> via <node> dev tunl0 onlink}; its packets go out on
 * a raw protocol-4 socket in the kernel ipip device's format ({@link IpipCodec}), and IPIP packets
 * from the nodes in the peer table come back into it. Two Netty epoll event loops, one per
 * direction, each with its own buffer and counter shard; the only thing shared is the peer table,
 * an immutable {@link RouteTable} swapped whole by {@link #setPeers}.
 *
 * <p>A TUN hands over packets without their next hop, so the table maps each pod subnet to its
 * node, and the same table says which outer sources are nodes (the only ones accepted).
 *
 * <p>Offloads, as in the udp backend: the TUN hands over TCP super-segments (TSO), which are cut
 * into packets here and sent 64 at a time with sendmmsg (a raw socket has no GSO of its own); the
 * receiving side coalesces TCP segments into super-segments for the TUN ("tcp_coalesce").
 */
public final class UserspaceIpip implements IpipPath {
    private static final Logger LOG = LoggerFactory.getLogger(UserspaceIpip.class);
    /** The wire's name in the metrics: weft_ipip_*. */
    static final String WIRE = "ipip";

    private final String tunName;
    private final int mtu;
    private final UdpMetrics metrics = new UdpMetrics(WIRE);
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private volatile RouteTable peers = RouteTable.EMPTY;
    private TunDevice tun;
    private RawIpipSocket socket;
    private MultiThreadIoEventLoopGroup group;
    private TunToIpip sender;
    private IpipToTun receiver;
    private final List<IoRegistration> registrations = new ArrayList<>();

    private UserspaceIpip(String tunName, int mtu) {
        this.tunName = tunName;
        this.mtu = mtu;
    }

    /**
     * Creates the TUN {@code tunName} in {@code ns} with {@code mtu} (the underlay's − 20) and
     * {@code tunnelAddress}/32 (an address of the node's own pod subnet, the source of host → pod
     * traffic), brings it up, opens the raw socket on {@code underlay} and starts the loops. The
     * peer table starts empty. Everything is undone when a step fails.
     *
     * @throws BackendException naming the step that failed
     */
    public static UserspaceIpip open(Namespace ns, IpAddress underlay, String tunName, int mtu, IpAddress tunnelAddress) {
        if (!underlay.isV4() || !tunnelAddress.isV4()) {
            throw new BackendException("ipip: IPv4 addresses only: underlay " + underlay + ", tunnel " + tunnelAddress);
        }
        if (mtu < 68 || mtu > 65_535 - IpipCodec.OUTER) {
            throw new BackendException("ipip: MTU " + mtu + " is outside 68.." + (65_535 - IpipCodec.OUTER));
        }
        UserspaceIpip u = new UserspaceIpip(tunName, mtu);
        try {
            u.start(ns, underlay, tunnelAddress);
            return u;
        } catch (RuntimeException e) {
            u.close();
            throw e instanceof BackendException ? e : new BackendException("ipip: cannot start the userspace data path on "
                    + tunName + ": " + e, e);
        }
    }

    private void start(Namespace ns, IpAddress underlay, IpAddress tunnelAddress) {
        Epoll.ensureAvailability();
        // IFF_VNET_HDR: TCP super-segments both ways (cut before sending, coalesced after receiving)
        tun = ns.run(() -> TunDevice.open(tunName, TunDevice.IFF_TUN | TunDevice.IFF_NO_PI | TunDevice.IFF_VNET_HDR));
        tun.setNonBlocking(); // after TUNSETIFF, before epoll sees it
        String tunOffloads = UdpBackend.enableTunOffloads(tun);
        try (RtNetlink nl = ns.openNetlink()) {
            Link l = nl.requireLink(tun.name());
            nl.setMtu(l.index(), mtu);
            try {
                nl.addAddress(Address.of(l.index(), Cidr.ofHost(tunnelAddress)));
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EEXIST) {
                    throw e;
                }
            }
            // the kernel's tunl0 carries IPv4 only; a TUN would send router solicitations and MLD
            // reports into the data path, to be dropped there as not IPv4
            try {
                ns.exec(() -> Sysctl.write("net/ipv6/conf/" + tun.name() + "/disable_ipv6", "1"));
            } catch (RuntimeException e) {
                LOG.debug("ipip: IPv6 stays on {}: {}", tun.name(), e.toString());
            }
            nl.setUp(l.index());
        }
        socket = RawIpipSocket.open(ns, underlay);
        group = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("weft-ipip", true), EpollIoHandler.newFactory());
        IoEventLoop txLoop = (IoEventLoop) group.next();
        IoEventLoop rxLoop = (IoEventLoop) group.next();
        FileDescriptor tunFd = new FileDescriptor(tun.fd());
        sender = new TunToIpip(tunFd, socket, underlay.toV4Int(), mtu, this::peers, metrics.newShard(), alloc);
        receiver = new IpipToTun(socket, rxLoop, tunFd, mtu, this::peers, metrics.newShard(), alloc);
        registrations.add(receiver.watch(rxLoop));
        registrations.add(sender.watch(txLoop));
        metrics.loops(2, false);
        metrics.offloads((tunOffloads + " tcp_coalesce").trim());
        LOG.info("ipip: userspace data path (the kernel has no ipip driver): TUN {} MTU {}, address {}, raw IPIP socket on {}",
                tun.name(), mtu, tunnelAddress, underlay);
    }


    /**
     * Replaces the peer table: each pod subnet with the underlay address of the node holding it.
     * Those addresses are also the only outer sources accepted. Packets read after this see it.
     *
     * @throws IllegalArgumentException for an IPv6 subnet or address
     */
    public void setPeers(Map<Cidr, IpAddress> podSubnetToNodeAddress) {
        Map<Cidr, InetSocketAddress> m = new LinkedHashMap<>();
        podSubnetToNodeAddress.forEach((subnet, node) -> {
            if (!node.isV4()) {
                throw new IllegalArgumentException("ipip: IPv4 node addresses only: " + node);
            }
            m.put(subnet, new InetSocketAddress(node.toInetAddress(), 0));
        });
        peers = RouteTable.of(m);
    }

    RouteTable peers() {
        return peers;
    }

    /** The TUN's name as the kernel gave it. */
    public String deviceName() {
        return tunName;
    }

    public int mtu() {
        return mtu;
    }

    /** The counters (weft_ipip_*). */
    public UdpMetrics metrics() {
        return metrics;
    }

    /**
     * The counters in the Prometheus text format: weft_ipip_* as the udp backend's weft_udp_*, with
     * the wire legs ipip_tx and ipip_rx, plus weft_ipip_mode{mode="userspace"} 1 and the peer count.
     */
    public String metricsText() {
        return metrics.prometheusText() + modeMetricText("userspace")
                + "# HELP weft_ipip_peers Pod subnets in the IPIP peer table.\n"
                + "# TYPE weft_ipip_peers gauge\nweft_ipip_peers " + peers.size() + "\n";
    }

    /**
     * The gauge that says which IPIP data path runs, {@code weft_ipip_mode{mode="kernel"} 1} or
     * {@code mode="userspace"}: for the bgp backend's /metrics in either case.
     */
    public static String modeMetricText(String mode) {
        if (!mode.equals("kernel") && !mode.equals("userspace") && !mode.equals("bpf")) {
            throw new IllegalArgumentException("ipip mode is kernel, bpf or userspace, not " + mode);
        }
        return "# HELP weft_ipip_mode Which IPIP data path runs: the kernel's ipip device, weftd's tc programs (bpf) or its userspace one.\n"
                + "# TYPE weft_ipip_mode gauge\nweft_ipip_mode{mode=\"" + mode + "\"} 1\n";
    }

    /** Stops the loops, closes the socket and the TUN (the kernel removes it, and its routes, with its fd). */
    @Override
    public synchronized void close() {
        try {
            for (IoRegistration r : registrations) {
                r.cancel();
            }
            registrations.clear();
            if (group != null) {
                group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
                group = null;
            }
        } finally {
            if (sender != null) {
                sender.release();
                sender = null;
            }
            if (receiver != null) {
                receiver.release();
                receiver = null;
            }
            if (socket != null) {
                socket.close();
                socket = null;
            }
            if (tun != null) {
                tun.close();
                tun = null;
            }
        }
    }

    /**
     * Whether the kernel of {@code ns} can make ipip devices: creates a throwaway one (named wt-ipp
     * and 8 random hex digits, with {@code ip}, which loads the module where it can) and deletes it.
     * Where the module loads, the kernel also creates its fallback {@code tunl0}, which stays, as
     * with Calico.
     */
    public static boolean kernelHasIpip(Namespace ns) {
        String name = "wt-ipp" + String.format("%08x", new SecureRandom().nextInt());
        CommandRunner run = CommandRunner.local();
        List<String> prefix = ns.isHost() ? List.of() : List.of("nsenter", "--net=" + ns.path());
        CommandRunner.Result add = run.run(concat(prefix, "ip", "link", "add", name, "type", "ipip"), null);
        if (!add.ok()) {
            LOG.info("ipip: the kernel makes no ipip device ({}): the userspace data path will serve", add.describe());
            return false;
        }
        CommandRunner.Result del = run.run(concat(prefix, "ip", "link", "del", name), null);
        if (!del.ok()) {
            LOG.warn("ipip: cannot delete the probe device {}: {}", name, del.describe());
        }
        return true;
    }

    private static List<String> concat(List<String> prefix, String... rest) {
        List<String> l = new ArrayList<>(prefix);
        l.addAll(List.of(rest));
        return l;
    }
}
