package dev.weft.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.libc.Errno;
import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.netns.NetNs;
import dev.weft.testkit.AddrInfo;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.TestNetns;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import dev.weft.testkit.KernelTest;
import org.junit.jupiter.api.Test;

/** Address add/replace/delete/list for IPv4 and IPv6, checked against {@code ip -j addr}. */
@KernelTest
class AddressOpsTest {
    private TestNetns ns;
    private NetNs handle;
    private RtNetlink nl;
    private int dev;

    @BeforeEach
    void setUp() {
        ns = TestNetns.create();
        handle = NetNs.open(ns.path().toString());
        nl = RtNetlink.open(handle);
        nl.create(new LinkSpec.Veth("wt-a", "wt-b"));
        dev = nl.requireLink("wt-a").index();
        nl.setUp(dev);
    }

    @AfterEach
    void tearDown() {
        nl.close();
        handle.close();
        ns.close();
    }

    private List<AddrInfo> global(String family) {
        return KernelState.addresses(ns.name(), "wt-a").stream()
                .filter(a -> family.equals(a.family()) && "global".equals(a.scope())).toList();
    }

    @Test
    void ipv4AddReplaceDelete() {
        nl.addAddress(Address.of(dev, Cidr.parse("10.213.1.5/24")));
        List<AddrInfo> v4 = global("inet");
        assertEquals(1, v4.size());
        assertEquals("10.213.1.5", v4.get(0).local());
        assertEquals(24, v4.get(0).prefixlen());
        assertEquals("10.213.1.255", v4.get(0).broadcast(), "IPv4 gets its broadcast, as the reference plugins set it");

        NetlinkException dup = assertThrows(NetlinkException.class, () -> nl.addAddress(Address.of(dev, Cidr.parse("10.213.1.5/24"))));
        assertEquals(Errno.EEXIST, dup.errno());
        nl.replaceAddress(Address.of(dev, Cidr.parse("10.213.1.5/24"))); // idempotent

        nl.addAddress(Address.of(dev, Cidr.parse("10.213.2.7/16")));
        List<Address> mine = nl.addresses(Linux.AF_INET, dev);
        assertEquals(List.of("10.213.1.5/24", "10.213.2.7/16"), mine.stream().map(a -> a.cidr().toString()).sorted().toList());
        assertEquals(2, global("inet").size());

        nl.deleteAddress(Address.of(dev, Cidr.parse("10.213.1.5/24")));
        assertEquals(List.of("10.213.2.7"), global("inet").stream().map(AddrInfo::local).toList());
        NetlinkException missing = assertThrows(NetlinkException.class,
                () -> nl.deleteAddress(Address.of(dev, Cidr.parse("10.213.1.5/24"))));
        assertTrue(missing.isNotFound(), missing.getMessage());
    }

    @Test
    void ipv6AddWithNodadListDelete() {
        nl.addAddress(Address.of(dev, Cidr.parse("fd00:213::5/64")).withFlags(Rt.IFA_F_NODAD));
        List<AddrInfo> v6 = global("inet6");
        assertEquals(1, v6.size());
        assertEquals("fd00:213::5", v6.get(0).local());
        assertEquals(64, v6.get(0).prefixlen());
        assertTrue(v6.get(0).flags().contains("nodad"), "nodad flag must reach the kernel: " + v6.get(0).flags());
        assertTrue(!v6.get(0).flags().contains("tentative"), "nodad means no DAD wait");

        List<Address> mine = nl.addresses(Linux.AF_INET6, dev).stream().filter(a -> a.scope() == Rt.RT_SCOPE_UNIVERSE).toList();
        assertEquals(1, mine.size());
        assertEquals(Cidr.parse("fd00:213::5/64"), mine.get(0).cidr());
        assertTrue((mine.get(0).flags() & Rt.IFA_F_NODAD) != 0);

        nl.deleteAddress(Address.of(dev, Cidr.parse("fd00:213::5/64")));
        assertTrue(global("inet6").isEmpty());
    }
}
