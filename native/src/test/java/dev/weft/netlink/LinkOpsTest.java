package dev.weft.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.libc.Errno;
import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;
import dev.weft.netns.NetNs;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.LinkInfo;
import dev.weft.testkit.TestNetns;
import dev.weft.testkit.VxlanInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import dev.weft.testkit.KernelTest;
import org.junit.jupiter.api.Test;

/** Link operations through Weft's client, each checked against {@code ip -j} / {@code bridge -j}. */
@KernelTest
class LinkOpsTest {
    private TestNetns ns;
    private NetNs handle;
    private RtNetlink nl;

    @BeforeEach
    void setUp() {
        ns = TestNetns.create();
        handle = NetNs.open(ns.path().toString());
        nl = RtNetlink.open(handle);
    }

    @AfterEach
    void tearDown() {
        nl.close();
        handle.close();
        ns.close();
    }

    @Test
    void vethPeerIsCreatedStraightInAnotherNamespace() {
        try (TestNetns pod = TestNetns.create(); NetNs podNs = NetNs.open(pod.path().toString());
             RtNetlink podNl = RtNetlink.open(podNs)) {
            MacAddress podMac = MacAddress.parse("0a:58:0a:f4:01:05");
            nl.create(new LinkSpec.Veth("wt-vhost", "eth0").withMtu(1400).withPeerMac(podMac).withPeerInNetns(podNs.fd()));

            LinkInfo host = KernelState.requireLink(ns.name(), "wt-vhost");
            LinkInfo eth0 = KernelState.requireLink(pod.name(), "eth0");
            assertEquals("veth", host.kind());
            assertEquals("veth", eth0.kind());
            assertEquals(1400, host.mtu());
            assertEquals(1400, eth0.mtu());
            assertEquals("0a:58:0a:f4:01:05", eth0.address());
            assertNotNull(host.linkNetnsId(), "the host end must point at a peer in another namespace");
            assertTrue(KernelState.link(ns.name(), "eth0").isEmpty(), "the peer must not exist on the host side");

            Link mine = nl.requireLink("wt-vhost");
            assertEquals("veth", mine.kind());
            assertEquals(host.ifindex(), mine.index());
            assertEquals(eth0.ifindex(), mine.linkIndex(), "IFLA_LINK of a veth is its peer's index");
            Link peer = podNl.requireLink("eth0");
            assertEquals(podMac, peer.mac());
            assertEquals(host.ifindex(), peer.linkIndex());
        }
    }

    @Test
    void bridgeWithPortHairpinAndMasterRelease() {
        nl.create(new LinkSpec.Bridge("wt-br").withMtu(1450));
        nl.create(new LinkSpec.Veth("wt-p1", "wt-p2"));
        int br = nl.requireLink("wt-br").index();
        int p1 = nl.requireLink("wt-p1").index();
        nl.setMaster(p1, br);
        nl.setHairpin(p1, true);

        assertEquals("bridge", KernelState.requireLink(ns.name(), "wt-br").kind());
        var port = KernelState.bridgePort(ns.name(), "wt-p1").orElseThrow();
        assertEquals("wt-br", port.master());
        assertTrue(port.hairpin(), "bridge -j -d link must show hairpin on");
        assertTrue(nl.hairpin(p1));
        Link l = nl.requireLink("wt-p1");
        assertEquals(br, l.masterIndex());
        assertEquals("bridge", l.slaveKind());

        nl.setHairpin(p1, false);
        assertFalse(KernelState.bridgePort(ns.name(), "wt-p1").orElseThrow().hairpin());
        assertFalse(nl.hairpin(p1));

        nl.setMaster(p1, 0);
        assertNull(KernelState.requireLink(ns.name(), "wt-p1").master());
        assertEquals(0, nl.requireLink("wt-p1").masterIndex());
    }

    @Test
    void vxlanAttributesAreReadBackAsTheKernelHasThem() {
        nl.create(new LinkSpec.Veth("wt-ul", "wt-ul2"));
        int ul = nl.requireLink("wt-ul").index();
        MacAddress mac = MacAddress.parse("66:77:88:99:aa:bb");
        nl.create(new LinkSpec.Vxlan("wt-vx", 4242, 8472).withLocal(IpAddress.parse("192.168.213.5"))
                .withLinkIndex(ul).withLearning(false).withGbp(true).withUdpChecksum(true).withMtu(1450).withMac(mac));

        VxlanInfo k = KernelState.vxlanInfo(ns.name(), "wt-vx");
        assertEquals(4242, k.id());
        assertEquals("192.168.213.5", k.local());
        assertEquals("wt-ul", k.link());
        assertEquals(8472, k.port());
        assertFalse(k.learning());
        assertTrue(k.gbp());
        assertTrue(k.udpCsum());
        LinkInfo kl = KernelState.requireLink(ns.name(), "wt-vx");
        assertEquals(1450, kl.mtu());
        assertEquals("66:77:88:99:aa:bb", kl.address());

        Link l = nl.requireLink("wt-vx");
        assertEquals("vxlan", l.kind());
        assertEquals(new dev.weft.netlink.VxlanInfo(4242, IpAddress.parse("192.168.213.5"), ul, 8472, false, true, true), l.vxlan());
        assertEquals(mac, l.mac());

        // The other flavour: IPv6 local, learning on, IANA port, no GBP.
        nl.create(new LinkSpec.Vxlan("wt-vx6", 7, 4789).withLocal(IpAddress.parse("fd00:213::5")).withLearning(true));
        VxlanInfo k6 = KernelState.vxlanInfo(ns.name(), "wt-vx6");
        assertEquals(7, k6.id());
        assertEquals("fd00:213::5", k6.local());
        assertEquals(4789, k6.port());
        assertTrue(k6.learning());
        assertFalse(k6.gbp());
        dev.weft.netlink.VxlanInfo v6 = nl.requireLink("wt-vx6").vxlan();
        assertEquals(IpAddress.parse("fd00:213::5"), v6.local());
        assertEquals(4789, v6.port());
        assertTrue(v6.learning());
        assertFalse(v6.gbp());
    }

