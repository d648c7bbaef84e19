package dev.weft.flannel.backend.bgp;

import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.ipip.BpfIpip;
import dev.weft.flannel.backend.ipip.IpipPath;
import dev.weft.flannel.backend.ipip.UserspaceIpip;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.Map;

/**
 * An IPIP data path weftd runs itself where the kernel has no ipip driver: "bpf", tc programs
 * on a veth tunl0 and the external interface ({@link BpfIpip}), every packet handled in the
 * kernel; or "userspace", a TUN named tunl0 and a raw protocol-4 socket ({@link UserspaceIpip}).
 * Both in the kernel's wire format.
 */
final class IpipPathPlane implements IpipDataPlane {
    /** The bpf data path; it throws BackendException when the kernel refuses the programs. */
    static final Factory BPF = (ctx, device, mtu, tunnelAddr, local) -> new IpipPathPlane("bpf",
            BpfIpip.open(ctx.namespace(), local, ctx.extIface().name(), device, mtu, tunnelAddr.address()));
    /** The userspace data path, used unless the embedder or a {@link java.util.ServiceLoader} gives another. */
    static final Factory USERSPACE = IpipPathPlane::userspace;

    private final String kind;
    private final IpipPath path;

    private IpipPathPlane(String kind, IpipPath path) {
        this.kind = kind;
        this.path = path;
    }

    private static IpipDataPlane userspace(BackendContext ctx, String device, int mtu, Cidr tunnelAddr, IpAddress local) {
        return new IpipPathPlane("userspace", UserspaceIpip.open(ctx.namespace(), local, device, mtu, tunnelAddr.address()));
    }

    @Override
    public String kind() {
        return kind;
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

    @Override
    public void closeForRestart() {
        path.closeForRestart();
    }
}
