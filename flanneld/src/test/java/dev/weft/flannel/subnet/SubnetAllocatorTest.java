package dev.weft.flannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.config.NetworkConfig;
import dev.weft.flannel.config.SubnetRange;
import dev.weft.net.Cidr;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SubnetAllocatorTest {
    static final SubnetRange R = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\"}").ipv4();

    @Test
    void firstHundredFreeFromSubnetMin() {
        List<Cidr> c = SubnetAllocator.candidates(R, List.of(Cidr.parse("10.5.1.0/24"), Cidr.parse("10.5.3.0/24")));
        assertEquals(100, c.size());
        assertEquals(Cidr.parse("10.5.2.0/24"), c.get(0));
        assertEquals(Cidr.parse("10.5.4.0/24"), c.get(1));
        assertEquals(Cidr.parse("10.5.102.0/24"), c.get(99));
    }

    @Test
    void oddLengthKeysBlockWhatTheyOverlap() {
        List<Cidr> c = SubnetAllocator.candidates(R, List.of(Cidr.parse("10.5.0.0/22"), Cidr.parse("10.5.4.128/25")));
        assertEquals(Cidr.parse("10.5.5.0/24"), c.get(0));
    }

    @Test
    void pickIsUniformAmongCandidates() {
        Random rng = new Random(42);
        Set<Cidr> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            Cidr p = SubnetAllocator.pick(R, List.of(), rng).orElseThrow();
            assertTrue(p.address().compareTo(Cidr.parse("10.5.100.0/24").address()) <= 0, p.toString());
            seen.add(p);
        }
        assertEquals(100, seen.size());
    }

    @Test
    void emptyWhenFull() {
        SubnetRange small = NetworkConfig.parse("{\"Network\":\"10.5.0.0/22\"}").ipv4();
        assertFalse(SubnetAllocator.pick(small, List.of(), new Random()).isEmpty());
        assertTrue(SubnetAllocator.pick(small, List.of(Cidr.parse("10.5.0.0/22")), new Random()).isEmpty());
    }
}
