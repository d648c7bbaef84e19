package dev.weft.bgp.fib;

import dev.weft.net.Cidr;

/**
 * How an embedder shapes the kernel routes of learned prefixes: the device and {@code onlink} of a
 * next hop (Calico's {@code via <node> dev tunl0 onlink} for IPIP, {@code via <node> dev eth0} on
 * the same L2), or no kernel route at all when another data plane forwards the prefix (Calico's
 * VXLAN mode, where the routes come from the datastore, not from BGP). Called on the RIB thread
 * for every best-path change, so it must be quick and must not block.
 */
public interface FibShaper {
    /** Routes as learned: {@code via <next hop>}, the kernel picks the device. */
    FibShaper AS_LEARNED = (prefix, hop) -> hop;

    /**
     * The hop to install for {@code prefix} learned with {@code learned}, or null to keep this hop
     * out of the kernel (a prefix left without hops is removed).
     */
    NextHop shape(Cidr prefix, NextHop learned);

    /**
     * Metric of the blackhole routes of originated prefixes. 0 is Calico's; an embedder whose own
     * prefix is also a connected route (flannel's bridge holds {@code .1/24} of the node's subnet)
     * gives the blackhole a higher metric, so it only catches what no connected route takes.
     */
    default int blackholeMetric() {
        return 0;
    }
}
