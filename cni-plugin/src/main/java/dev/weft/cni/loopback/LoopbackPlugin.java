package dev.weft.cni.loopback;

import dev.weft.cni.skel.CniPlugin;
import dev.weft.cni.skel.Request;
import dev.weft.cni.spec.CniError;
import dev.weft.cni.spec.Result;
import dev.weft.net.Cidr;
import dev.weft.netlink.Link;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import java.util.List;
import java.util.Optional;

/**
 * weft-loopback: brings {@code lo} up in the pod (CNI_IFNAME is ignored, as in the reference).
 * DEL sets it down and succeeds when the namespace is empty or already gone.
 */
public final class LoopbackPlugin implements CniPlugin {
    @Override
    public String name() {
        return "weft-loopback";
    }

    @Override
    public Result add(Request r) {
        try (Namespace ns = Namespace.open(r.netns())) {
            RtNetlink nl = ns.netlink();
            Link lo = nl.requireLink("lo");
            nl.setUp(lo.index());
        }
        if (r.hasPrevResult()) {
            return r.prevResult();
        }
        return Result.empty()
                .withInterfaces(List.of(Result.Iface.of("lo", "00:00:00:00:00:00", r.netns())))
                .withIps(List.of(new Result.IpConfig(Cidr.parse("127.0.0.1/8"), null, 0),
                        new Result.IpConfig(Cidr.parse("::1/128"), null, 0)));
    }

    @Override
    public void del(Request r) {
        Optional<Namespace> existing = Namespace.openIfExists(r.netns());
        if (existing.isEmpty()) {
            return; // the namespace is gone: nothing left to set down
        }
        try (Namespace ns = existing.get()) {
            RtNetlink nl = ns.netlink();
            nl.link("lo").ifPresent(lo -> nl.setDown(lo.index()));
        }
    }

    @Override
    public void check(Request r) {
        try (Namespace ns = Namespace.open(r.netns())) {
            if (!ns.netlink().requireLink("lo").isUp()) {
                throw new CniError(CniError.INTERNAL, "loopback interface is down");
            }
        }
    }
}
