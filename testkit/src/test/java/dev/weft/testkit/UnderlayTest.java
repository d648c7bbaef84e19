package dev.weft.testkit;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@KernelTest
class UnderlayTest {

    @Test
    void threeNodesReachEachOtherAndCloseRemovesEverything() {
        Set<String> made = new HashSet<>();
        Set<String> rootLinksBefore = nonWtRootLinks();
        try (Underlay ul = Underlay.create()) {
            Underlay.Node a = ul.addNode("a");
            Underlay.Node b = ul.addNode("b");
            Underlay.Node c = ul.addNode("c");
            made.add(ul.netns());
            ul.nodes().forEach(n -> made.add(n.netns()));
            assertEquals(4, made.size());
            assertTrue(NetnsLeakGuard.wtNetns().containsAll(made));
            assertEquals(rootLinksBefore, nonWtRootLinks(), "nothing created in the root namespace");

            assertEquals("192.168.213.1", a.address());
            assertEquals("192.168.213.2", b.address());
            assertEquals("192.168.213.3/24", c.cidr());
            assertEquals(3, Set.of(a.mac(), b.mac(), c.mac()).size());
            assertEquals(a.mac(), KernelState.requireLink(a.netns(), "eth0").address());
            assertEquals(List.of("192.168.213.2/24"),
                    KernelState.addresses(b.netns(), "eth0").stream().filter(x -> x.family().equals("inet"))
                            .map(AddrInfo::cidr).toList());

            List<BridgePort> ports = KernelState.bridgePorts(ul.netns());
            assertEquals(3, ports.size());
            ports.forEach(p -> assertEquals("br0", p.master()));
            ports.forEach(p -> assertEquals("forwarding", p.state()));

            a.exec("ping", "-c1", "-W1", b.address());
            a.exec("ping", "-c1", "-W1", c.address());
            c.exec("ping", "-c1", "-W1", a.address());
            assertEquals(b.mac(), KernelState.neighbours(a.netns(), 4, "eth0").stream()
                    .filter(n -> n.dst().equals(b.address())).findFirst().orElseThrow().lladdr());
        }
        Set<String> still = new HashSet<>(NetnsLeakGuard.wtNetns());
        still.retainAll(made);
        assertEquals(Set.of(), still);
    }

    /** Root-namespace links other than wt- ones (those may come and go with concurrently running test JVMs). */
    private static Set<String> nonWtRootLinks() {
        Set<String> s = new HashSet<>();
        KernelState.links(null).forEach(l -> s.add(l.ifname()));
        s.removeIf(n -> n.startsWith(Names.PREFIX));
        return s;
    }

    @Test
    void disconnectCutsANodeOffAndReconnectRestoresIt() {
        try (Underlay ul = Underlay.builder().subnet("10.213.7.0/24").mtu(9000).build()) {
            Underlay.Node a = ul.addNode("a");
            Underlay.Node b = ul.addNode("b");
            assertEquals("10.213.7.1", a.address());
            assertEquals(9000, KernelState.requireLink(a.netns(), "eth0").mtu());
            assertEquals(9000, KernelState.requireLink(ul.netns(), "br0").mtu());
            a.exec("ping", "-c1", "-W1", b.address());
            ul.disconnect("b");
            assertFalse(a.tryExec("ping", "-c1", "-W1", b.address()).ok());
            ul.reconnect("b");
            a.exec("ping", "-c3", "-i0.2", "-w5", b.address());
            ul.removeNode("b");
            assertFalse(NetnsLeakGuard.wtNetns().contains(b.netns()));
            assertTrue(ul.node("b").isEmpty());
            assertThrows(IllegalArgumentException.class, () -> ul.addNode("a"));
        }
    }

    @Test
    void ipv6Underlay() {
        try (Underlay ul = Underlay.builder().ipv6Subnet("fd00:213::/64").build()) {
            Underlay.Node a = ul.addNode("a");
            Underlay.Node b = ul.addNode("b");
            assertEquals("fd00:213::2", b.address6());
            a.exec("ping", "-6", "-c1", "-W2", b.address6());
        }
    }

    @Test
    void addressArithmetic() {
        assertEquals("192.168.213.1", Underlay.hostV4("192.168.213.0/24", 1));
        assertEquals("192.168.213.254", Underlay.hostV4("192.168.213.0/24", 254));
        assertThrows(IllegalStateException.class, () -> Underlay.hostV4("192.168.213.0/24", 255));
        assertEquals("10.1.1.0", Underlay.hostV4("10.1.0.77/23", 256));
        assertEquals("fd00::1", Underlay.hostV6("fd00::/64", 1));
        assertEquals("fd00:0:0:1::a", Underlay.hostV6("fd00:0:0:1::/64", 10));
        assertEquals("1:0:2::1:0", Underlay.compressV6(new byte[] {0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0}));
    }
}
