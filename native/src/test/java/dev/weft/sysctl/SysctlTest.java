package dev.weft.sysctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.netns.NetNs;
import dev.weft.testkit.TestNetns;
import dev.weft.testkit.KernelTest;
import org.junit.jupiter.api.Test;

/** sysctl reads and writes land in the namespace they are meant for, checked with sysctl(8). */
@KernelTest
class SysctlTest {

    @Test
    void writesInOneNamespaceDoNotTouchAnother() {
        try (TestNetns a = TestNetns.create(); TestNetns b = TestNetns.create();
             NetNs ha = NetNs.open(a.path().toString()); NetNs hb = NetNs.open(b.path().toString())) {
            // a new namespace copies the host's IPv4 settings (net.core.devconf_inherit_init_net=0),
            // and ip_forward is 1 on any Docker/Kubernetes node: start both from a known 0
            a.setSysctl("net.ipv4.ip_forward", "0");
            b.setSysctl("net.ipv4.ip_forward", "0");
            Sysctl.write(ha, "net.ipv4.ip_forward", "1");
            assertEquals("1", a.sysctl("net.ipv4.ip_forward"));
            assertEquals("0", b.sysctl("net.ipv4.ip_forward"));
            assertEquals("1", Sysctl.read(ha, "net.ipv4.ip_forward"));
            assertEquals("0", Sysctl.read(hb, "net/ipv4/ip_forward"));
            assertFalse(Sysctl.ensure(ha, "net.ipv4.ip_forward", "1"), "no write when already set");
            assertTrue(Sysctl.ensure(hb, "net.ipv4.ip_forward", "1"));
            assertEquals("1", b.sysctl("net.ipv4.ip_forward"));
        }
    }

    @Test
    void perInterfaceKeysWithADotInTheName() {
        try (TestNetns a = TestNetns.create(); NetNs ha = NetNs.open(a.path().toString())) {
            a.ip("link", "add", "wt-x.1", "type", "bridge");
            Sysctl.write(ha, "net/ipv6/conf/wt-x.1/accept_ra", "0");
            assertEquals("0", a.exec("cat", "/proc/sys/net/ipv6/conf/wt-x.1/accept_ra").stdout().strip());
            Sysctl.write(ha, "net/ipv6/conf/wt-x.1/accept_ra", "2");
            assertEquals("2", a.exec("cat", "/proc/sys/net/ipv6/conf/wt-x.1/accept_ra").stdout().strip());
        }
        assertThrows(IllegalArgumentException.class, () -> Sysctl.read("net/../../etc/passwd"));
    }
}
