package dev.weft.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.flannel.ipam.BlockIpam;
import dev.weft.ipam.blocks.BlockAllocator;
import dev.weft.ipam.blocks.Pool;
import dev.weft.ipam.blocks.PoolConfig;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.testkit.EtcdServer;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15's allocation test: 300 ADDs from 8 processes on one node while two other nodes take
 * 100 each from 2 processes apiece, every ADD a connection of its own to the node's weftd socket
 * (weftd's block IPAM, one per node, on one real etcd; the nodes share nothing but etcd). The pool
 * has 8 blocks of 64 and the nodes need 9 between them, so the blocks run out during the run:
 * node-a fills its blocks and claims new ones, and whoever finds every block claimed borrows
 * (StrictAffinity false). Read back from etcd with etcdctl: no address twice cluster-wide, every
 * address held by the handle that got it, every block claimed and confirmed, and each borrowed
 * address recorded in another node's block under the borrower's name.
 */
class BlockIpamAllocationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "/weft/e2e-alloc/ipam/v2";
    private static final Cidr POOL = Cidr.parse("10.50.0.0/23");

    @Test
    void fiveHundredAddsOnThreeNodesNoDuplicateNewBlocksThenBorrowing(@TempDir Path dir) throws Exception {
        PoolConfig pools = new PoolConfig(List.of(new Pool(POOL, 26)), false, 20);
        List<BlockIpam> weftds = new ArrayList<>();
        try (EtcdServer etcd = EtcdServer.launch(); Client client = Client.builder().endpoints(etcd.endpoint()).build()) {
            Map<String, Path> sockets = new TreeMap<>();
            for (String node : List.of("node-a", "node-b", "node-c")) {
                Path sock = dir.resolve(node + "/cni.sock");
                // no reserve: every address in the pool is the pods'
                weftds.add(BlockIpam.start(client, PREFIX, pools, node, new BlockIpam.Settings(sock, dir.resolve(node + "/journal"),
                        0, 1000, new BlockAllocator.Options(Duration.ofSeconds(5), 100), BlockIpam.Settings.DEFAULT_GONE_NODE_GRACE)));
                sockets.put(node, sock);
            }
            List<CompletableFuture<String>> procs = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int p = 0; p < 8; p++) {
                procs.add(client(sockets.get("node-a"), "node-a-", p, 8, 300));
            }
            for (String node : List.of("node-b", "node-c")) {
                for (int p = 0; p < 2; p++) {
                    procs.add(client(sockets.get(node), node + "-", p, 2, 100));
                }
            }
            Map<String, IpAddress> got = new TreeMap<>();
            List<String> errors = new ArrayList<>();
            for (CompletableFuture<String> f : procs) {
                for (String line : f.get(120, TimeUnit.SECONDS).split("\n")) {
                    String[] w = line.split(" ", 2);
                    if (w[1].startsWith("ERR")) {
                        errors.add(line);
                    } else {
                        got.put(w[0], IpAddress.parse(w[1]));
                    }
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(List.of(), errors);
            assertEquals(500, got.size());
            Map<IpAddress, String> byAddress = new HashMap<>();
            got.forEach((h, a) -> {
                String before = byAddress.put(a, h);
                assertEquals(null, before, a + " given to " + before + " and " + h);
            });

            // etcd, read with etcdctl: blocks, their affinities, and who holds which address
            Map<Cidr, String> affinityOfBlock = new TreeMap<>();
            Map<IpAddress, String[]> stored = new HashMap<>(); // address → {handle, node attribute, block's node}
            for (Map.Entry<String, String> e : prefixed(etcd, PREFIX + "/assignment/ipv4/block/").entrySet()) {
                JsonNode b = JSON.readTree(e.getValue());
                Cidr c = Cidr.parse(b.get("cidr").asText());
                String host = b.get("affinity").asText().substring("host:".length());
                affinityOfBlock.put(c, host);
                JsonNode allocs = b.get("allocations");
                for (int o = 0; o < allocs.size(); o++) {
                    if (!allocs.get(o).isNull()) {
                        JsonNode attr = b.get("attributes").get(allocs.get(o).asInt());
                        stored.put(c.networkAddress().plus(o), new String[] {attr.get("handle_id").asText(),
                                attr.path("secondary").path("node").asText(), host});
                    }
                }
            }
            assertEquals(8, affinityOfBlock.size(), "every block of the pool is claimed: " + affinityOfBlock);
            Map<String, String> affinities = prefixed(etcd, PREFIX + "/host/");
            assertEquals(8, affinities.size(), "one affinity per block, none half-claimed: " + affinities);
            affinities.forEach((k, v) -> assertTrue(v.contains("\"confirmed\""), k + " = " + v));
            long aBlocks = affinityOfBlock.values().stream().filter("node-a"::equals).count();
            assertTrue(aBlocks >= 4, "node-a filled its blocks and claimed new ones: " + affinityOfBlock);

            assertEquals(500, stored.size(), "etcd holds exactly the addresses handed out");
            int borrowed = 0;
            for (Map.Entry<String, IpAddress> e : got.entrySet()) {
                String[] s = stored.get(e.getValue());
                String node = e.getKey().substring("net.".length(), "net.node-x".length());
                assertEquals(e.getKey(), s[0], "etcd has " + e.getValue() + " under the handle that got it");
                assertEquals(node, s[1], "and under the node that asked for it");
                if (!s[2].equals(node)) {
                    borrowed++;
                }
            }
            assertTrue(borrowed >= 1, "9 blocks' worth of ADDs for 8 blocks: someone borrowed");
            List<String> handles = etcd.etcdctl("get", "--prefix", "--keys-only", "--", PREFIX + "/handle/").lines()
                    .filter(l -> !l.isBlank()).map(l -> l.substring((PREFIX + "/handle/").length())).sorted().toList();
            assertEquals(List.copyOf(got.keySet()), handles, "one handle record per ADD");
            System.out.printf("block IPAM allocation: 500 ADDs from 12 processes on 3 nodes in %d ms; blocks %s; %d borrowed%n",
                    ms, affinityOfBlock, borrowed);
        } finally {
            for (BlockIpam w : weftds) {
                w.close();
            }
        }
    }

    /** A client process (its own JVM) sending ADDs {@code first, first+step, ... < end}; completes with its output. */
    private static CompletableFuture<String> client(Path socket, String prefix, int first, int step, int end) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-cp",
                System.getProperty("java.class.path"), AllocClientProcess.class.getName(), socket.toString(), prefix,
                Integer.toString(first), Integer.toString(step), Integer.toString(end))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        return CompletableFuture.supplyAsync(() -> {
            try {
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    throw new IllegalStateException("client process " + prefix + first + " failed: " + out);
                }
                return out.strip();
            } catch (IOException | InterruptedException e) {
                p.destroyForcibly();
                throw new IllegalStateException(e);
            }
        });
    }

    private static Map<String, String> prefixed(EtcdServer etcd, String prefix) {
        String[] lines = etcd.etcdctl("get", "--prefix", "--", prefix).split("\n");
        Map<String, String> out = new TreeMap<>();
        for (int i = 0; i + 1 < lines.length; i += 2) {
            out.put(lines[i], lines[i + 1]);
        }
        return out;
    }
}
