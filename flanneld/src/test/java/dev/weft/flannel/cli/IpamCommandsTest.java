package dev.weft.flannel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.bgp.status.cli.Weftctl;
import dev.weft.ipam.blocks.Allocation;
import dev.weft.ipam.blocks.Attributes;
import dev.weft.ipam.blocks.BlockAllocator;
import dev.weft.ipam.blocks.Family;
import dev.weft.ipam.blocks.PoolConfig;
import dev.weft.net.Cidr;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.EtcdServer;
import dev.weft.testkit.KernelTest;
import io.etcd.jetcd.Client;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * weftctl ipam show, check and release against a real etcd, through weftctl's own entry point:
 * addresses allocated by the block allocator for two nodes, a corrupt block and an orphan planted,
 * node a's pods in a libcni result cache. What release changed is read back with etcdctl.
 */
@KernelTest
class IpamCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NET = "k8s-pod-network";
    private static final String ETCD_PREFIX = "/wt-ipamctl/network";
    private static final String IPAM = ETCD_PREFIX + "/ipam/v2";
    private static final String NET_CONF = "{\"Network\":\"10.77.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"},"
            + "\"IPAM\":{\"Type\":\"blocks\",\"BlockSize\":26}}";

    @Test
    void showCheckAndReleaseOnTwoNodes(EtcdServer etcd, @TempDir Path dir) throws Exception {
        long t0 = System.nanoTime();
        etcd.put(ETCD_PREFIX + "/config", NET_CONF);
        etcd.put(ETCD_PREFIX + "/nodes/node-a", "{}"); // node-a is registered, node-b is gone
        PoolConfig pools = PoolConfig.fromNetConf(NET_CONF);
        Allocation web;
        Allocation db;
        Allocation orphan;
        Allocation reserve;
        Allocation onB;
        try (Client client = Client.builder().endpoints(etcd.endpoint()).build()) {
            BlockAllocator a = BlockAllocator.open(client, IPAM, pools, "node-a");
            BlockAllocator b = BlockAllocator.open(client, IPAM, pools, "node-b");
            web = a.allocate(NET + ".c1", Attributes.of("c1", "eth0", "default", "web"), Family.V4);
            db = a.allocate(NET + ".c2", Attributes.of("c2", "eth0", "default", "db"), Family.V4);
            orphan = a.allocate(NET + ".gone", Attributes.of("gone", "eth0", "default", "old"), Family.V4);
            reserve = a.allocate("weftd-reserve.node-a.0", new Attributes(Map.of("type", "weftd-reserve")), Family.V4);
            onB = b.allocate(NET + ".b1", Attributes.of("b1", "eth0", "default", "other"), Family.V4);
        }
        String corruptKey = IPAM + "/assignment/ipv4/block/10.77.200.0-26";
        etcd.put(corruptKey, "{\"cidr\":\"10.77.200.0/26\",\"allocations\":[");
        Path cache = dir.resolve("results");
        CniCacheTest.write(cache, NET, "c1", CniCacheTest.entry(CniCacheTest.ROUTED, NET, "c1", "default", "web", web.address().toString()));
        CniCacheTest.write(cache, NET, "c2", CniCacheTest.entry(CniCacheTest.ROUTED, NET, "c2", "default", "db", db.address().toString()));
        CniCacheTest.write(cache, NET, "c3", CniCacheTest.entry(CniCacheTest.ROUTED, NET, "c3", "default", "lost", "10.77.9.9"));
        List<String> node = List.of("--etcd-endpoints", etcd.endpoint(), "--etcd-prefix", ETCD_PREFIX, "--node-name", "node-a",
                "--cni-cache-dir", cache.toString(), "--state-dir", dir.resolve("state").toString());
        String blockA = IPAM + "/assignment/ipv4/block/" + web.block().toKeyForm();

        // show
        Cmd.Result show = weftctl(node, "ipam", "show", "-o", "json");
        assertEquals(0, show.exitCode(), show.toString());
        JsonNode doc = JSON.readTree(show.stdout());
        JsonNode pool = doc.path("pools").get(0);
        assertEquals("10.77.0.0/16", pool.path("cidr").asText());
        assertEquals(26, pool.path("blockSize").asInt());
        assertEquals(5, pool.path("inUse").asInt(), doc.toString());
        assertEquals(65536, pool.path("total").asLong());
        Map<String, JsonNode> rows = new TreeMap<>();
        for (JsonNode r : doc.path("blocks")) {
            rows.put(r.path("cidr").asText(), r);
        }
        assertEquals(Set.of(web.block().toString(), onB.block().toString(), "10.77.200.0/26"), rows.keySet());
        assertEquals("node-a", rows.get(web.block().toString()).path("node").asText());
        assertEquals("confirmed", rows.get(web.block().toString()).path("affinity").asText());
        assertEquals(4, rows.get(web.block().toString()).path("used").asInt());
        assertEquals(60, rows.get(web.block().toString()).path("free").asInt());
        assertEquals("node-b", rows.get(onB.block().toString()).path("node").asText());
        assertEquals(1, rows.get(onB.block().toString()).path("used").asInt());
        assertEquals("corrupt", rows.get("10.77.200.0/26").path("affinity").asText());
        Cmd.Result table = weftctl(node, "ipam", "show");
        System.out.print("weftctl ipam show:\n" + table.stdout());
        assertTrue(table.stdout().startsWith("POOL ") && table.stdout().contains("\nNODE "), table.stdout());
        assertTrue(table.stdout().lines().anyMatch(l -> l.matches("node-a +" + web.block() + " +confirmed +4 +60")), table.stdout());

        // check: the corrupt block, node b's block (node b is gone), node a's orphan and its pod without an
        // address; not node b's address as an orphan of node a, not the reserve
        Cmd.Result check = weftctl(node, "ipam", "check", "-o", "json");
        assertEquals(IpamCheckCommand.EXIT_PROBLEMS, check.exitCode(), check.toString());
        List<String> found = new ArrayList<>();
        for (JsonNode p : JSON.readTree(check.stdout()).path("problems")) {
            found.add(p.path("kind").asText() + " " + p.path("key").asText());
            if (p.path("kind").asText().equals("ORPHAN_ALLOCATION")) {
                assertTrue(p.path("detail").asText().startsWith(orphan.address() + " is allocated for node node-a to "
                        + NET + ".gone (pod default/old)"), p.toString());
            }
        }
        String blockB = IPAM + "/assignment/ipv4/block/" + onB.block().toKeyForm();
        assertEquals(List.of("CORRUPT_BLOCK " + corruptKey, "GONE_NODE_BLOCK " + blockB, "ORPHAN_ALLOCATION " + blockA,
                "POD_WITHOUT_ALLOCATION " + IPAM + "/handle/" + NET + ".c3"), found, check.stdout());
        Cmd.Result lines = weftctl(node, "ipam", "check");
        assertEquals(IpamCheckCommand.EXIT_PROBLEMS, lines.exitCode());
        System.out.print("weftctl ipam check:\n" + lines.stdout());
        List<String> out = lines.stdout().lines().toList();
        assertEquals(5, out.size(), lines.stdout());
        assertTrue(out.get(1).endsWith("node node-b, which is not registered (gone); 1 address(es) in it are in use ("
                + NET + ".b1), so it is kept; release them (weftctl ipam release --ip) if their pods are gone too"), out.get(1));
        for (int i = 0; i < 4; i++) {
            String[] kindKey = found.get(i).split(" ");
            assertTrue(out.get(i).startsWith(kindKey[0] + " " + kindKey[1] + ": "), out.get(i));
        }
        assertTrue(out.get(4).startsWith("4 problem(s) (node node-a: 3 pod attachment(s)"), out.get(4));

        // release: refusals change nothing
        String before = etcd.etcdctl("get", "--prefix", "--", IPAM);
        refused(node, web.address().toString(), "is in use by pod default/web (container c1), interface eth0 on this node node-a");
        refused(node, reserve.address().toString(), "is weftd's reserve (weftd-reserve.node-a.0)");
        refused(node, web.block().networkAddress().plus(63).toString(), "is not allocated (block " + blockA + ")");
        refused(node, "10.78.0.1", "10.78.0.1 is in no block under " + IPAM + "/assignment/ipv4/block/");
        refused(node, "10.77.200.1", "block " + corruptKey + " is corrupt");
        refused(node, "not-an-ip", "--ip not-an-ip is not an IP address");
        assertEquals(before, etcd.etcdctl("get", "--prefix", "--", IPAM), "a refused release wrote nothing");

        // release the orphan: exactly that one allocation and its handle go
        TreeMap<String, String> allocBefore = allocations(etcd);
        Cmd.Result released = weftctl(node, "ipam", "release", "--ip", orphan.address().toString());
        assertEquals(0, released.exitCode(), released.toString());
        assertTrue(released.stdout().startsWith("released " + orphan.address() + " (handle " + NET + ".gone, whose record is gone"),
                released.stdout());
        TreeMap<String, String> allocAfter = allocations(etcd);
        TreeMap<String, String> expected = new TreeMap<>(allocBefore);
        assertEquals(NET + ".gone", expected.remove(orphan.address().toString()));
        assertEquals(expected, allocAfter, "only the orphan's allocation changed");
        assertTrue(etcd.get(IPAM + "/handle/" + NET + ".gone").isEmpty(), "its handle went with it");
        for (String h : List.of(NET + ".c1", NET + ".c2", NET + ".b1", "weftd-reserve.node-a.0")) {
            assertTrue(etcd.get(IPAM + "/handle/" + h).isPresent(), h);
        }
        JsonNode blk = JSON.readTree(etcd.get(blockA).orElseThrow());
        JsonNode free = blk.path("unallocated");
        int ordinal = (int) (orphan.address().toBigInteger().longValue() - web.block().networkAddress().toBigInteger().longValue());
        assertEquals(ordinal, free.get(free.size() - 1).asInt(), "the released address is reused last: " + free);

        Cmd.Result after = weftctl(node, "ipam", "check", "-o", "json");
        assertEquals(IpamCheckCommand.EXIT_PROBLEMS, after.exitCode());
        Set<String> kinds = new TreeSet<>();
        JSON.readTree(after.stdout()).path("problems").forEach(p -> kinds.add(p.path("kind").asText()));
        assertEquals(Set.of("CORRUPT_BLOCK", "GONE_NODE_BLOCK", "POD_WITHOUT_ALLOCATION"), kinds, after.stdout());

        // node b sees its own pod as an orphan without a cache listing it, and a missing cache is an error
        List<String> nodeB = new ArrayList<>(node);
        nodeB.set(nodeB.indexOf("node-a"), "node-b");
        nodeB.set(nodeB.indexOf(cache.toString()), dir.resolve("empty").toString());
        Files.createDirectories(dir.resolve("empty"));
        Cmd.Result checkB = weftctl(nodeB, "ipam", "check");
        assertTrue(checkB.stdout().contains("ORPHAN_ALLOCATION " + IPAM + "/assignment/ipv4/block/" + onB.block().toKeyForm()
                + ": " + onB.address() + " is allocated for node node-b"), checkB.stdout());
        nodeB.set(nodeB.indexOf(dir.resolve("empty").toString()), dir.resolve("nothing").toString());
        Cmd.Result missing = weftctl(nodeB, "ipam", "check");
        assertEquals(1, missing.exitCode(), missing.toString());
        assertTrue(missing.stderr().contains("the CNI result cache " + dir.resolve("nothing") + " does not exist"), missing.stderr());
        System.out.println("ipam show/check/release on real etcd: " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    private static void refused(List<String> node, String ip, String why) {
        Cmd.Result r = weftctl(node, "ipam", "release", "--ip", ip);
        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.stderr().startsWith("weftctl: ") && r.stderr().contains(why), r.stderr());
        assertEquals("", r.stdout());
    }

    /** Address → handle of every allocation under the IPAM prefix, read with etcdctl. */
    private static TreeMap<String, String> allocations(EtcdServer etcd) throws Exception {
        TreeMap<String, String> out = new TreeMap<>();
        for (String k : etcd.etcdctl("get", "--prefix", "--keys-only", "--", IPAM + "/assignment/").split("\n")) {
            if (k.isBlank() || k.contains("10.77.200.0")) {
                continue;
            }
            JsonNode b = JSON.readTree(etcd.get(k.strip()).orElseThrow());
            Cidr c = Cidr.parse(b.path("cidr").asText());
            JsonNode alloc = b.path("allocations");
            for (int o = 0; o < alloc.size(); o++) {
                if (!alloc.get(o).isNull()) {
                    out.put(c.networkAddress().plus(o).toString(),
                            b.path("attributes").get(alloc.get(o).asInt()).path("handle_id").asText());
                }
            }
        }
        return out;
    }

    private static Cmd.Result weftctl(List<String> node, String... command) {
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(node);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Weftctl.run(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
        return new Cmd.Result(args, rc, out.toString(), err.toString(), false, Duration.ZERO);
    }
}
