package dev.weft.netlink;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;

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
 */
public record Route(Cidr dst, IpAddress gateway, int oif, IpAddress src, int priority, int table, int scope,
                    int protocol, int type, int flags) {

    public static Route to(Cidr dst) {
        return new Route(dst.network(), null, 0, null, 0, Rt.RT_TABLE_MAIN, -1, Rt.RTPROT_BOOT, Rt.RTN_UNICAST, 0);
    }

    public static Route blackhole(Cidr dst) {
        return to(dst).withType(Rt.RTN_BLACKHOLE);
    }

    public Route via(IpAddress gw) {
        return new Route(dst, gw, oif, src, priority, table, scope, protocol, type, flags);
    }

    public Route dev(int index) {
        return new Route(dst, gateway, index, src, priority, table, scope, protocol, type, flags);
    }

    public Route withSrc(IpAddress s) {
        return new Route(dst, gateway, oif, s, priority, table, scope, protocol, type, flags);
    }

    public Route withPriority(int p) {
        return new Route(dst, gateway, oif, src, p, table, scope, protocol, type, flags);
    }

    public Route inTable(int t) {
        return new Route(dst, gateway, oif, src, priority, t, scope, protocol, type, flags);
    }

    public Route withScope(int s) {
        return new Route(dst, gateway, oif, src, priority, table, s, protocol, type, flags);
    }

    public Route withProtocol(int p) {
        return new Route(dst, gateway, oif, src, priority, table, scope, p, type, flags);
    }

    public Route withType(int t) {
        return new Route(dst, gateway, oif, src, priority, table, scope, protocol, t, flags);
    }

    public Route onlink() {
        return new Route(dst, gateway, oif, src, priority, table, scope, protocol, type, flags | Rt.RTNH_F_ONLINK);
    }

    public boolean isOnlink() {
        return (flags & Rt.RTNH_F_ONLINK) != 0;
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
        return type == Rt.RTN_UNICAST && gateway == null && oif != 0 ? Rt.RT_SCOPE_LINK : Rt.RT_SCOPE_UNIVERSE;
    }
}
