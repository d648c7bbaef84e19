package dev.weft.flannel.backend.bgp;

import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.ipip.BpfIpip;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.Map;

/**
 * The bgp backend's IPIP data path where the kernel has no ipip driver but loads eBPF: tc
 * programs on a veth tunl0 and on the external interface ({@link BpfIpip}), in the kernel's wire
 * format, every packet handled in the kernel.
 */
final class BpfIpipPlane implements IpipDataPlane {
    /** The default factory; it throws BackendException when the kernel refuses the programs. */
    static final Factory FACTORY = BpfIpipPlane::open;

    private final BpfIpip path;

    private BpfIpipPlane(BpfIpip path) {
        this.path = path;
    }

    static IpipDataPlane open(BackendContext ctx, String device, int mtu, Cidr tunnelAddr, IpAddress local) {
        return new BpfIpipPlane(BpfIpip.open(ctx.namespace(), local, ctx.extIface().name(), device, mtu, tunnelAddr.address()));
    }

    @Override
    public String kind() {
        return "bpf";
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
