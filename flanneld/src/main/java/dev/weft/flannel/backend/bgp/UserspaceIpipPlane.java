package dev.weft.flannel.backend.bgp;

import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.ipip.UserspaceIpip;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.Map;

/**
 * The bgp backend's IPIP data path where the kernel has no ipip driver: weftd's own, a TUN named
 * tunl0 and a raw protocol-4 socket ({@link UserspaceIpip}), in the kernel's wire format.
 */
final class UserspaceIpipPlane implements IpipDataPlane {
    /** The default factory, used unless the embedder or a {@link java.util.ServiceLoader} gives another. */
    static final Factory FACTORY = UserspaceIpipPlane::open;

    private final UserspaceIpip path;

    private UserspaceIpipPlane(UserspaceIpip path) {
        this.path = path;
    }

    static IpipDataPlane open(BackendContext ctx, String device, int mtu, Cidr tunnelAddr, IpAddress local) {
        return new UserspaceIpipPlane(UserspaceIpip.open(ctx.namespace(), local, device, mtu, tunnelAddr.address()));
    }

    @Override
    public String kind() {
        return "userspace";
    }

    @Override
    public void setPeers(Map<Cidr, IpAddress> subnetToNode) {
        path.setPeers(subnetToNode);
    }

    @Override
    public String metricsText() {
        return path.metricsText();
    }

    @Override
    public void close() {
        path.close();
    }
}
