package dev.weft.flannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RouteTableTest {
    /** Peer i at 198.18.0.0 + i (a benchmarking range). */
    private static InetSocketAddress peer(int i) {
        return new InetSocketAddress(IpAddress.ofV4(0xc6120000 + i).toInetAddress(), 8285);
    }

    private static int ip(String s) {
        return IpAddress.parse(s).toV4Int();
    }

    @Test
    void longestPrefixWins() {
        Map<Cidr, InetSocketAddress> m = new LinkedHashMap<>();
        m.put(Cidr.parse("10.244.0.0/16"), peer(1));
        m.put(Cidr.parse("10.244.2.0/24"), peer(2));
        m.put(Cidr.parse("10.244.2.128/25"), peer(3));
        m.put(Cidr.parse("0.0.0.0/0"), peer(0));
        RouteTable t = RouteTable.of(m);
        assertEquals(peer(2), t.lookup(ip("10.244.2.5")));
        assertEquals(peer(3), t.lookup(ip("10.244.2.200")));
        assertEquals(peer(1), t.lookup(ip("10.244.9.1")));
        assertEquals(peer(0), t.lookup(ip("8.8.8.8")));
        assertNull(RouteTable.EMPTY.lookup(ip("10.244.2.5")));
    }

    @Test
    void thousandsOfLeasesAgreeWithALinearScan() {
        Random r = new Random(3);
        Map<Cidr, InetSocketAddress> m = new HashMap<>();
        for (int i = 0; i < 5000; i++) {
            int len = 20 + r.nextInt(9);
            m.put(Cidr.of(IpAddress.ofV4(0x0a000000 | (r.nextInt() & 0x00ffffff)), len).network(), peer(i));
        }
        RouteTable t = RouteTable.of(m);
        assertEquals(m.size(), t.size());
        for (int i = 0; i < 20_000; i++) {
            int dst = 0x0a000000 | (r.nextInt() & 0x00ffffff);
            InetSocketAddress want = null;
            int best = -1;
            for (Map.Entry<Cidr, InetSocketAddress> e : m.entrySet()) {
                if (e.getKey().contains(IpAddress.ofV4(dst)) && e.getKey().prefixLength() > best) {
                    best = e.getKey().prefixLength();
                    want = e.getValue();
                }
            }
            assertEquals(want, t.lookup(dst));
        }
    }

    @Test
    void answersWhetherASenderHoldsALeaseAndWhichSubnetsAreItsOwn() {
        Map<Cidr, InetSocketAddress> m = new LinkedHashMap<>();
        m.put(Cidr.parse("10.244.2.0/24"), peer(2));
        m.put(Cidr.parse("10.244.3.0/24"), peer(3));
        m.put(Cidr.parse("10.244.4.0/24"), peer(2)); // a node with two leases (an old one not yet expired)
        RouteTable t = RouteTable.of(m);
        int p2 = 0xc6120002;
        int p3 = 0xc6120003;
        assertTrue(t.isPeer(p2));
        assertTrue(t.isPeer(p3));
        assertFalse(t.isPeer(0xc6120004));
        assertFalse(t.isPeer(0));
        assertFalse(RouteTable.EMPTY.isPeer(p2));
        assertTrue(t.routesVia(ip("10.244.2.9"), p2));
        assertTrue(t.routesVia(ip("10.244.4.9"), p2));
        assertFalse(t.routesVia(ip("10.244.3.9"), p2), "another node's subnet");
        assertTrue(t.routesVia(ip("10.244.3.9"), p3));
        assertFalse(t.routesVia(ip("10.244.9.9"), p2), "nobody's subnet");
        assertFalse(RouteTable.EMPTY.routesVia(ip("10.244.2.9"), p2));
    }

    @Test
    void thousandsOfPeersAreFoundAndOthersAreNot() {
        Map<Cidr, InetSocketAddress> m = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            m.put(Cidr.of(IpAddress.ofV4(0x0a000000 | i << 8), 24), peer(2 * i));
        }
        RouteTable t = RouteTable.of(m);
        for (int i = 0; i < 3000; i++) {
            assertTrue(t.isPeer(0xc6120000 + 2 * i));
            assertFalse(t.isPeer(0xc6120000 + 2 * i + 1));
            assertTrue(t.routesVia(0x0a000000 | i << 8 | 7, 0xc6120000 + 2 * i));
        }
    }
}
