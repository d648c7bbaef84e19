package dev.weft.flannel.daemon;

import dev.weft.bgp.fib.KernelFib;
import dev.weft.flannel.backend.RouteTag;
import dev.weft.flannel.blockroutes.BlockRoutes;
import dev.weft.flannel.blockroutes.BlockWatcher;
import dev.weft.flannel.config.BackendTypes;
import dev.weft.flannel.metrics.Exposition;
import dev.weft.ipam.blocks.Announcement;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import java.util.function.Consumer;

/**
 * A node on block IPAM as /metrics shows it: the blocks it holds and the addresses it borrowed
 * (the allocator's announcement, whichever the backend), the routes to other nodes' blocks and
 * borrowed addresses it has, and the block watch's restarts and errors. The allocator calls
 * {@link #accept} under its lock, so that only stores a reference; the kernel is read at scrape
 * time, as {@code weft_remote_routes_programmed} is.
 */
final class BlockMetrics implements Consumer<Announcement> {
    private final String backend;
    private final Cidr network;
    private final Cidr network6;
    private final RtNetlink nl;
    private final Consumer<Announcement> next;
    private volatile Announcement announced;
    private volatile BlockWatcher watcher;
    private volatile BlockRoutes routes;

    /**
     * @param network6 the IPv6Network when IPv6 is on, else null
     * @param next     where the allocator's announcements go on to (the bgp backend's), or null
     */
    BlockMetrics(String backend, Cidr network, Cidr network6, RtNetlink nl, Consumer<Announcement> next) {
        this.backend = backend;
        this.network = network;
        this.network6 = network6;
        this.nl = nl;
        this.next = next;
    }

    @Override
    public void accept(Announcement a) {
        announced = a;
        if (next != null) {
            next.accept(a);
        }
    }

    /** The block watch runs (not with the bgp backend on Encap None, which learns the blocks over BGP). */
    void watching(BlockWatcher w, BlockRoutes r) {
        watcher = w;
        routes = r;
    }

    void write(Exposition e) {
        Announcement a = announced;
        if (a != null) {
            e.gauge("weft_blocks_local", "Blocks affine to this node (confirmed), block IPAM.", a.blocks().size());
            e.gauge("weft_block_borrowed_addresses",
                    "Addresses this node holds in other nodes' blocks (announced as host routes by the bgp backend).", a.borrowed().size());
        }
        e.family("weft_block_routes", "gauge",
                "Routes to other nodes' blocks and borrowed addresses: read back from the kernel; udp: its table's entries.");
        e.sample("weft_block_routes", remoteRoutes(), "backend", backend);
        BlockWatcher w = watcher;
        if (w != null) {
            e.counter("weft_block_watch_restarts_total", "Times the IPAM block watch was re-established (reconnect, re-list).", w.restarts());
            e.counter("weft_block_watch_errors_total", "Store and handler failures the IPAM block watch recovered from.", w.errors());
        }
    }

    /**
     * Unicast routes inside the Network (and IPv6Network) that Weft installed for other nodes
     * (protocol 87: host-gw, vxlan and bgp's Encap VXLAN; 88: what bgp learned), the Network's own
     * route (udp's TUN route) left out. The udp backend keeps its block routes in user space: what
     * its table was handed.
     */
    private int remoteRoutes() {
        BlockRoutes r = routes;
        if (BackendTypes.UDP.equals(backend)) {
            return r == null ? 0 : r.view().size();
        }
        return remoteRoutes(Linux.AF_INET, network) + (network6 == null ? 0 : remoteRoutes(Linux.AF_INET6, network6));
    }

    private int remoteRoutes(int af, Cidr network) {
        if (network == null) {
            return 0;
        }
        int n = 0;
        for (Route route : nl.routes(af, Rt.RT_TABLE_MAIN)) {
            if (route.type() == Rt.RTN_UNICAST && (route.protocol() == RouteTag.PROTOCOL || route.protocol() == KernelFib.BGP_PROTOCOL)
                    && network.contains(route.dst()) && !route.dst().equals(network)) {
                n++;
            }
        }
        return n;
    }
}
