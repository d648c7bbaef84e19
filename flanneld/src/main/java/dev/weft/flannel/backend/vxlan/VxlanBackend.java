package dev.weft.flannel.backend.vxlan;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.flannel.backend.AbstractBackend;
import dev.weft.flannel.backend.BackendContext;
import dev.weft.flannel.backend.BackendException;
import dev.weft.flannel.backend.ExternalInterface;
import dev.weft.flannel.backend.LeaseFamily;
import dev.weft.flannel.config.BackendTypes;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.lease.LeaseAttrs;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netlink.RtNetlink;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * flannel's vxlan backend: a kernel vxlan device per address family ({@code flannel.<VNI>},
 * {@code flannel-v6.<VNI>}) and, per remote node, a neighbour, an FDB entry and an on-link route
 * (see {@link VtepProgrammer}). The lease carries {@code {"VNI":1,"VtepMAC":"..."}}. The VTEP MAC
 * is kept in {@code <stateDir>/<device>.mac} so restarts and recreations keep it.
 */
public final class VxlanBackend extends AbstractBackend {
    private static final Logger LOG = LoggerFactory.getLogger(VxlanBackend.class);

    private final VxlanOptions options;
    private final List<Side> sides = new ArrayList<>();
    private RtNetlink nl;

    /** One address family: its device and what is programmed on it. */
    private record Side(LeaseFamily family, VxlanDevice device, VtepProgrammer programmer) {
    }

    /** @throws BackendException for bad options or a missing interface address */
    public VxlanBackend(BackendContext ctx) {
        super(ctx, BackendTypes.VXLAN);
        this.options = VxlanOptions.parse(ctx.network().backend());
        for (LeaseFamily f : LeaseFamily.values()) {
            if (f.enabled(ctx.network()) && f.ifaceAddr(ctx.extIface()) == null) {
                throw new BackendException("vxlan: " + f + " is enabled but interface " + ctx.extIface().name()
                        + " has no " + f + " address");
            }
        }
        LOG.info("VXLAN config: {}", options);
    }

    public VxlanOptions options() {
        return options;
    }

    @Override
    protected LeaseAttrs setUp() {
        ExternalInterface ext = ctx.extIface();
        nl = ctx.openNetlink();
        try {
            MacStore store = new MacStore(ctx.stateDir());
            for (LeaseFamily f : LeaseFamily.values()) {
                if (!f.enabled(ctx.network())) {
                    continue;
                }
                String name = f == LeaseFamily.V4 ? options.deviceName() : options.v6DeviceName();
                VxlanDevice dev = new VxlanDevice(nl,
                        VxlanDevice.spec(f, options, name, f.ifaceAddr(ext), ext.index(), ext.mtu()), store, ctx);
                dev.ensure();
                sides.add(new Side(f, dev, new VtepProgrammer(nl, f, name, f.network(ctx.network()),
                        options.directRouting(), options.vni())));
            }
        } catch (RuntimeException e) {
            nl.close();
            nl = null;
            sides.clear();
            throw e instanceof BackendException ? e : new BackendException("vxlan: " + e.getMessage(), e);
        }
        return new LeaseAttrs(
                ext.extAddr() != null ? ext.extAddr() : IpAddress.V4_UNSPECIFIED,
                side(LeaseFamily.V6) != null ? ext.extAddrV6() : null,
                BackendTypes.VXLAN,
                backendData(side(LeaseFamily.V4)),
                backendData(side(LeaseFamily.V6)));
    }

    private ObjectNode backendData(Side s) {
        if (s == null) {
            return null;
        }
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("VNI", options.vni());
        o.put("VtepMAC", s.device().mac().toString());
        return o;
    }

    @Override
    protected void begin(Lease ownLease) {
        for (Side s : sides) {
            Cidr subnet = s.family().subnet(ownLease);
            if (subnet == null) {
                throw new BackendException("vxlan: the lease " + ownLease.subnet() + " has no " + s.family() + " subnet");
            }
            try {
                s.device().configure(subnet, s.family().network(ctx.network()));
            } catch (RuntimeException e) {
                throw new BackendException("failed to configure interface " + s.device().name() + ": " + e.getMessage(), e);
            }
            s.programmer().attach(s.device().index());
        }
        List<String> names = sides.stream().map(s -> s.device().name()).toList();
        background(new LinkWatcher(ctx, names, this::indexOf, n -> nl.link(n).isPresent(), this::recreate)).start();
    }

    @Override
    protected void added(Lease l) {
        sides.forEach(s -> s.programmer().add(l));
    }

    @Override
    protected void removed(Lease l) {
        sides.forEach(s -> s.programmer().remove(l));
    }

    @Override
    protected void resync(List<Lease> leases) {
        sides.forEach(s -> s.programmer().resync(leases));
    }

    /** Called by the link watcher: the device is gone; bring it back with the same MAC and all peers. */
    private synchronized void recreate(String name) {
        if (isClosed()) {
            return;
        }
        Lease own = ownLease();
        for (Side s : sides) {
            if (s.device().name().equals(name)) {
                s.device().ensure();
                s.device().configure(s.family().subnet(own), s.family().network(ctx.network()));
                s.programmer().attach(s.device().index());
                s.programmer().reprogram();
            }
        }
    }

    private synchronized int indexOf(String name) {
        for (Side s : sides) {
            if (s.device().name().equals(name)) {
                return s.device().index();
            }
        }
        return -1;
    }

    private Side side(LeaseFamily f) {
        for (Side s : sides) {
            if (s.family() == f) {
                return s;
            }
        }
        return null;
    }

    @Override
    public int mtu() {
        return options.deviceMtu(ctx.extIface().mtu());
    }

    /** Where the VTEP MAC of a device is kept. */
    public Path macFile(String device) {
        return new MacStore(ctx.stateDir()).file(device);
    }

    @Override
    protected void release() {
        if (nl != null) {
            nl.close();
        }
    }
}
