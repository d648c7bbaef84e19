package dev.weft.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.flannel.ipam.BlockIpam;
import dev.weft.ipam.IpamException;
import dev.weft.ipam.blocks.Pool;
import dev.weft.ipam.blocks.PoolConfig;
import dev.weft.ipam.hostlocal.HostLocalAllocator;
import dev.weft.ipam.hostlocal.HostLocalConfig;
import dev.weft.ipam.hostlocal.IpamRequest;
import dev.weft.ipam.socket.IpamClient;
import dev.weft.ipam.socket.IpamResponse;
import dev.weft.net.Cidr;
import dev.weft.testkit.EtcdServer;
import io.etcd.jetcd.Client;

import dev.weft.e2e.SimCluster;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * IPAM churn (issue 15): allocate/release pairs on 3 nodes at once, each node's pairs from
 * {@code --clients} concurrent callers (pods starting and stopping together), through weftd's
 * block IPAM socket (one connection per request, as weft-ipam makes it; {@link BlockIpam}, the code
 * weftd runs, here in this process, one per node, on a real etcd) against host-local on each
 * node's own disk (the allocator weft-host-local runs, in process). Both sides leave out the
 * plugin's JVM start, which the two executables share: this is the IPAM itself. Rounds alternate
 * the two so machine load hits both alike.
 *
 * <p>etcd writes are counted by etcd itself: its store revision (one per committed write
 * transaction), its put/delete/txn counters and its WAL fsyncs, read from its /metrics endpoint
 * before and after.
 */
