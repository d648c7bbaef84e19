package dev.weft.flannel.backend.ipip;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.Map;

/** What the bgp backend drives of an IPIP data path weftd runs itself ({@link UserspaceIpip}, {@link BpfIpip}). */
public interface IpipPath extends AutoCloseable {
    /** The tunnel device's name, Calico's (and the kernel ipip driver's fallback device's). */
    String DEVICE = "tunl0";

    /** Every other node's pod subnet and underlay address (the outer destination); replaces the last set. */
    void setPeers(Map<Cidr, IpAddress> subnetToNode);

    /** The weft_ipip_* families in the Prometheus text format. */
    String metricsText();

    @Override
    void close();

    /**
     * Ends this run but leaves what the kernel still forwards with, as a weftd restart needs
     * (SIGTERM, a rolling update): routes through tunl0 keep working until the next run takes
     * over. A path that cannot outlive its process (a TUN device) just closes.
     */
    default void closeForRestart() {
        close();
    }
}
