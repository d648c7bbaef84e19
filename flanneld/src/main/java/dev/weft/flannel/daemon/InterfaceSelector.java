package dev.weft.flannel.daemon;

import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.libc.Linux;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.Link;
import dev.weft.netlink.Route;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Picks the external interface as flanneld does: each -iface (a name or an address) in order, then
 * each -iface-regex (over addresses first, then names), then the interface of the route to
 * -iface-can-reach (with that route's source address), else the interface holding -public-ip, else
 * the interface of the IPv4 default route.
 */
final class InterfaceSelector {
    private final RtNetlink nl;

    InterfaceSelector(RtNetlink nl) {
        this.nl = nl;
    }

    ExternalInterface select(List<String> ifaces, List<String> regexes, String publicIp, String publicIpV6, boolean v4, boolean v6) {
        return select(ifaces, regexes, "", publicIp, publicIpV6, v4, v6);
    }

    ExternalInterface select(List<String> ifaces, List<String> regexes, String canReach, String publicIp, String publicIpV6,
                             boolean v4, boolean v6) {
        Link link = null;
        IpAddress routeSrc = null;
        for (String spec : ifaces) {
            link = byNameOrAddress(spec).orElse(null);
            if (link != null) {
                break;
            }
        }
        if (link == null) {
            for (String re : regexes) {
                link = byRegex(Pattern.compile(re)).orElse(null);
                if (link != null) {
                    break;
                }
            }
        }
        if (link == null && !canReach.isEmpty()) {
            Route r = nl.routeGet(IpAddress.parse(canReach)).filter(x -> x.oif() != 0).orElse(null);
            if (r != null) {
                link = nl.link(r.oif()).orElse(null);
                routeSrc = r.src();
            }
        }
        if (link == null && (!ifaces.isEmpty() || !regexes.isEmpty() || !canReach.isEmpty())) {
            throw new IllegalStateException("no interface matches -iface " + ifaces + " / -iface-regex " + regexes
                    + (canReach.isEmpty() ? "" : " / -iface-can-reach " + canReach + " (no route to it)"));
        }
        if (link == null && !publicIp.isEmpty()) {
            link = byAddress(IpAddress.parse(publicIp)).orElseThrow(() -> new IllegalStateException(
                    "no local interface has the -public-ip " + publicIp + "; give -iface when the public IP is NATed"));
        }
        if (link == null) {
            link = defaultRouteLink().orElseThrow(() -> new IllegalStateException(
                    "no default route to pick the external interface from; give -iface"));
        }
        final Link chosen = link;
        if (chosen.mtu() == 0) {
            throw new IllegalStateException("interface " + chosen.name() + " has MTU 0");
        }
        // -iface-can-reach: the source the kernel picks for that route, as flannel takes it
        IpAddress src4 = routeSrc != null && routeSrc.isV4() ? routeSrc : null;
        IpAddress src6 = routeSrc != null && !routeSrc.isV4() ? routeSrc : null;
        IpAddress addr4 = !v4 ? null : src4 != null ? src4 : firstGlobal(chosen, Linux.AF_INET).orElseThrow(
                () -> new IllegalStateException("interface " + chosen.name() + " has no IPv4 address"));
        IpAddress addr6 = !v6 ? null : src6 != null ? src6 : firstGlobal(chosen, Linux.AF_INET6).orElseThrow(
                () -> new IllegalStateException("interface " + chosen.name() + " has no global IPv6 address"));
        IpAddress ext4 = v4 ? (publicIp.isEmpty() ? addr4 : IpAddress.parse(publicIp)) : null;
        IpAddress ext6 = v6 ? (publicIpV6.isEmpty() ? addr6 : IpAddress.parse(publicIpV6)) : null;
        return new ExternalInterface(chosen.name(), chosen.index(), addr4, ext4, chosen.mtu(), addr6, ext6);
    }

    private Optional<Link> byNameOrAddress(String spec) {
        try {
            return byAddress(IpAddress.parse(spec));
        } catch (IllegalArgumentException notAnAddress) {
            return nl.link(spec);
        }
    }

    private Optional<Link> byAddress(IpAddress ip) {
        for (Address a : nl.addresses(Linux.AF_UNSPEC, 0)) {
            if (a.cidr().address().equals(ip)) {
                return nl.link(a.index());
            }
        }
        return Optional.empty();
    }

    private Optional<Link> byRegex(Pattern re) {
        for (Address a : nl.addresses(Linux.AF_UNSPEC, 0)) {
            if (re.matcher(a.cidr().address().toString()).matches()) {
                return nl.link(a.index());
            }
        }
        for (Link l : nl.links()) {
            if (re.matcher(l.name()).matches()) {
                return Optional.of(l);
            }
        }
        return Optional.empty();
    }

    private Optional<Link> defaultRouteLink() {
        for (Route r : nl.routes(Linux.AF_INET, Rt.RT_TABLE_MAIN)) {
            if (r.dst().prefixLength() == 0 && r.oif() != 0) {
                return nl.link(r.oif());
            }
        }
        return Optional.empty();
    }

    private Optional<IpAddress> firstGlobal(Link l, int family) {
        return nl.addresses(family, l.index()).stream()
                .filter(a -> a.scope() == Rt.RT_SCOPE_UNIVERSE)
                .map(a -> a.cidr().address()).findFirst();
    }
}
