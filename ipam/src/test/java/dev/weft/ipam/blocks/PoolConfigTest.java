package dev.weft.ipam.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ipam.IpamException;
import dev.weft.net.Cidr;
import java.util.List;
import org.junit.jupiter.api.Test;

class PoolConfigTest {

    @Test
    void networkAndPoolsWithDefaults() throws Exception {
        PoolConfig c = PoolConfig.fromNetConf("{\"Network\":\"10.244.0.0/16\",\"IPv6Network\":\"fd00:10:244::/56\","
                + "\"Backend\":{\"Type\":\"bgp\"},\"Pools\":[\"10.250.0.0/24\",{\"CIDR\":\"10.251.0.0/24\",\"BlockSize\":28}],"
                + "\"IPAM\":{\"Type\":\"blocks\"}}");
        assertEquals(List.of(new Pool(Cidr.parse("10.244.0.0/16"), 26), new Pool(Cidr.parse("fd00:10:244::/56"), 122),
                new Pool(Cidr.parse("10.250.0.0/24"), 26), new Pool(Cidr.parse("10.251.0.0/24"), 28)), c.pools());
        assertFalse(c.strictAffinity());
        assertEquals(20, c.maxBlocksPerHost());
        assertEquals(1024, c.pools().get(0).blockCount());
        assertEquals(Cidr.parse("10.244.0.64/26"), c.pools().get(0).block(1));
        assertEquals(Cidr.parse("fd00:10:244::40/122"), c.pools().get(1).block(1));
        assertEquals(c.pools().get(3), c.poolOf(Cidr.parse("10.251.0.16/28")));
    }

    @Test
    void ipamSettings() throws Exception {
        PoolConfig c = PoolConfig.fromNetConf("{\"Network\":\"10.0.0.0/16\",\"IPAM\":{\"Type\":\"blocks\",\"BlockSize\":24,"
                + "\"IPv6BlockSize\":120,\"StrictAffinity\":true,\"MaxBlocksPerHost\":3}}");
        assertTrue(c.strictAffinity());
        assertEquals(3, c.maxBlocksPerHost());
        assertEquals(24, c.pools().get(0).blockSize());
        assertEquals(20, PoolConfig.fromNetConf("{\"Network\":\"10.0.0.0/16\",\"IPAM\":{\"Type\":\"blocks\",\"MaxBlocksPerHost\":0}}")
                .maxBlocksPerHost());
    }

    @Test
    void mistakesAreClearErrors() {
        assertError("{\"Network\":\"10.0.0.0/16\",\"Pools\":[\"10.0.128.0/20\"],\"IPAM\":{\"Type\":\"blocks\"}}",
                "pool 10.0.128.0/20 overlaps pool 10.0.0.0/16");
        assertError("{\"Network\":\"10.0.0.0/16\",\"IPAM\":{\"Type\":\"blocks\",\"BlockSize\":19}}",
                "IPAM.BlockSize: block size 19 is outside 20–32 for IPv4");
        assertError("{\"Network\":\"10.0.0.0/8\",\"IPAM\":{\"Type\":\"blocks\",\"BlockSize\":33}}",
                "IPAM.BlockSize: block size 33 is outside 20–32 for IPv4");
        assertError("{\"IPv6Network\":\"fd00::/64\",\"IPAM\":{\"Type\":\"blocks\",\"IPv6BlockSize\":115}}",
                "IPAM.IPv6BlockSize: block size 115 is outside 116–128 for IPv6");
        assertError("{\"Network\":\"10.0.0.0/16\",\"Pools\":[{\"CIDR\":\"fd00::/64\",\"BlockSize\":129}],\"IPAM\":{\"Type\":\"blocks\"}}",
                "Pools[0].BlockSize: block size 129 is outside 116–128 for IPv6");
        assertError("{\"Network\":\"10.0.0.0/28\",\"IPAM\":{\"Type\":\"blocks\"}}", "Network: pool 10.0.0.0/28 is smaller than one block (/26)");
        assertError("{\"Network\":\"10.0.0.1/16\",\"IPAM\":{\"Type\":\"blocks\"}}", "Network: pool 10.0.0.1/16 has host bits set");
        assertError("{\"Network\":\"10.0.0.0/16\",\"IPAM\":{\"Type\":\"blocks\",\"Blocksize\":24}}", "IPAM: unknown key \"Blocksize\"");
        assertError("{\"Network\":\"10.0.0.0/16\",\"IPAM\":{\"Type\":\"host-local\"}}", "IPAM.Type must be \"blocks\"");
        assertError("{\"Network\":\"10.0.0.0/16\"}", "net-conf has no \"IPAM\" object");
        assertError("{\"IPAM\":{\"Type\":\"blocks\"}}", "no address pool");
        assertError("{\"Network\":\"fd00::/64\",\"IPAM\":{\"Type\":\"blocks\"}}", "Network must be an IPv4 network");
        assertError("{\"Network\":", "net-conf is not valid JSON");
        assertError("{\"Network\":\"" + "1".repeat(PoolConfig.MAX_NET_CONF_CHARS) + "\"}", "net-conf is longer than");
    }

    private static void assertError(String netConf, String expected) {
        IpamException e = assertThrows(IpamException.class, () -> PoolConfig.fromNetConf(netConf));
        assertEquals(IpamException.INVALID_CONFIG, e.code());
        assertTrue(e.getMessage().startsWith(expected), "message: " + e.getMessage() + "\nexpected start: " + expected);
    }
}
