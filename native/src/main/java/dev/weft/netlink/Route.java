package dev.weft.netlink;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.List;

/**
 * A route. Build one with {@link #to(Cidr)} and the {@code with…} methods.
 *
 * @param gateway  next hop, or null for a directly connected route
 * @param oif      output interface index, 0 when not given
 * @param src      preferred source address, or null
 * @param priority the metric, 0 when not given
 * @param table    routing table id ({@link Rt#RT_TABLE_MAIN} by default)
 * @param scope    RT_SCOPE_*, or -1 to let Weft choose as {@code ip route} does (link for a
 *                 connected unicast route, host for local, universe otherwise)
 * @param protocol RTPROT_* (boot by default, as {@code ip route} uses)
 * @param type     RTN_* (unicast, blackhole …)
 * @param flags    RTNH_F_* (RTNH_F_ONLINK)
 * @param nexthops the next hops of a multipath (ECMP) route, sent as RTA_MULTIPATH; empty for a
 *                 single-path route, which uses {@code gateway} and {@code oif} instead
 */
public record Route(Cidr dst, IpAddress gateway, int oif, IpAddress src, int priority, int table, int scope,
                    int protocol, int type, int flags, List<NextHop> nexthops) {

    /**
     * One next hop of a multipath route (struct rtnexthop with a nested RTA_GATEWAY).
     *
     * @param gateway next hop address, or null for a device-only hop
     * @param oif     output interface index, 0 to let the kernel resolve it from the gateway
     * @param weight  relative share of flows, 1..256 (the kernel stores weight - 1)
     * @param flags   RTNH_F_* ({@link Rt#RTNH_F_ONLINK}); a dump also shows RTNH_F_DEAD/LINKDOWN
     */
    public record NextHop(IpAddress gateway, int oif, int weight, int flags) {
        public NextHop {
            if (weight < 1 || weight > 256) {
                throw new IllegalArgumentException("next hop weight must be 1..256: " + weight);
            }
        }

        public static NextHop via(IpAddress gateway, int oif) {
            return new NextHop(gateway, oif, 1, 0);
        }

        public NextHop onlink() {
            return new NextHop(gateway, oif, weight, flags | Rt.RTNH_F_ONLINK);
        }

        public NextHop withWeight(int w) {
            return new NextHop(gateway, oif, w, flags);
        }

        public boolean isOnlink() {
            return (flags & Rt.RTNH_F_ONLINK) != 0;
        }
    }

    public Route {
        nexthops = nexthops == null ? List.of() : List.copyOf(nexthops);
    }

    /** A single-path route (the shape before multipath existed). */
    public Route(Cidr dst, IpAddress gateway, int oif, IpAddress src, int priority, int table, int scope,
                 int protocol, int type, int flags) {
        this(dst, gateway, oif, src, priority, table, scope, protocol, type, flags, List.of());
    }

    public static Route to(Cidr dst) {
        return new Route(dst.network(), null, 0, null, 0, Rt.RT_TABLE_MAIN, -1, Rt.RTPROT_BOOT, Rt.RTN_UNICAST, 0);
    }

    public static Route blackhole(Cidr dst) {
        return to(dst).withType(Rt.RTN_BLACKHOLE);
    }

    public Route via(IpAddress gw) {
        return new Route(dst, gw, oif, src, priority, table, scope, protocol, type, flags, nexthops);
    }

    public Route dev(int index) {
        return new Route(dst, gateway, index, src, priority, table, scope, protocol, type, flags, nexthops);
    }

    public Route withSrc(IpAddress s) {
        return new Route(dst, gateway, oif, s, priority, table, scope, protocol, type, flags, nexthops);
    }

    public Route withPriority(int p) {
        return new Route(dst, gateway, oif, src, p, table, scope, protocol, type, flags, nexthops);
    }

    public Route inTable(int t) {
        return new Route(dst, gateway, oif, src, priority, t, scope, protocol, type, flags, nexthops);
    }

    public Route withScope(int s) {
        return new Route(dst, gateway, oif, src, priority, table, s, protocol, type, flags, nexthops);
    }

    public Route withProtocol(int p) {
        return new Route(dst, gateway, oif, src, priority, table, scope, p, type, flags, nexthops);
    }

    public Route withType(int t) {
        return new Route(dst, gateway, oif, src, priority, table, scope, protocol, t, flags, nexthops);
    }

    public Route onlink() {
        return new Route(dst, gateway, oif, src, priority, table, scope, protocol, type, flags | Rt.RTNH_F_ONLINK, nexthops);
    }

    public boolean isOnlink() {
        return (flags & Rt.RTNH_F_ONLINK) != 0;
    }

    /**
     * The same route over several next hops (ECMP); the route's own gateway and oif are dropped, as
     * the kernel takes them from the hops. One hop is sent as RTA_MULTIPATH too, which the kernel
     * stores as a plain route.
     */
    public Route multipath(List<NextHop> hops) {
        return new Route(dst, null, 0, src, priority, table, scope, protocol, type, flags, hops);
    }

    public boolean isMultipath() {
        return !nexthops.isEmpty();
    }

    public boolean isV4() {
        return dst.address().isV4();
    }

    /** The scope the kernel will be given. */
    int effectiveScope() {
        if (scope >= 0) {
            return scope;
        }
        if (type == Rt.RTN_LOCAL) {
            return Rt.RT_SCOPE_HOST;
        }
        return type == Rt.RTN_UNICAST && gateway == null && oif != 0 && nexthops.isEmpty() ? Rt.RT_SCOPE_LINK : Rt.RT_SCOPE_UNIVERSE;
    }
}
