package dev.weft.ipam.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The values block IPAM stores are Calico's, byte for byte: the golden strings are what
 * libcalico-go's structs ({@code model.AllocationBlock}, {@code BlockAffinity}, {@code IPAMHandle},
 * {@code IPAMConfig}) encode to with Go's encoding/json (struct field order, sorted map keys, nil
 * slices as null, omitempty on the config).
 */
class CalicoJsonTest {
    private static final Cidr BLOCK = Cidr.parse("10.0.0.0/30");
    private static final Map<String, String> ATTRS = Map.of("node", "node-a", "pod", "p1", "namespace", "default");

    @Test
    void aNewBlockIsCalicosNewBlock() {
        AllocationBlock b = AllocationBlock.create(BLOCK, "node-a", 7);
        assertEquals("{\"cidr\":\"10.0.0.0/30\",\"affinity\":\"host:node-a\",\"allocations\":[null,null,null,null],"
                + "\"unallocated\":[0,1,2,3],\"attributes\":null,\"sequenceNumber\":7,"
                + "\"sequenceNumberForAllocation\":{},\"deleted\":false}", BlockCodec.encode(b));
    }

    @Test
    void anAllocationTakesTheHeadAndRecordsItsSequenceNumber() {
        AllocationBlock.Assigned a = AllocationBlock.create(BLOCK, "node-a", 7).assign("k8s-pod-network.c1", ATTRS);
        assertEquals(0, a.ordinal());
        assertEquals(IpAddress.parse("10.0.0.0"), a.block().address(0));
        assertEquals("{\"cidr\":\"10.0.0.0/30\",\"affinity\":\"host:node-a\",\"allocations\":[0,null,null,null],"
                + "\"unallocated\":[1,2,3],\"attributes\":[{\"handle_id\":\"k8s-pod-network.c1\",\"secondary\":"
                + "{\"namespace\":\"default\",\"node\":\"node-a\",\"pod\":\"p1\"}}],\"sequenceNumber\":8,"
                + "\"sequenceNumberForAllocation\":{\"0\":7},\"deleted\":false}", BlockCodec.encode(a.block()));
    }

    @Test
    void releaseAppendsToTheTailAndDropsUnusedAttributes() {
        AllocationBlock b = AllocationBlock.create(BLOCK, "node-a", 7);
        b = b.assign("h1", ATTRS).block();
        b = b.assign("h2", ATTRS).block();
        b = b.release("h1");
        assertEquals("{\"cidr\":\"10.0.0.0/30\",\"affinity\":\"host:node-a\",\"allocations\":[null,0,null,null],"
                + "\"unallocated\":[2,3,0],\"attributes\":[{\"handle_id\":\"h2\",\"secondary\":"
                + "{\"namespace\":\"default\",\"node\":\"node-a\",\"pod\":\"p1\"}}],\"sequenceNumber\":10,"
                + "\"sequenceNumberForAllocation\":{\"1\":8},\"deleted\":false}", BlockCodec.encode(b));
        // the released address is handed out last
        assertEquals(2, b.assign("h3", ATTRS).ordinal());
    }

    @Test
    void sequenceMapKeysSortAsGoSortsStrings() throws Exception {
        AllocationBlock b = AllocationBlock.create(Cidr.parse("10.0.0.0/28"), null, 1);
        for (int i = 0; i < 11; i++) {
            b = b.assign("h" + i, null).block();
        }
        String json = BlockCodec.encode(b);
        assertTrue(json.contains("\"sequenceNumberForAllocation\":{\"0\":1,\"1\":2,\"10\":11,\"2\":3,"), json);
        assertTrue(json.contains("\"affinity\":null"), json);
        assertEquals(b, BlockCodec.decode(b.cidr(), json));
    }

    @Test
    void decodesABlockAsCalicoWritesIt() throws Exception {
        // As written by calico-ipam (Windows reservation attributes, a uint64 sequence number above Long.MAX_VALUE).
        String calico = "{\"cidr\":\"10.0.0.0/30\",\"affinity\":\"host:n1\",\"allocations\":[1,null,0,null],"
                + "\"unallocated\":[3,1],\"attributes\":[{\"handle_id\":\"k8s-pod-network.abc\",\"secondary\":{\"node\":\"n1\","
                + "\"pod\":\"x\",\"namespace\":\"y\",\"timestamp\":\"2024-01-01 00:00:00\"}},{\"handle_id\":\"windows-reserved-ipam-handle\","
                + "\"secondary\":{\"note\":\"reserved for windows\"}}],\"sequenceNumber\":18446744073709551615,"
                + "\"sequenceNumberForAllocation\":{\"0\":1700000000000000000,\"2\":1700000000000000001},\"deleted\":false}";
        AllocationBlock b = BlockCodec.decode(Cidr.parse("10.0.0.0/30"), calico);
        assertEquals("n1", b.host());
        assertEquals(List.of(2), b.ordinalsOf("k8s-pod-network.abc"));
        assertEquals(-1L, b.sequenceNumber());
        assertTrue(BlockCodec.encode(b).contains("\"sequenceNumber\":18446744073709551615"));
        assertEquals(3, b.assign("h", null).ordinal());
    }

