package dev.weft.cni.hostlocal;

import dev.weft.cni.skel.CniPlugin;
import dev.weft.cni.skel.Request;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Result;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.hostlocal.Allocation;
import dev.weft.ipam.hostlocal.Attachment;
import dev.weft.ipam.hostlocal.Dns;
import dev.weft.ipam.hostlocal.HostLocalAllocator;
import dev.weft.ipam.hostlocal.HostLocalConfig;
import dev.weft.ipam.hostlocal.IpamRequest;
import dev.weft.ipam.hostlocal.Route;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * weft-host-local: the CNI face of the host-local allocator in the ipam module. Same on-disk store
 * as the reference host-local, plus GC and STATUS, which the reference lacks.
 */
public final class HostLocalPlugin implements CniPlugin {
    private final HostLocalAllocator allocator = new HostLocalAllocator(new StderrLog());

    /** The allocator's warnings on stderr (a class rather than a lambda: no bootstrap at start-up). */
    private static final class StderrLog implements Consumer<String> {
        @Override
        public void accept(String msg) {
            System.err.println("weft-host-local: " + msg);
        }
    }

    @Override
    public String name() {
        return "weft-host-local";
    }

    @Override
    public Set<String> knownArgs() {
        return Set.of("IP", "MAC", "K8S_POD_NAMESPACE", "K8S_POD_NAME", "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID");
    }

    private static IpamRequest request(Request r) {
        return new IpamRequest(r.networkName(), r.containerId(), r.ifname(), r.config(), r.rawArgs());
    }

    private static HostLocalConfig config(Request r) {
        try {
            return HostLocalConfig.parse(r.config(), r.rawArgs());
        } catch (IpamException e) {
            throw asCni(e);
        }
    }

    @Override
    public Result add(Request r) {
        HostLocalConfig cfg = config(r);
        try {
            List<Allocation> allocs = allocator.allocate(request(r), cfg);
            List<Result.IpConfig> ips = new ArrayList<>();
            for (Allocation a : allocs) {
                ips.add(new Result.IpConfig(a.address(), a.gateway(), null));
            }
            List<Result.RouteEntry> routes = new ArrayList<>();
            for (Route rt : cfg.routes()) {
                routes.add(new Result.RouteEntry(rt.dst(), rt.gw(), rt.mtu(), rt.advmss(), rt.priority(), rt.table(), rt.scope()));
            }
            Optional<Dns> d = cfg.dns();
            Result.Dns dns = d.isPresent() ? dns(d.get()) : Result.Dns.EMPTY;
            return new Result(List.of(), ips, routes, dns);
        } catch (IpamException e) {
            throw asCni(e);
        }
    }

    private static Result.Dns dns(Dns d) {
        return new Result.Dns(d.nameservers(), d.domain(), d.search(), d.options());
    }

    @Override
    public void del(Request r) {
        try {
            allocator.release(request(r));
        } catch (IpamException e) {
            throw asCni(e);
        }
    }

    @Override
    public void check(Request r) {
        try {
            allocator.check(request(r));
        } catch (IpamException e) {
            throw asCni(e);
        }
    }

    @Override
    public void gc(Request r) {
        HostLocalConfig cfg = config(r);
        try {
            Set<Attachment> valid = Attachment.fromGcConfig(r.config()).orElse(Set.of());
            allocator.gc(r.networkName(), cfg, valid).throwIfFailed();
        } catch (IpamException e) {
            throw asCni(e);
        }
    }

    @Override
    public void status(Request r) {
        HostLocalConfig cfg = config(r);
        try {
            allocator.status(cfg);
        } catch (IpamException e) {
            throw asCni(e);
        }
    }

    private static CniError asCni(IpamException e) {
        CniError c = new CniError(e.code(), e.msg(), e.details());
        c.initCause(e);
        return c;
    }
}
