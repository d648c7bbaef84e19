package dev.weft.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CidrMapTest {

    @Test
    void keysAreEqualAsCidrsAre() {
        CidrMap<String> m = new CidrMap<>();
        assertNull(m.put(Cidr.parse("10.0.0.0/24"), "a"));
        assertEquals("a", m.get(Cidr.parse("10.0.0.0/24")));
        assertNull(m.get(Cidr.parse("10.0.0.0/25")), "another length is another key");
        assertNull(m.get(Cidr.parse("10.0.0.1/24")), "host bits as given count, as in Cidr.equals");
        assertNull(m.get(Cidr.parse("0.0.0.0/0")));
        m.put(Cidr.parse("0.0.0.0/0"), "default");
        m.put(Cidr.parse("255.255.255.255/32"), "all ones");
        m.put(Cidr.parse("2001:db8::/64"), "v6");
        assertEquals("default", m.get(Cidr.parse("0.0.0.0/0")));
        assertEquals("all ones", m.get(Cidr.parse("255.255.255.255/32")));
        assertEquals("v6", m.get(Cidr.parse("2001:db8::/64")));
        assertNull(m.get(Cidr.parse("::/0")));
        assertEquals(4, m.size());
        assertEquals("a", m.put(Cidr.parse("10.0.0.0/24"), "b"));
        assertFalse(m.remove(Cidr.parse("10.0.0.0/24"), "a"));
        assertTrue(m.remove(Cidr.parse("10.0.0.0/24"), "b"));
        assertEquals(3, m.size());
        Cidr k = Cidr.parse("10.9.0.0/16");
        String made = m.computeIfAbsent(k, c -> "made " + c);
        assertSame(made, m.computeIfAbsent(k, c -> "again"));
        assertEquals(new HashSet<>(m.keys()), new HashSet<>(java.util.List.of(Cidr.parse("0.0.0.0/0"),
                Cidr.parse("255.255.255.255/32"), Cidr.parse("2001:db8::/64"), k)));
        m.clear();
        assertTrue(m.isEmpty());
        assertNull(m.get(k));
    }

    /** Random puts, removals and walks against a HashMap, in a dense block (long probe runs) and sparse. */
    @Test
    void behavesAsAHashMap() {
        SplittableRandom rnd = new SplittableRandom(13);
        for (int round = 0; round < 4; round++) {
            CidrMap<Integer> m = new CidrMap<>();
            Map<Cidr, Integer> ref = new HashMap<>();
            boolean dense = round % 2 == 0;
            for (int op = 0; op < 200_000; op++) {
                Cidr c = dense
                        ? Cidr.of(IpAddress.ofV4(0x0a000000 | (rnd.nextInt(20_000) << 6)), 26)
                        : rnd.nextInt(50) == 0
                                ? Cidr.of(IpAddress.ofV6(0x20010db8L << 32, rnd.nextInt(500)), 128)
                                : Cidr.of(IpAddress.ofV4(rnd.nextInt()), rnd.nextInt(33));
                int what = rnd.nextInt(10);
                if (what < 5) {
                    assertEquals(ref.put(c, op), m.put(c, op));
                } else if (what < 8) {
                    assertEquals(ref.remove(c), m.remove(c));
                } else if (what < 9) {
                    assertEquals(ref.computeIfAbsent(c, x -> -1), m.computeIfAbsent(c, x -> -1));
                } else {
                    assertEquals(ref.get(c), m.get(c));
                }
                if (op % 50_000 == 0) {
                    int cut = rnd.nextInt(10);
                    ref.entrySet().removeIf(e -> e.getValue() % 10 == cut);
                    m.removeIf((k, v) -> v % 10 == cut);
                }
            }
            assertEquals(ref.size(), m.size());
            Map<Cidr, Integer> walked = new HashMap<>();
            m.forEach((k, v) -> assertNull(walked.put(k, v), "a key walked twice"));
            assertEquals(ref, walked);
            ref.forEach((k, v) -> assertEquals(v, m.get(k)));
        }
    }
}
