package dev.weft.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.flannel.ipam.BlockIpam;
import dev.weft.ipam.blocks.BlockAllocator;
import dev.weft.ipam.blocks.Pool;
import dev.weft.ipam.blocks.PoolConfig;
import dev.weft.net.Cidr;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.EtcdServer;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import io.etcd.jetcd.Client;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * weft-ipam as the runtime runs it, a separate process per verb, against weftd's block IPAM on a
 * real etcd: ADD gives an address of the node's block, CHECK, DEL and GC release it in etcd, and
 * without weftd an ADD is code 11 while a DEL still succeeds.
 */
@KernelTest
class BlockIpamPluginTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "/weft/e2e-ipam";
    /** The pod's namespace: an IPAM plugin never enters it, but the CNI contract requires one for ADD. */
    private static String podNetns;

    @Test
    void weftIpamTalksToWeftdNeverToEtcd(@TempDir Path dir) throws Exception {
        Launchers l = Launchers.create(dir.resolve("bin"));
        Path sock = dir.resolve("run/cni.sock");
        String conf = "{\"cniVersion\":\"1.1.0\",\"name\":\"net1\",\"type\":\"weft-routed\","
                + "\"ipam\":{\"type\":\"weft-ipam\",\"socket\":\"" + sock + "\"}}";
        try (TestNetns pod = TestNetns.create(); EtcdServer etcd = EtcdServer.launch();
             Client client = Client.builder().endpoints(etcd.endpoint()).build()) {
            podNetns = pod.path().toString();
            PoolConfig pools = new PoolConfig(List.of(new Pool(Cidr.parse("10.42.0.0/24"), 26)), false, 20);
            BlockIpam ipam = BlockIpam.start(client, PREFIX, pools, "node-a", new BlockIpam.Settings(sock,
                    dir.resolve("ipam-journal"), 2, 1000, new BlockAllocator.Options(Duration.ofSeconds(2), 100), BlockIpam.Settings.DEFAULT_GONE_NODE_GRACE));
            try {
                Cmd.Result add = cni(l, "ADD", "c1", conf);
                assertEquals(0, add.exitCode(), add.stdout() + add.stderr());
                JsonNode r = JSON.readTree(add.stdout());
                assertEquals("1.1.0", r.get("cniVersion").asText());
                Cidr a = Cidr.parse(r.get("ips").get(0).get("address").asText());
                assertEquals(32, a.prefixLength());
                assertTrue(Cidr.parse("10.42.0.0/24").contains(a.address()));
                JsonNode handle = JSON.readTree(etcd.get(PREFIX + "/handle/net1.c1").orElseThrow());
                String block = handle.get("block").fieldNames().next();
                assertTrue(Cidr.parse(block).contains(a.address()), a + " in " + block);
                assertEquals("host:node-a", JSON.readTree(etcd.get(PREFIX + "/assignment/ipv4/block/" + block.replace('/', '-'))
                        .orElseThrow()).get("affinity").asText(), "the node's own block");

                String withPrev = conf.substring(0, conf.length() - 1) + ",\"prevResult\":" + add.stdout().strip() + "}";
                Cmd.Result check = cni(l, "CHECK", "c1", withPrev);
                assertEquals(0, check.exitCode(), check.stdout() + check.stderr());
                assertEquals(0, cni(l, "STATUS", "", conf).exitCode());

                Cmd.Result del = cni(l, "DEL", "c1", conf);
                assertEquals(0, del.exitCode(), del.stdout() + del.stderr());
                assertFalse(etcd.get(PREFIX + "/handle/net1.c1").isPresent(), "DEL released the handle in etcd");

                assertEquals(0, cni(l, "ADD", "c2", conf).exitCode());
                assertEquals(0, cni(l, "ADD", "c3", conf).exitCode());
                String gc = conf.substring(0, conf.length() - 1)
                        + ",\"cni.dev/valid-attachments\":[{\"containerID\":\"c2\",\"ifname\":\"eth0\"}]}";
                Cmd.Result gcr = cni(l, "GC", "", gc);
                assertEquals(0, gcr.exitCode(), gcr.stdout() + gcr.stderr());
                assertTrue(etcd.get(PREFIX + "/handle/net1.c2").isPresent(), "a valid attachment is kept");
                assertFalse(etcd.get(PREFIX + "/handle/net1.c3").isPresent(), "GC released the one not valid");
            } finally {
                ipam.close();
            }

            // weftd gone: ADD says so with code 11; DEL succeeds (GC releases the address later).
            Cmd.Result add = cni(l, "ADD", "c4", conf);
            assertEquals(1, add.exitCode(), add.toString());
            JsonNode err = JSON.readTree(add.stdout());
            assertEquals(11, err.get("code").asInt(), add.stdout());
            assertTrue(err.get("msg").asText().startsWith("weftd is not running"), add.stdout());
            Cmd.Result del = cni(l, "DEL", "c2", conf);
            assertEquals(0, del.exitCode(), del.stdout() + del.stderr());
            assertTrue(del.stderr().contains("until the runtime's GC releases it"), del.stderr());
            assertTrue(etcd.get(PREFIX + "/handle/net1.c2").isPresent(), "still allocated, for GC to release");
            Cmd.Result status = cni(l, "STATUS", "", conf);
            assertEquals(50, JSON.readTree(status.stdout()).get("code").asInt(), status.stdout());
        }
    }

    @Test
    void aRealWeftdServesTheSocketWhenTheNetConfAsksForBlocks(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("n1-cni.sock");
        String netConf = "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"},"
                + "\"IPAM\":{\"Type\":\"blocks\",\"BlockSize\":26}}";
        String conf = "{\"cniVersion\":\"1.1.0\",\"name\":\"net1\",\"type\":\"weft-routed\","
                + "\"ipam\":{\"type\":\"weft-ipam\",\"socket\":\"" + sock + "\"}}";
        try (TestNetns pod = TestNetns.create();
             SimCluster c = SimCluster.start(SimCluster.Options.of(1, "{}").withNetConf(netConf)
                     .withExtraArgs(List.of("-cni-socket", sock.toString(), "-node-name", "n1")))) {
            podNetns = pod.path().toString();
            Launchers l = Launchers.create(dir.resolve("bin"));
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!java.nio.file.Files.exists(sock) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Cmd.Result add = cni(l, "ADD", "r1", conf);
            assertEquals(0, add.exitCode(), add.stdout() + add.stderr() + c.nodes().get(0).weftd().logTail(2000));
            Cidr a = Cidr.parse(JSON.readTree(add.stdout()).get("ips").get(0).get("address").asText());
            assertTrue(Cidr.parse("10.244.0.0/16").contains(a.address()), a.toString());
            JsonNode handle = JSON.readTree(c.etcd().get(SimCluster.PREFIX + "/ipam/v2/handle/net1.r1").orElseThrow());
            assertTrue(Cidr.parse(handle.get("block").fieldNames().next()).contains(a.address()));

            c.nodes().get(0).weftd().kill(); // the socket file stays behind, nobody listens
            Cmd.Result dead = cni(l, "ADD", "r2", conf);
            assertEquals(11, JSON.readTree(dead.stdout()).get("code").asInt(), dead.stdout());
            assertTrue(JSON.readTree(dead.stdout()).get("msg").asText().startsWith("weftd is not running"), dead.stdout());
        }
    }

    private static Cmd.Result cni(Launchers l, String verb, String id, String conf) {
        Cmd.Call c = Cmd.of(l.plugin("weft-ipam").toString()).unsetEnvPrefix("CNI_").env("CNI_COMMAND", verb)
                .env("CNI_PATH", l.cniBin().toString());
        if (!id.isEmpty()) {
            c = c.env("CNI_CONTAINERID", id).env("CNI_NETNS", podNetns).env("CNI_IFNAME", "eth0");
        }
        return c.input(conf).timeout(Duration.ofSeconds(60)).tryRun();
    }
}
