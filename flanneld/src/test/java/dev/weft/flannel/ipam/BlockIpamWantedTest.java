package dev.weft.flannel.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ipam.CniErrorCodes;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.blocks.PoolConfig;
import org.junit.jupiter.api.Test;

/**
 * A net-conf that asks for block IPAM with a mistake in it is weftd's start error (the message
 * PoolConfig gives), not a start without block IPAM: before, any mistake made {@code wanted} false,
 * and weftd ran on as if no IPAM had been asked for.
 */
class BlockIpamWantedTest {
    @Test
    void aMistakeInTheIpamObjectIsAnErrorNotAStartWithoutIt() {
        for (String[] c : new String[][] {
                {"{\"Network\":\"10.0.0.0/16\",\"Pools\":[\"10.0.128.0/20\"],\"IPAM\":{\"Type\":\"blocks\"}}",
                        "pool 10.0.128.0/20 overlaps pool 10.0.0.0/16"},
                {"{\"Network\":\"10.0.0.0/16\",\"IPAM\":{\"Type\":\"blocks\",\"BlockSize\":19}}",
                        "IPAM.BlockSize: block size 19 is outside 20–32 for IPv4"},
                {"{\"IPv6Network\":\"fd00::/64\",\"IPAM\":{\"Type\":\"blocks\",\"IPv6BlockSize\":129}}",
                        "IPAM.IPv6BlockSize: block size 129 is outside 116–128 for IPv6"},
                {"{\"Network\":\"10.0.0.0/16\",\"IPAM\":{\"Type\":\"host-local\"}}", "IPAM.Type must be \"blocks\""}}) {
            assertTrue(BlockIpam.wanted(c[0]), c[0]);
            IpamException e = assertThrows(IpamException.class, () -> PoolConfig.fromNetConf(c[0]));
            assertEquals(CniErrorCodes.INVALID_CONFIG, e.code());
            assertTrue(e.getMessage().startsWith(c[1]), e.getMessage());
        }
        assertFalse(BlockIpam.wanted("{\"Network\":\"10.0.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}"), "flannel's own net-conf");
        assertFalse(BlockIpam.wanted("{\"Network\":\"10.0.0.0/16\",\"IPAM\":null}"));
        assertFalse(BlockIpam.wanted("{not json"), "left to the network config's parser");
        assertTrue(BlockIpam.wanted("{\"Network\":\"" + "1".repeat(PoolConfig.MAX_NET_CONF_CHARS) + "\"}"),
                "too long: refused by PoolConfig with its length error");
    }
}
