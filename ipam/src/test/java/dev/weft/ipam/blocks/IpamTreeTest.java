package dev.weft.ipam.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * What {@code weftctl ipam check} finds, on fixed snapshots of the IPAM tree (no etcd): the store's
 * own inconsistencies and one node's allocations against its pods.
 */
class IpamTreeTest {
    private static final String P = "/wt/ipam/v2";
    private static final String CONFIRMED = "{\"state\":\"confirmed\",\"deleted\":false}";
    private static final Cidr A = Cidr.parse("10.50.0.0/26");
    private static final Cidr B = Cidr.parse("10.50.0.64/26");
    private static final Cidr C = Cidr.parse("10.50.0.128/26");

    private static PoolConfig pools() throws Exception {
        return new PoolConfig(List.of(new Pool(Cidr.parse("10.50.0.0/16"), 26)), false, 20);
    }

    /** node-a: block A with a pod, an orphan, weftd's reserve and a journaled pod; node-b: block B with a pod. */
    private static TreeMap<String, String> healthy() {
        AllocationBlock a = AllocationBlock.create(A, "node-a", 1);
        a = a.assign("net.pod1", Attributes.of("pod1", "eth0", "default", "web").forNode("node-a")).block();
        a = a.assign("net.gone", Attributes.of("gone", "eth0", "default", "old").forNode("node-a")).block();
        a = a.assign("weftd-reserve.node-a.0", Map.of("node", "node-a", "type", "weftd-reserve")).block();
        a = a.assign("weftd-reserve.node-a.0", Map.of("node", "node-a", "type", "weftd-reserve")).block();
        AllocationBlock b = AllocationBlock.create(B, "node-b", 1);
        b = b.assign("net.podb", Attributes.of("podb", "eth0", null, null).forNode("node-b")).block();
        TreeMap<String, String> kv = new TreeMap<>();
        kv.put(P + "/config", "{\"auto_allocate_blocks\":true,\"maxBlocksPerHost\":20}");
        kv.put(P + "/assignment/ipv4/block/10.50.0.0-26", BlockCodec.encode(a));
        kv.put(P + "/assignment/ipv4/block/10.50.0.64-26", BlockCodec.encode(b));
        kv.put(P + "/host/node-a/ipv4/block/10.50.0.0-26", CONFIRMED);
        kv.put(P + "/host/node-b/ipv4/block/10.50.0.64-26", CONFIRMED);
        kv.put(P + "/handle/net.pod1", "{\"block\":{\"10.50.0.0/26\":1},\"deleted\":false}");
        kv.put(P + "/handle/net.gone", "{\"block\":{\"10.50.0.0/26\":1},\"deleted\":false}");
        kv.put(P + "/handle/weftd-reserve.node-a.0", "{\"block\":{\"10.50.0.0/26\":2},\"deleted\":false}");
        kv.put(P + "/handle/net.podb", "{\"block\":{\"10.50.0.64/26\":1},\"deleted\":false}");
        return kv;
    }

    private static NodePodCheck nodeA(Map<String, Set<IpAddress>> pods, Set<String> pending) {
        return new NodePodCheck("node-a", pods, pending, h -> h.startsWith("weftd-reserve."));
    }

    @Test
    void aConsistentTreeHasNoStoreProblemsAndAnOrphanIsTheOnlyNodeProblem() throws Exception {
        IpamTree t = IpamTree.of(P, healthy());
        assertEquals(List.of(), t.problems(pools()));
        List<Problem> node = nodeA(Map.of("net.pod1", Set.of(IpAddress.parse("10.50.0.0"))), Set.of()).run(t);
        assertEquals(1, node.size(), node.toString());
        Problem orphan = node.get(0);
        assertEquals(Problem.Kind.ORPHAN_ALLOCATION, orphan.kind());
        assertEquals(P + "/assignment/ipv4/block/10.50.0.0-26", orphan.key());
        assertTrue(orphan.detail().startsWith("10.50.0.1 is allocated for node node-a to net.gone (pod default/old)"), orphan.detail());
    }

