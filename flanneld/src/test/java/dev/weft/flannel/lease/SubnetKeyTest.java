package dev.weft.flannel.lease;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SubnetKeyTest {

    @Test
    void ipv4RoundTrip() {
        SubnetKey k = SubnetKey.parse("10.244.1.0-24").orElseThrow();
        assertEquals(Cidr.parse("10.244.1.0/24"), k.subnet());
        assertNull(k.subnetV6());
        assertEquals("10.244.1.0-24", k.toString());
    }

    @Test
    void dualStackRoundTrip() {
        SubnetKey k = SubnetKey.parse("10.12.13.0-24&fd00:12:13::-56").orElseThrow();
        assertEquals(Cidr.parse("10.12.13.0/24"), k.subnet());
        assertEquals(Cidr.parse("fd00:12:13::/56"), k.subnetV6());
        assertEquals("10.12.13.0-24&fd00:12:13::-56", k.toString());
        assertEquals("10.12.13.0-24&fd00:12:13::-56",
                new SubnetKey(Cidr.parse("10.12.13.0/24"), Cidr.parse("fd00:0012:0013:0000::/56")).toString());
    }

    @Test
    void suffixMatchLikeFlannel() {
        assertEquals("10.5.1.0-24", SubnetKey.parse("/coreos.com/network/subnets/10.5.1.0-24").orElseThrow().toString());
        assertEquals("10.5.1.0-24", SubnetKey.parse("junk10.5.1.0-24").orElseThrow().toString());
        // leading zeros in the length are accepted by ParseUint, but the key is then not canonical
        assertEquals("10.5.1.0-24", SubnetKey.parse("10.5.1.0-024").orElseThrow().toString());
        assertTrue(LeaseValidator.canonicalKey("10.5.1.0-024").isEmpty());
        assertTrue(LeaseValidator.canonicalKey("10.5.1.0-24").isPresent());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "not-a-subnet", "10.5.1.0", "10.5.1.0/24", "10.5.300.0-24", "010.5.1.0-24",
        "10.5x1y0-24", "10.5.1.0-32" /* ParseUint(s, 10, 5): at most 31 */, "10.5.1.0-24\n",
        "10.5.1.0-24&fd00::-128", "10.5.1.0-24&FD00::-64", "10.5.1.0-24 "})
    void rejectedLikeFlannel(String s) {
        assertTrue(SubnetKey.parse(s).isEmpty(), s);
    }
}