    @Test
    void settersChangeWhatIpReports() {
        nl.create(new LinkSpec.Veth("wt-a", "wt-b"));
        int a = nl.requireLink("wt-a").index();

        nl.setUp(a);
        assertTrue(KernelState.requireLink(ns.name(), "wt-a").flags().contains("UP"));
        assertTrue(nl.requireLink("wt-a").isUp());
        nl.setDown(a);
        assertFalse(KernelState.requireLink(ns.name(), "wt-a").flags().contains("UP"));

        nl.setMtu(a, 1234);
        assertEquals(1234, KernelState.requireLink(ns.name(), "wt-a").mtu());

        MacAddress mac = MacAddress.parse("02:11:22:33:44:55");
        nl.setMac(a, mac);
        assertEquals("02:11:22:33:44:55", KernelState.requireLink(ns.name(), "wt-a").address());

        nl.setPromisc(a, true);
        assertTrue(KernelState.requireLink(ns.name(), "wt-a").flags().contains("PROMISC"));
        assertTrue(nl.requireLink("wt-a").isPromisc());
        nl.setPromisc(a, false);
        assertFalse(KernelState.requireLink(ns.name(), "wt-a").flags().contains("PROMISC"));

        nl.rename(a, "wt-renamed");
        assertTrue(KernelState.link(ns.name(), "wt-a").isEmpty());
        assertEquals(a, KernelState.requireLink(ns.name(), "wt-renamed").ifindex());

        try (TestNetns other = TestNetns.create(); NetNs otherNs = NetNs.open(other.path().toString())) {
            nl.moveToNetns(a, otherNs.fd());
            assertTrue(KernelState.link(ns.name(), "wt-renamed").isEmpty());
            assertEquals("veth", KernelState.requireLink(other.name(), "wt-renamed").kind());
        }
    }

    @Test
    void creatingAnExistingLinkGivesEexistAndDeletingAMissingOneEnodev() {
        nl.create(new LinkSpec.Bridge("wt-dup"));
        NetlinkException e = assertThrows(NetlinkException.class, () -> nl.create(new LinkSpec.Bridge("wt-dup")));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(e.getMessage().contains("wt-dup"), e.getMessage());

        int idx = nl.requireLink("wt-dup").index();
        nl.delete(idx);
        assertTrue(KernelState.link(ns.name(), "wt-dup").isEmpty());
        assertTrue(nl.link("wt-dup").isEmpty());
        NetlinkException gone = assertThrows(NetlinkException.class, () -> nl.delete(idx));
        assertEquals(Errno.ENODEV, gone.errno());
        assertTrue(gone.isNotFound());
    }

    @Test
    void dummyCreationAgreesWithIpOnThisKernel() {
        // Some kernels (this CI VM's) are built without the dummy driver: then ip fails too, and
        // Weft must report the kernel's EOPNOTSUPP, not pretend.
        Cmd.Result ip = ns.tryExec("ip", "link", "add", "wt-dref", "type", "dummy");
        if (ip.ok()) {
            nl.create(new LinkSpec.Dummy("wt-dummy").withMtu(1300));
            assertEquals("dummy", KernelState.requireLink(ns.name(), "wt-dummy").kind());
            assertEquals(1300, nl.requireLink("wt-dummy").mtu());
        } else {
            NetlinkException e = assertThrows(NetlinkException.class, () -> nl.create(new LinkSpec.Dummy("wt-dummy")));
            assertEquals(Errno.EOPNOTSUPP, e.errno());
            assertTrue(KernelState.link(ns.name(), "wt-dummy").isEmpty());
        }
    }

    @Test
    void listAgreesWithIp() {
        nl.create(new LinkSpec.Bridge("wt-l1"));
        nl.create(new LinkSpec.Veth("wt-l2", "wt-l3"));
        var mine = nl.links().stream().map(l -> l.index() + ":" + l.name() + ":" + l.mtu()).sorted().toList();
        var theirs = KernelState.links(ns.name()).stream().map(l -> l.ifindex() + ":" + l.ifname() + ":" + l.mtu()).sorted().toList();
        assertEquals(theirs, mine);
        assertEquals(4, mine.size());
    }
}