    @Test
    void inconsistentBlocksAreRejected() {
        Cidr c = Cidr.parse("10.0.0.0/30");
        String ok = "\"affinity\":null,\"attributes\":[{\"handle_id\":\"h\",\"secondary\":null}],\"sequenceNumber\":1";
        List<String> bad = List.of(
                "not json",
                "[]",
                "{\"cidr\":\"10.0.0.4/30\",\"allocations\":[null,null,null,null],\"unallocated\":[]," + ok + "}",
                "{\"cidr\":\"10.0.0.0/30\",\"allocations\":[null,null,null],\"unallocated\":[]," + ok + "}",
                "{\"cidr\":\"10.0.0.0/30\",\"allocations\":[5,null,null,null],\"unallocated\":[]," + ok + "}",
                "{\"cidr\":\"10.0.0.0/30\",\"allocations\":[0,null,null,null],\"unallocated\":[0]," + ok + "}",
                "{\"cidr\":\"10.0.0.0/30\",\"allocations\":[null,null,null,null],\"unallocated\":[1,1]," + ok + "}",
                "{\"cidr\":\"10.0.0.0/30\",\"allocations\":[null,null,null,null],\"unallocated\":[4]," + ok + "}",
                "{\"cidr\":\"10.0.0.0/30\",\"allocations\":[null,null,null,null],\"unallocated\":[],\"affinity\":null,"
                        + "\"attributes\":[],\"sequenceNumber\":-1}",
                "{\"cidr\":\"10.0.0.0/30\",\"allocations\":[null,null,null,null],\"unallocated\":[]," + ok
                        + ",\"sequenceNumberForAllocation\":{\"x\":1}}");
        for (String v : bad) {
            assertThrows(CorruptValueException.class, () -> BlockCodec.decode(c, v), v);
        }
        assertThrows(CorruptValueException.class, () -> BlockCodec.decode(Cidr.parse("10.0.0.0/8"), "{}"),
                "a key naming a huge block is refused before anything is sized by it");
        String huge = "{\"cidr\":\"10.0.0.0/30\",\"pad\":\"" + "x".repeat(BlockCodec.maxChars(4)) + "\"}";
        CorruptValueException e = assertThrows(CorruptValueException.class, () -> BlockCodec.decode(c, huge));
        assertTrue(e.getMessage().contains("more than"), e.getMessage());
    }

    @Test
    void affinityHandleAndConfigAreCalicos() throws Exception {
        assertEquals("{\"state\":\"pending\",\"deleted\":false}", ValueCodec.encodeAffinity(AffinityState.PENDING));
        assertEquals("{\"state\":\"confirmed\",\"deleted\":false}", ValueCodec.encodeAffinity(AffinityState.CONFIRMED));
        assertEquals(AffinityState.CONFIRMED, ValueCodec.decodeAffinity("{}")); // Calico's stateless legacy affinity
        assertEquals(AffinityState.PENDING_DELETION, ValueCodec.decodeAffinity("{\"state\":\"pendingDeletion\",\"deleted\":false}"));
        assertThrows(CorruptValueException.class, () -> ValueCodec.decodeAffinity("{\"state\":\"mine\"}"));

        IpamHandle h = new IpamHandle(Map.of(), false).plusOne("10.0.0.0/26").plusOne("fd00::/122").plusOne("10.0.0.0/26");
        assertEquals("{\"block\":{\"10.0.0.0/26\":2,\"fd00::/122\":1},\"deleted\":false}", ValueCodec.encodeHandle(h));
        assertEquals(h, ValueCodec.decodeHandle(ValueCodec.encodeHandle(h)));

        PoolConfig strict = new PoolConfig(List.of(new Pool(Cidr.parse("10.0.0.0/16"), 26)), true, 20);
        PoolConfig loose = new PoolConfig(List.of(new Pool(Cidr.parse("10.0.0.0/16"), 26)), false, 7);
        assertEquals("{\"strict_affinity\":true,\"auto_allocate_blocks\":true,\"maxBlocksPerHost\":20}", ValueCodec.encodeConfig(strict));
        assertEquals("{\"auto_allocate_blocks\":true,\"maxBlocksPerHost\":7}", ValueCodec.encodeConfig(loose));
    }

    @Test
    void keysAreCalicosUnderThePrefix() {
        IpamKeys k = new IpamKeys("/calico/ipam/v2");
        assertEquals("/calico/ipam/v2/assignment/ipv4/block/10.0.0.0-26", k.block(Cidr.parse("10.0.0.0/26")));
        assertEquals("/calico/ipam/v2/assignment/ipv6/block/fd00::-122", k.block(Cidr.parse("fd00::/122")));
        assertEquals("/calico/ipam/v2/host/n1/ipv4/block/10.0.0.64-26", k.affinity("n1", Cidr.parse("10.0.0.64/26")));
        assertEquals("/calico/ipam/v2/handle/k8s-pod-network.abc", k.handle("k8s-pod-network.abc"));
        assertEquals("/calico/ipam/v2/config", k.config());
        assertEquals("n1", k.nodeOf("/calico/ipam/v2/host/n1/ipv4/block/10.0.0.64-26"));
        assertEquals(Cidr.parse("fd00::/122"), IpamKeys.cidrOf("/calico/ipam/v2/assignment/ipv6/block/fd00::-122"));
    }
}
