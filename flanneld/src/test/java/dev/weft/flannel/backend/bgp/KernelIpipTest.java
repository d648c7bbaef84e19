package dev.weft.flannel.backend.bgp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.NetNs;
import dev.weft.testkit.AddrInfo;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.TestNetns;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The IPIP selection's first step against this kernel: with the ipip driver, tunl0 as Calico sets
 * it up (MTU underlay − 20, the tunnel address, up); without it (this machine), nothing made, so the
 * backend falls back to the userspace data path.
 */
@KernelTest
class KernelIpipTest {
    @Test
    void kernelTunl0IsSetUpWhenTheDriverExistsAndNothingIsLeftWhenNot() {
        try (TestNetns ns = TestNetns.create()) {
            Optional<KernelIpip> k;
            try (NetNs h = NetNs.open(ns.path().toString()); RtNetlink nl = RtNetlink.open(h)) {
                k = KernelIpip.tryOpen(nl, "tunl0", 1480, Cidr.parse("10.244.7.0/32"));
            }
            Optional<LinkInfo> link = KernelState.link(ns.name(), "tunl0");
            boolean driver = dev.weft.testkit.Cmd.of("ip", "-n", ns.name(), "link", "add", "wt-probe", "type", "ipip").tryRun().ok();
            assertEquals(driver, k.isPresent(), "kernel data path chosen exactly when the kernel has ipip");
            if (k.isPresent()) {
                assertEquals("kernel", k.get().kind());
                assertEquals("ipip", link.orElseThrow().kind());
                assertEquals(1480, link.get().mtu());
                assertTrue(KernelState.addresses(ns.name(), "tunl0").stream().map(AddrInfo::cidr)
                        .anyMatch("10.244.7.0/32"::equals));
            } else {
                assertTrue(link.isEmpty(), "no tunl0 left behind: " + link);
            }
        }
    }
}
