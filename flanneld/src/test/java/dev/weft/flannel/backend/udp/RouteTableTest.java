package dev.weft.flannel.backend.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RouteTableTest {
    private static InetSocketAddress peer(int i) {
        return InetSocketAddress.createUnresolved("p" + i, 8285);
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
}