    @Test
    void aJournaledPodIsNeitherMissingNorOrphaned() throws Exception {
        IpamTree t = IpamTree.of(P, healthy());
        Map<String, Set<IpAddress>> pods = Map.of("net.pod1", Set.of(IpAddress.parse("10.50.0.0")),
                "net.offline", Set.of(IpAddress.parse("10.50.0.2")));
        assertEquals(List.of(), nodeA(pods, Set.of("net.gone", "net.offline")).run(t));
    }

    @Test
    void podsWithoutOrWithAnotherAddressAreReportedByHandleKey() throws Exception {
        IpamTree t = IpamTree.of(P, healthy());
        Map<String, Set<IpAddress>> pods = new TreeMap<>(Map.of(
                "net.pod1", Set.of(IpAddress.parse("10.50.0.9")),
                "net.gone", Set.of(),
                "net.nothing", Set.of(IpAddress.parse("10.50.0.10"))));
        List<Problem> node = nodeA(pods, Set.of()).run(t);
        assertEquals(List.of(
                new Problem(Problem.Kind.POD_WITHOUT_ALLOCATION, P + "/handle/net.nothing",
                        "pod net.nothing of node node-a holds no address in etcd"),
                new Problem(Problem.Kind.POD_ADDRESS_MISMATCH, P + "/handle/net.pod1",
                        "pod net.pod1 of node node-a uses 10.50.0.9, but its handle holds [10.50.0.0]")), node);
    }

    @Test
    void anotherNodesPodsAreNotThisNodesOrphans() throws Exception {
        IpamTree t = IpamTree.of(P, healthy());
        List<Problem> b = new NodePodCheck("node-b", Map.of(), Set.of(), h -> false).run(t);
        assertEquals(List.of(P + "/assignment/ipv4/block/10.50.0.64-26"), b.stream().map(Problem::key).toList());
    }

    @Test
    void corruptBlocksAndAffinitiesThatDisagreeAreReportedOnePerKey() throws Exception {
        TreeMap<String, String> kv = healthy();
        String corrupt = P + "/assignment/ipv4/block/10.50.0.128-26";
        kv.put(corrupt, "{\"cidr\":\"10.50.0.128/26\",\"allocations\":[");
        kv.put(P + "/host/node-c/ipv4/block/10.50.0.128-26", CONFIRMED); // its block is corrupt: not judged
        kv.remove(P + "/host/node-b/ipv4/block/10.50.0.64-26");             // block B lost its affinity
        kv.put(P + "/host/node-c/ipv4/block/10.50.0.0-26", CONFIRMED);    // node-c claims node-a's block
        kv.put(P + "/host/node-c/ipv4/block/10.50.1.0-26", "{\"state\":\"pending\",\"deleted\":false}");
        kv.put(P + "/host/node-d/ipv4/block/10.50.1.64-26", "{\"state\":");
        kv.put(P + "/assignment/ipv4/block/not-a-cidr", "{}");
        kv.put(P + "/handle/net.gone", "{\"block\":{\"10.50.0.0/26\":2},\"deleted\":false}");
        IpamTree t = IpamTree.of(P, kv);
        List<Problem> problems = t.problems(pools());
        List<String> lines = problems.stream().map(pr -> pr.kind() + " " + pr.key()).toList();
        assertEquals(List.of(
                "BAD_KEY " + P + "/assignment/ipv4/block/not-a-cidr",
                "CORRUPT_BLOCK " + corrupt,
                "DANGLING_AFFINITY " + P + "/host/node-c/ipv4/block/10.50.0.0-26",
                "PENDING_AFFINITY " + P + "/host/node-c/ipv4/block/10.50.1.0-26",
                "CORRUPT_AFFINITY " + P + "/host/node-d/ipv4/block/10.50.1.64-26",
                "MISSING_AFFINITY " + P + "/assignment/ipv4/block/10.50.0.64-26",
                "HANDLE_MISMATCH " + P + "/handle/net.gone"), lines, problems.toString());
        assertTrue(problems.get(1).detail().contains("not JSON") || problems.get(1).detail().contains("allocations"),
                problems.get(1).detail());
        // the corrupt block is shown as such, and holds nothing the node check could call orphaned
        assertTrue(t.blockOf(IpAddress.parse("10.50.0.130")).orElseThrow().corrupt());
        assertEquals(C, t.blockOf(IpAddress.parse("10.50.0.130")).orElseThrow().cidr());
    }
}
