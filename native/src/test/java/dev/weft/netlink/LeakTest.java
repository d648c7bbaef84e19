package dev.weft.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netns.NetNs;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.TestNetns;
import dev.weft.tun.TunDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import dev.weft.testkit.KernelTest;
import org.junit.jupiter.api.Test;

/** 500 full create/delete cycles through every kind of handle leak no descriptor and no link. */
@KernelTest
class LeakTest {
    private static final int CYCLES = 500;

    @Test
    void fiveHundredCyclesLeakNoFdAndNoLink() throws Exception {
        try (TestNetns ns = TestNetns.create(); TestNetns peer = TestNetns.create()) {
            cycle(ns, peer, 0); // load classes and libraries before counting
            System.gc();
            int before = openFds();
            for (int i = 0; i < CYCLES; i++) {
                cycle(ns, peer, i);
            }
            System.gc();
            Thread.sleep(100);
            int after = openFds();
            assertEquals(before, after, "file descriptors before and after " + CYCLES + " cycles");
            assertEquals(List.of("lo"), KernelState.links(ns.name()).stream().map(l -> l.ifname()).toList());
            assertEquals(List.of("lo"), KernelState.links(peer.name()).stream().map(l -> l.ifname()).toList());
        }
    }

    /**
     * One cycle: namespace handles, two netlink sockets, a veth whose peer lands in the other
     * namespace, an address, a route and a TUN fd, all made and removed. Every tenth cycle also
     * makes a bridge and a vxlan; each link deletion waits for the kernel (RCU), so doing those
     * every time would only slow the test without adding any fd path.
     */
    private static void cycle(TestNetns ns, TestNetns peer, int i) {
        try (NetNs h = NetNs.open(ns.path().toString()); NetNs p = NetNs.open(peer.path().toString());
             RtNetlink nl = RtNetlink.open(h); RtNetlink pnl = RtNetlink.open(p)) {
            nl.create(new LinkSpec.Veth("wt-lk", "eth0").withPeerInNetns(p.fd()));
            boolean full = i % 10 == 0;
            if (full) {
                nl.create(new LinkSpec.Bridge("wt-lkbr"));
                nl.create(new LinkSpec.Vxlan("wt-lkvx", 9, 8472));
            }
            int v = nl.requireLink("wt-lk").index();
            nl.setUp(v);
            nl.addAddress(Address.of(v, Cidr.parse("10.213.77.1/24")));
            nl.addRoute(Route.to(Cidr.parse("10.213.78.0/24")).via(IpAddress.parse("10.213.77.2")).dev(v));
            try (TunDevice t = h.run(() -> TunDevice.open("wt-lktun", TunDevice.IFF_TUN | TunDevice.IFF_NO_PI))) {
                nl.requireLink(t.name());
            }
            if (full) {
                nl.delete("wt-lkvx");
                nl.delete("wt-lkbr");
            }
            nl.delete(v); // takes eth0 in the peer namespace with it
            if (pnl.link("eth0").isPresent()) {
                throw new AssertionError("deleting a veth end must remove its peer");
            }
        }
    }

    private static int openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.count();
        }
    }
}
