package dev.weft.flannel.backend.bgp;

import dev.weft.flannel.backend.BackendContext;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.Map;

/**
 * The IPIP data path behind {@code tunl0}: the kernel's ipip device, or, where the kernel has no
 * ipip driver, a userspace one (a TUN device named tunl0 and a raw protocol-4 socket). The routes
 * are the same either way ({@code via <node> dev tunl0 onlink}); a userspace data path also needs
 * to know which node holds which subnet, since a TUN device sees no gateway.
 */
public interface IpipDataPlane extends AutoCloseable {

    /** "kernel" or "userspace", for the log and /metrics. */
    String kind();

    /** Every other node's subnet and underlay address (the outer destination); replaces the last set. */
    void setPeers(Map<Cidr, IpAddress> subnetToNode);

    /** Counters in the Prometheus text format, or "". */
    default String metricsText() {
        return "";
    }

    @Override
    void close();

    /** Ends this run for a weftd restart, leaving what the kernel still forwards with ({@link dev.weft.flannel.backend.ipip.IpipPath#closeForRestart}). */
    default void closeForRestart() {
        close();
    }

    /**
     * Makes a userspace IPIP data path (the h-ipip work plugs in here, found through
     * {@link java.util.ServiceLoader} or given to {@link BgpFactory}).
     */
    interface Factory {
        /**
         * @param device     the TUN device's name ({@code tunl0})
         * @param mtu        its MTU: the underlay's minus 20
         * @param tunnelAddr the node's tunnel address (own subnet's network address, /32)
         * @param local      the node's underlay address (outer source)
         */
        IpipDataPlane open(BackendContext ctx, String device, int mtu, Cidr tunnelAddr, IpAddress local);
    }
}
