package dev.weft.flannel.backend.vxlan;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.LeaseFamily;
import dev.weft.flannel.lease.Lease;
import dev.weft.net.Cidr;
import dev.weft.netlink.RtNetlink;
import java.util.List;

/**
 * The IPv4 vxlan device and its per-node entries, for another backend to drive from its own
 * leases: the bgp backend's Encap VXLAN (Calico's VXLAN mode; with {@code directRouting},
 * VXLANCrossSubnet). The leases it is given carry {@code VNI} and {@code VtepMAC} in BackendData
 * as vxlan leases do. Not thread-safe: the owning backend calls it under its lock.
 */
public final class VxlanDataPlane {
    private final BackendContext ctx;
    private final VxlanDevice device;
    private final VtepProgrammer programmer;

    private VxlanDataPlane(BackendContext ctx, VxlanDevice device, VtepProgrammer programmer) {
        this.ctx = ctx;
        this.device = device;
        this.programmer = programmer;
    }

    /** Creates or reuses {@code options.deviceName()} on the external interface (uses {@code nl}, which the caller closes). */
    public static VxlanDataPlane create(BackendContext ctx, RtNetlink nl, VxlanOptions options) {
        VxlanDevice dev = new VxlanDevice(nl, VxlanDevice.spec(LeaseFamily.V4, options, options.deviceName(),
                ctx.extIface().ifaceAddr(), ctx.extIface().index(), ctx.extIface().mtu()), new MacStore(ctx.stateDir()), ctx);
        dev.ensure();
        return new VxlanDataPlane(ctx, dev, new VtepProgrammer(nl, LeaseFamily.V4, options.deviceName(),
                ctx.network().network(), options.directRouting(), options.vni()));
    }

    public String deviceName() {
        return device.name();
    }

    /** Adds {@code VNI} and {@code VtepMAC} to a lease's BackendData. */
    public void describe(ObjectNode backendData, VxlanOptions options) {
        backendData.put("VNI", options.vni());
        backendData.put("VtepMAC", device.mac().toString());
    }

    /** Addresses the device for the own subnet and brings it up. */
    public void start(Cidr ownSubnet) {
        device.configure(ownSubnet, ctx.network().network());
        programmer.attach(device.index());
    }

    public void add(Lease l) {
        programmer.add(l);
    }

    public void remove(Lease l) {
        programmer.remove(l);
    }

    public void resync(List<Lease> leases) {
        programmer.resync(leases);
    }
}
