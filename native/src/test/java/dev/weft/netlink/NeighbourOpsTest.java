package dev.weft.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.libc.Linux;
import dev.weft.net.IpAddress;
import dev.weft.net.MacAddress;
import dev.weft.netns.NetNs;
import dev.weft.testkit.FdbInfo;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.NeighInfo;
import dev.weft.testkit.TestNetns;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import dev.weft.testkit.KernelTest;
import org.junit.jupiter.api.Test;

/** ARP/NDP entries and vxlan FDB entries, checked against {@code ip -j neigh} and {@code bridge -j fdb}. */
@KernelTest
class NeighbourOpsTest {
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
    void permanentNeighboursIpv4AndIpv6() {
        nl.create(new LinkSpec.Veth("wt-a", "wt-b"));
        int dev = nl.requireLink("wt-a").index();
        nl.setUp(dev);
        MacAddress mac = MacAddress.parse("0e:00:00:00:00:01");
        nl.addNeighbour(Neighbour.permanent(dev, IpAddress.parse("10.244.3.0"), mac));
        nl.addNeighbour(Neighbour.permanent(dev, IpAddress.parse("fd00:244:3::"), mac));

        NeighInfo v4 = only(KernelState.neighbours(ns.name(), 4, "wt-a"));
        assertEquals("10.244.3.0", v4.dst());
        assertEquals("0e:00:00:00:00:01", v4.lladdr());
        assertTrue(v4.isPermanent(), v4.state().toString());
        NeighInfo v6 = only(KernelState.neighbours(ns.name(), 6, "wt-a").stream().filter(n -> n.isPermanent()).toList());
        assertEquals("fd00:244:3::", v6.dst());

        MacAddress other = MacAddress.parse("0e:00:00:00:00:02");
        nl.replaceNeighbour(Neighbour.permanent(dev, IpAddress.parse("10.244.3.0"), other));
        assertEquals("0e:00:00:00:00:02", only(KernelState.neighbours(ns.name(), 4, "wt-a")).lladdr());
        Neighbour mine = only(nl.neighbours(Linux.AF_INET, dev));
        assertEquals(other, mine.lladdr());
        assertEquals(Rt.NUD_PERMANENT, mine.state());

        nl.deleteNeighbour(Neighbour.permanent(dev, IpAddress.parse("10.244.3.0"), null));
        assertTrue(KernelState.neighbours(ns.name(), 4, "wt-a").isEmpty());
        nl.deleteNeighbour(Neighbour.permanent(dev, IpAddress.parse("fd00:244:3::"), null));
        assertTrue(KernelState.neighbours(ns.name(), 6, "wt-a").stream().noneMatch(NeighInfo::isPermanent));
    }

    @Test
    void vxlanFdbEntriesPointAtRemoteVteps() {
        nl.create(new LinkSpec.Vxlan("wt-vx", 1, 8472).withLocal(IpAddress.parse("192.168.213.1")));
        int vx = nl.requireLink("wt-vx").index();
        MacAddress peerMac = MacAddress.parse("0e:aa:bb:cc:dd:01");
        nl.replaceFdb(FdbEntry.vtep(vx, peerMac, IpAddress.parse("192.168.213.2")));
        nl.appendFdb(FdbEntry.vtep(vx, MacAddress.parse("00:00:00:00:00:00"), IpAddress.parse("192.168.213.3")));
        nl.appendFdb(FdbEntry.vtep(vx, MacAddress.parse("00:00:00:00:00:00"), IpAddress.parse("192.168.213.4")));

        List<FdbInfo> fdb = KernelState.fdb(ns.name(), "wt-vx").stream().filter(f -> f.dst() != null).toList();
        assertEquals(3, fdb.size(), fdb.toString());
        FdbInfo peer = fdb.stream().filter(f -> f.mac().equals("0e:aa:bb:cc:dd:01")).findFirst().orElseThrow();
        assertEquals("192.168.213.2", peer.dst());
        assertTrue(peer.isPermanent());
        assertTrue(peer.flags().contains("self"), peer.flags().toString());
        assertEquals(2, fdb.stream().filter(f -> f.mac().equals("00:00:00:00:00:00")).count(), "append keeps both");

        // replace moves the MAC to another VTEP rather than adding a second entry
        nl.replaceFdb(FdbEntry.vtep(vx, peerMac, IpAddress.parse("192.168.213.9")));
        List<FdbEntry> mine = nl.fdb(vx).stream().filter(e -> e.mac().equals(peerMac)).toList();
        assertEquals(1, mine.size());
        assertEquals(IpAddress.parse("192.168.213.9"), mine.get(0).dst());

        nl.deleteFdb(FdbEntry.vtep(vx, peerMac, IpAddress.parse("192.168.213.9")));
        assertTrue(KernelState.fdb(ns.name(), "wt-vx").stream().noneMatch(f -> f.mac().equals("0e:aa:bb:cc:dd:01")));
    }

    private static <T> T only(List<T> list) {
        assertEquals(1, list.size(), list.toString());
        return list.get(0);
    }
}
