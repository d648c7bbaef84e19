package dev.weft.flannel.backend.bgp;

import dev.weft.bgp.fib.FibShaper;
import dev.weft.bgp.fib.NextHop;
import dev.weft.net.Cidr;

/**
 * Calico's kernel route for a learned pod subnet (bgp.md §2.4), as the bgp-agent's FIB hook:
 * <ul>
 *   <li>Encap None, or CrossSubnet with the next hop inside the node's underlay subnet:
 *   {@code <subnet> via <node> dev <ext>};</li>
 *   <li>Encap IPIP (CrossSubnet: next hop elsewhere): {@code <subnet> via <node> dev tunl0 onlink};</li>
 *   <li>Encap VXLAN: no BGP route; the vxlan device's routes (with CrossSubnet also the direct
 *   ones, the vxlan backend's DirectRouting) come from the leases, as Felix programs Calico's VXLAN
 *   routes from the datastore rather than from BIRD.</li>
 * </ul>
 * IPv6 (dual-stack, {@code network6}): every learned prefix of the IPv6 network goes
 * {@code <block> via <node's IPv6 address> dev <ext>}, whatever the encap: Calico has no IPIP for
 * IPv6 (IPIP is IPv4-in-IPv4), so with IPIP or CrossSubnet the IPv6 pod traffic is routed natively
 * and the nodes' IPv6 addresses must share the L2 (or the underlay must route the IPv6 pool), as
 * with Encap None. (Encap VXLAN with IPv6 is refused by {@link BgpBackend}.)
 * Prefixes outside the flannel network (what an external peer may send) stay as learned. The
 * shape depends only on the next hop, so a restart in another mode re-shapes every adopted route
 * in place and none stays on the old device (calico#1325).
 */
record CalicoRouteShapes(Cidr network, Encap encap, boolean crossSubnet, Cidr underlay, int extIndex,
                         String tunnelDevice, Cidr network6) implements FibShaper {
    /**
     * Metric of the own subnet's blackhole: above the connected route (metric 0) the bridge's
     * {@code .1/24} address makes for the same prefix, so the blackhole only catches what the
     * bridge does not, and never hides local pods.
     */
    static final int BLACKHOLE_METRIC = 4242;

    CalicoRouteShapes {
        if (underlay.prefixLength() == 32) {
            throw new IllegalArgumentException("the underlay subnet must not be a /32 (calico#3003): " + underlay);
        }
        if (network6 != null && !network6.isV6()) {
            throw new IllegalArgumentException("the IPv6 network must be IPv6: " + network6);
        }
    }

    /** IPv4 only. */
    CalicoRouteShapes(Cidr network, Encap encap, boolean crossSubnet, Cidr underlay, int extIndex, String tunnelDevice) {
        this(network, encap, crossSubnet, underlay, extIndex, tunnelDevice, null);
    }

    @Override
    public NextHop shape(Cidr prefix, NextHop learned) {
        if (prefix.isV6()) {
            // native whatever the encap (no IPIP for IPv6), out of the external interface
            return network6 != null && network6.contains(prefix) ? learned.dev(extIndex) : learned;
        }
        if (!network.contains(prefix)) {
            return learned;
        }
        if (encap == Encap.VXLAN) {
            return null; // the vxlan device's routes (and, with CrossSubnet, its direct ones) come from the leases
        }
        boolean direct = encap == Encap.NONE || (crossSubnet && underlay.contains(learned.gateway()));
        if (direct) {
            return learned.dev(extIndex);
        }
        return learned.dev(tunnelDevice).withOnlink();
    }

    @Override
    public int blackholeMetric() {
        return BLACKHOLE_METRIC;
    }
}
