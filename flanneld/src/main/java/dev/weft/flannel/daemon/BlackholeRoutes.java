package dev.weft.flannel.daemon;

import dev.weft.flannel.lease.Lease;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.netlink.NetlinkException;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * -ip-blackhole-route: a blackhole route for the node's own subnet (and IPv6 subnet), so traffic
 * to an address of this node's range that no pod holds is dropped here instead of following the
 * default route out (flannel adds it for setups without a bridge that owns the subnet, e.g. Canal).
 * Like flannel's it is a plain {@code blackhole <subnet>} in the main table with protocol boot (the
 * netlink default, shown by {@code ip route} without a proto), re-added every -iptables-resync
 * period when someone removed it, and left in place on exit. Unlike flannel, the first one goes in
 * at start rather than one period later.
 */
final class BlackholeRoutes implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlackholeRoutes.class);

    private final RtNetlink nl;
    private final List<Cidr> subnets;
    private final ScheduledExecutorService timer;

    private BlackholeRoutes(RtNetlink nl, List<Cidr> subnets, Duration period) {
        this.nl = nl;
        this.subnets = subnets;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "weftd-blackhole");
            t.setDaemon(true);
            return t;
        });
        ensure();
        timer.scheduleWithFixedDelay(this::ensure, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Adds the routes now and keeps them every {@code period}. */
    static BlackholeRoutes start(RtNetlink nl, Lease lease, Duration period) {
        List<Cidr> subnets = new ArrayList<>();
        if (lease.subnet() != null) {
            subnets.add(lease.subnet());
        }
        if (lease.subnetV6() != null) {
            subnets.add(lease.subnetV6());
        }
        LOG.info("keeping blackhole routes for {}", subnets);
        return new BlackholeRoutes(nl, List.copyOf(subnets), period);
    }

    /** One pass: adds each route that is missing; a failure is logged and retried next period, as flannel does. */
    void ensure() {
        for (Cidr subnet : subnets) {
            try {
                if (!present(subnet)) {
                    nl.addRoute(Route.blackhole(subnet));
                    LOG.info("added blackhole route for {}", subnet);
                }
            } catch (NetlinkException e) {
                LOG.error("failed to set up the blackhole route for {}: {}", subnet, e.getMessage());
            }
        }
    }

    private boolean present(Cidr subnet) {
        int family = subnet.address().isV4() ? Linux.AF_INET : Linux.AF_INET6;
        for (Route r : nl.routes(family, Rt.RT_TABLE_MAIN)) {
            if (r.type() == Rt.RTN_BLACKHOLE && r.dst().equals(subnet)) {
                return true;
            }
        }
        return false;
    }

    /** Stops keeping them; the routes stay, like the rest of the data path. */
    @Override
    public void close() {
        timer.shutdownNow();
    }
}
