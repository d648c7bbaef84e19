package dev.weft.flannel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.ipam.blocks.IpamTree;
import dev.weft.ipam.blocks.Pool;
import dev.weft.ipam.blocks.PoolConfig;
import dev.weft.net.Cidr;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** weftctl ipam show's table and JSON from a fixed IPAM tree (Calico's JSON written out by hand). */
class IpamUsageTest {
    private static final String P = "/wt/ipam/v2";

    static String block(String cidr, String affinity, String allocations, String unallocated) {
        return "{\"cidr\":\"" + cidr + "\",\"affinity\":" + (affinity == null ? "null" : "\"host:" + affinity + "\"")
                + ",\"allocations\":" + allocations + ",\"unallocated\":" + unallocated
                + ",\"attributes\":[{\"handle_id\":\"net.x\",\"secondary\":{\"node\":\"node-a\"}}],"
                + "\"sequenceNumber\":3,\"sequenceNumberForAllocation\":{},\"deleted\":false}";
    }

    private static IpamUsage usage() {
        TreeMap<String, String> kv = new TreeMap<>();
        kv.put(P + "/assignment/ipv4/block/10.60.0.0-30", block("10.60.0.0/30", "node-a", "[0,0,null,null]", "[2,3]"));
        kv.put(P + "/host/node-a/ipv4/block/10.60.0.0-30", "{\"state\":\"confirmed\",\"deleted\":false}");
        kv.put(P + "/assignment/ipv4/block/10.60.0.4-30", "{\"cidr\":");
        kv.put(P + "/host/node-b/ipv4/block/10.60.0.8-30", "{\"state\":\"pending\",\"deleted\":false}");
        kv.put(P + "/assignment/ipv4/block/10.60.0.12-30", block("10.60.0.12/30", "node-c", "[null,null,0,null]", "[0,1,3]"));
        kv.put(P + "/assignment/ipv4/block/10.99.0.0-30", block("10.99.0.0/30", null, "[null,null,null,null]", "[0,1,2,3]"));
        PoolConfig pools = new PoolConfig(List.of(new Pool(Cidr.parse("10.60.0.0/24"), 30)), false, 20);
        return new IpamUsage(IpamTree.of(P, kv), pools);
    }

    @Test
    void theTableHasPoolsThenBlocksByNode() {
        assertEquals(String.join("\n",
                "POOL          BLOCK SIZE  BLOCKS  IN USE  TOTAL",
                "10.60.0.0/24  /30         3       3       256",
                "",
                "NODE    BLOCK          AFFINITY           USED  FREE",
                "node-a  10.60.0.0/30   confirmed          2     2",
                "node-b  10.60.0.8/30   pending, no block  -     -",
                "node-c  10.60.0.12/30  missing            1     3",
                "-       10.60.0.4/30   corrupt            -     -",
                "-       10.99.0.0/30   none               0     4",
                ""), usage().table());
    }

    @Test
    void theJsonHasTheSameRows() throws Exception {
        JsonNode doc = new ObjectMapper().readTree(usage().json());
        assertEquals(P, doc.path("prefix").asText());
        JsonNode pool = doc.path("pools").get(0);
        assertEquals("10.60.0.0/24", pool.path("cidr").asText());
        assertEquals(30, pool.path("blockSize").asInt());
        assertEquals(3, pool.path("inUse").asInt());
        assertEquals(256, pool.path("total").asInt());
        JsonNode blocks = doc.path("blocks");
        assertEquals(5, blocks.size());
        assertEquals("node-a", blocks.get(0).path("node").asText());
        assertEquals("confirmed", blocks.get(0).path("affinity").asText());
        assertEquals(2, blocks.get(0).path("used").asInt());
        assertEquals(2, blocks.get(0).path("free").asInt());
        assertEquals(P + "/assignment/ipv4/block/10.60.0.0-30", blocks.get(0).path("key").asText());
        assertEquals("corrupt", blocks.get(3).path("affinity").asText());
        assertEquals(true, blocks.get(3).path("used").isNull());
        assertEquals(true, blocks.get(3).path("node").isNull());
    }
}
