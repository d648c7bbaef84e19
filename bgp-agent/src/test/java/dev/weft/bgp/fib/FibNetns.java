package dev.weft.bgp.fib;

import dev.weft.net.Cidr;
import dev.weft.netlink.Address;
import dev.weft.netlink.LinkSpec;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.RouteInfo;
import dev.weft.testkit.TestNetns;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * A wt- namespace with a veth pair (wt-a up, 192.168.213.1/24 and fd00:213::1/64; wt-b its peer)
 * for FIB tests, and readers of its routes through {@code ip -j}.
 */
final class FibNetns implements AutoCloseable {
    final TestNetns ns;
    final Namespace namespace;
    final RtNetlink nl;
    final int dev;

    FibNetns() {
        ns = TestNetns.create("fib");
        try {
            namespace = Namespace.openNamed(ns.name());
            nl = namespace.netlink();
            nl.create(new LinkSpec.Veth("wt-a", "wt-b"));
            dev = nl.requireLink("wt-a").index();
            nl.setUp(dev);
            nl.setUp(nl.requireLink("wt-b").index());
            nl.addAddress(Address.of(dev, Cidr.parse("192.168.213.1/24")));
            nl.addAddress(Address.of(dev, Cidr.parse("fd00:213::1/64")).withFlags(Rt.IFA_F_NODAD));
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
    }

    KernelFib startFib() {
        return KernelFib.start(namespace, Rt.RT_TABLE_MAIN, KernelFib.DEFAULT_RESYNC);
    }

    /** The route to {@code dst} in the main table as ip shows it, of any protocol. */
    Optional<RouteInfo> route(String dst) {
        int family = dst.contains(":") ? 6 : 4;
        return KernelState.routes(ns.name(), family, "main").stream().filter(r -> dst.equals(r.dst())).findFirst();
    }

    /** Destinations of the main table's routes with protocol weft-bgp, both families. */
    List<String> ours() {
        return KernelState.routes(ns.name(), 0, "main").stream().filter(r -> r.protocol().equals("weft-bgp"))
                .map(RouteInfo::dst).sorted().toList();
    }

    /** Waits (up to 10 s, not a timing assertion) for the watcher to act. */
    static void await(String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("never happened: " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    @Override
    public void close() {
        try {
            namespace.close();
        } finally {
            ns.close();
        }
    }
}