public final class IpamChurnBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int NODES = 3;

    public static void main(String[] args) throws Exception {
        int pairs = UdpVsVxlanBench.intArg(args, "--pairs", 10_000);
        int clients = UdpVsVxlanBench.intArg(args, "--clients", 8);
        int rounds = UdpVsVxlanBench.intArg(args, "--rounds", 2);
        Path work = Files.createTempDirectory("wt-ipam-churn");
        System.out.printf("ipam-churn: %d allocate/release pairs over %d nodes, %d concurrent callers per node, %d rounds"
                + " alternating (%d cores, load average %s)%n", pairs, NODES, clients, rounds,
                Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).strip());
        List<BlockIpam> weftds = new ArrayList<>();
        try (EtcdServer etcd = EtcdServer.launch(); Client client = Client.builder().endpoints(etcd.endpoint()).build()) {
            PoolConfig pools = new PoolConfig(List.of(new Pool(Cidr.parse("10.214.0.0/16"), 26)), false, 20);
            List<Path> sockets = new ArrayList<>();
            List<JsonNode> hostLocal = new ArrayList<>();
            for (int n = 0; n < NODES; n++) {
                Path sock = work.resolve("node" + n + "/cni.sock");
                weftds.add(BlockIpam.start(client, "/weft/ipam/v2", pools, "wt-churn-" + n,
                        BlockIpam.Settings.defaults(sock, work.resolve("node" + n + "/ipam-journal"))));
                sockets.add(sock);
                hostLocal.add(JSON.readTree("{\"cniVersion\":\"1.0.0\",\"name\":\"churn\",\"ipam\":{\"type\":\"host-local\","
                        + "\"subnet\":\"10.215." + (n * 16) + ".0/20\",\"dataDir\":\"" + work.resolve("node" + n + "/host-local") + "\"}}"));
            }
            String metrics = "http://" + etcd.endpoint().replaceFirst("^https?://", "") + "/metrics";
            double[] seconds = new double[2];
            Map<String, Double> etcdDelta = new HashMap<>();
            int perRound = pairs / rounds;
            for (int r = 0; r < rounds; r++) {
                seconds[0] += churn(perRound, clients, (node, id) -> hostLocalPair(hostLocal.get(node), id), "hl" + r);
                Map<String, Double> before = etcdCounters(metrics);
                seconds[1] += churn(perRound, clients, (node, id) -> socketPair(sockets.get(node), id), "sk" + r);
                Map<String, Double> after = etcdCounters(metrics);
                after.forEach((k, v) -> etcdDelta.merge(k, v - before.getOrDefault(k, 0.0), Double::sum));
            }
            int done = perRound * rounds;
            double hl = done / seconds[0];
            double sk = done / seconds[1];
            System.out.printf("  host-local (each node's own disk)   %8.0f pairs/s  (%.2f s)%n", hl, seconds[0]);
            System.out.printf("  weftd socket (block IPAM in etcd)   %8.0f pairs/s  (%.2f s)%n", sk, seconds[1]);
            System.out.printf("  ratio socket/host-local             %8.2fx   (goal >= 0.5x -> %s)%n", sk / hl, sk / hl >= 0.5 ? "met" : "NOT met");
            double revs = etcdDelta.getOrDefault("etcd_debugging_mvcc_current_revision", Double.NaN);
            System.out.printf("  etcd write transactions (revisions) %8.0f = %.3f per allocation (goal <= 2 -> %s), %.3f per pair%n",
                    revs, revs / done, revs / done <= 2 ? "met" : "NOT met", revs / done);
            System.out.printf("  etcd puts %.0f, deletes %.0f, txns %.0f, WAL fsyncs %.0f (%.3f per allocation)%n",
                    etcdDelta.getOrDefault("etcd_mvcc_put_total", Double.NaN),
                    etcdDelta.getOrDefault("etcd_mvcc_delete_total", Double.NaN),
                    etcdDelta.getOrDefault("etcd_mvcc_txn_total", Double.NaN),
                    etcdDelta.getOrDefault("etcd_disk_wal_fsync_duration_seconds_count", Double.NaN),
                    etcdDelta.getOrDefault("etcd_disk_wal_fsync_duration_seconds_count", Double.NaN) / done);
        } finally {
            for (BlockIpam w : weftds) {
                w.close();
            }
            SimCluster.deleteTree(work);
        }
    }

    interface Pair {
        void run(int node, String id) throws Exception;
    }

    /** {@code pairs} pairs spread over the nodes and callers; returns the wall time in seconds. */
    private static double churn(int pairs, int clients, Pair pair, String tag) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(NODES * clients);
        List<Future<?>> jobs = new ArrayList<>();
        int callers = NODES * clients;
        long t0 = System.nanoTime();
        for (int c = 0; c < callers; c++) {
            int caller = c;
            jobs.add(pool.submit(() -> {
                for (int i = caller; i < pairs; i += callers) {
                    pair.run(caller % NODES, tag + "-" + i);
                }
                return null;
            }));
        }
        for (Future<?> f : jobs) {
            f.get(30, TimeUnit.MINUTES);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        return s;
    }

    private static void hostLocalPair(JsonNode conf, String id) throws IpamException {
        HostLocalAllocator a = new HostLocalAllocator(line -> { });
        IpamRequest req = new IpamRequest("churn", id, "eth0", conf, null);
        a.allocate(req, HostLocalConfig.parse(conf, null));
        a.release(req);
    }

    private static void socketPair(Path sock, String id) throws IpamException {
        IpamClient c = new IpamClient(sock);
        IpamResponse add = c.call(new dev.weft.ipam.socket.IpamRequest.Allocate("churn." + id, id, "eth0", null, null, List.of()));
        add.throwIfError();
        c.call(new dev.weft.ipam.socket.IpamRequest.Release("churn." + id)).throwIfError();
    }

    /** etcd's own counters from its Prometheus endpoint (name without labels → value). */
    private static Map<String, Double> etcdCounters(String url) throws IOException {
        Map<String, Double> out = new HashMap<>();
        String text;
        try (InputStream in = URI.create(url).toURL().openStream()) {
            text = new String(in.readNBytes(8 << 20), StandardCharsets.UTF_8);
        }
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            int sp = line.lastIndexOf(' ');
            String name = line.substring(0, sp);
            int brace = name.indexOf('{');
            String bare = brace < 0 ? name : name.substring(0, brace);
            if (bare.equals("etcd_debugging_mvcc_current_revision") || bare.equals("etcd_mvcc_put_total")
                    || bare.equals("etcd_mvcc_delete_total") || bare.equals("etcd_mvcc_txn_total")
                    || bare.equals("etcd_disk_wal_fsync_duration_seconds_count")) {
                out.merge(bare, Double.parseDouble(line.substring(sp + 1)), Double::sum);
            }
        }
        return out;
    }
}
