package dev.weft.bench;

import dev.weft.e2e.SimCluster;
import dev.weft.libc.Linux;
import dev.weft.netlink.Link;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import dev.weft.netns.NetNs;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.EtcdServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * weftd's control-plane convergence against {@code ip -batch}: the time from committing N leases
 * to etcd until the node's kernel holds all 3N entries, beside the time iproute2 takes to program
 * the same entries from batch files. Rounds alternate; medians are printed with the ratio.
 */
public final class ConvergenceBench {
    private ConvergenceBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = intArg(args, "--leases", 1000);
        int rounds = intArg(args, "--rounds", 3);
        String netConf = "{\"Network\":\"10.0.0.0/8\",\"SubnetLen\":24,\"SubnetMin\":\"10.1.0.0\",\"SubnetMax\":\"10.9.0.0\",\"Backend\":{\"Type\":\"vxlan\"}}";
        double[] weft = new double[rounds];
        double[] ip = new double[rounds];
        double[] fromCommit = new double[rounds];
        try (SimCluster c = SimCluster.start(SimCluster.Options.of(1, null).withNetConf(netConf)
                .withEtcdArgs(List.of("--max-txn-ops=" + (n + 10))))) {
            SimCluster.Node node = c.node(0);
            try (Namespace ns = Namespace.open(node.host().path().toString())) {
                RtNetlink nl = ns.netlink();
                EtcdServer etcd = c.etcd();
                int vx = nl.requireLink("flannel.1").index();
                // weftd is a long-running daemon: let its JIT see the code path once before timing.
                for (int w = 0; w < 2; w++) {
                    weftRound(etcd, nl, vx, n);
                    ipBatchRound(n);
                }
                for (int r = 0; r < rounds; r++) {
                    weft[r] = weftRound(etcd, nl, vx, n);
                    double txnMs = lastTxnMs;
                    fromCommit[r] = weft[r] - txnMs;
                    ip[r] = ipBatchRound(n);
                    lastTxnMs = txnMs;
                    System.out.printf("  round %d: weftd %.1f ms (of which etcdctl txn until committed %.1f ms), ip -batch + bridge -batch %.1f ms%n",
                            r + 1, weft[r], lastTxnMs, ip[r]);
                }
            }
        }
        double w = median(weft);
        double i = median(ip);
        double wc = median(fromCommit);
        System.out.printf("convergence: %d leases = %d kernel entries, %d rounds after 2 warm-up rounds (medians)%n", n, 3 * n, rounds);
        System.out.printf("  weftd, txn committed (etcdctl returned) -> all entries programmed %8.1f ms%n", wc);
        System.out.printf("  weftd, including the etcd write itself (etcdctl start, commit)     %8.1f ms%n", w);
        System.out.printf("  ip -batch + bridge -batch, same entries                            %8.1f ms%n", i);
        System.out.printf("  ratio weftd (from commit) / ip-batch  %.2fx (goal <= 1.5x)%n", wc / i);
        System.out.printf("  ratio including the etcd write       %.2fx%n", w / i);
    }

    private static String lease(int i) {
        return "{\"PublicIP\":\"100.64." + (i >> 8) + "." + (i & 255) + "\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + mac(i) + "\"}}";
    }

    private static String subnet(int i) {
        return "10.20" + (i >> 8) + "." + (i & 255) + ".0";
    }

    private static String mac(int i) {
        return String.format("0e:00:00:00:%02x:%02x", i >> 8, i & 255);
    }

    /**
     * One transaction of n puts, made with etcdctl inside etcd's namespace (the etcd of a simulated
     * cluster is only reachable there); the clock starts before etcdctl does, so its own start-up
     * is counted against weftd. Then polls the kernel until 3n entries are there, and removes them.
     */
    private static double weftRound(EtcdServer etcd, RtNetlink nl, int vx, int n) throws Exception {
        StringBuilder put = new StringBuilder("\n");
        StringBuilder del = new StringBuilder("\n");
        for (int i = 0; i < n; i++) {
            String key = SimCluster.PREFIX + "/subnets/" + subnet(i) + "-24";
            put.append("put ").append(key).append(" \"").append(lease(i).replace("\"", "\\\"")).append("\"\n");
            del.append("del ").append(key).append('\n');
        }
        put.append("\n\n"); // ends the success ops, then the (empty) failure ops
        del.append("\n\n");
        long t0 = System.nanoTime();
        txn(etcd, put.toString());
        lastTxnMs = (System.nanoTime() - t0) / 1e6;
        while (count(nl, vx) < 3L * n) {
            Thread.sleep(2);
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        txn(etcd, del.toString());
        while (count(nl, vx) > 0) {
            Thread.sleep(10);
        }
        return ms;
    }

    static double lastTxnMs;

    /** Runs one {@code etcdctl txn} script (success ops, a blank line, failure ops) and fails unless it succeeded. */
    static void txn(EtcdServer etcd, String script) {
        Cmd.Result r = Cmd.of("ip", "netns", "exec", etcd.netns(), "etcdctl", "--endpoints", etcd.endpoint(), "txn")
                .env("ETCDCTL_API", "3").input(script).timeout(java.time.Duration.ofSeconds(60)).run();
        if (!r.stdout().startsWith("SUCCESS")) {
            throw new IllegalStateException("etcd txn failed: " + r.stdout() + r.stderr());
        }
    }

    /** The vxlan device's peer entries: routes via a gateway, permanent neighbours, FDB entries with a dst. */
    static long count(RtNetlink nl, int vx) {
        long routes = nl.routes(Linux.AF_INET, Rt.RT_TABLE_MAIN).stream().filter(r -> r.oif() == vx && r.gateway() != null).count();
        long neigh = nl.neighbours(Linux.AF_INET, vx).stream().filter(x -> (x.state() & Rt.NUD_PERMANENT) != 0).count();
        long fdb = nl.fdb(vx).stream().filter(f -> f.dst() != null).count();
        return routes + neigh + fdb;
    }

    /** The same entries from batch files in a fresh namespace with its own flannel.1. */
    private static double ipBatchRound(int n) throws Exception {
        String name = "wt-cvb-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 24), 36);
        Path ipFile = Files.createTempFile("wt-conv-ip", ".batch");
        Path brFile = Files.createTempFile("wt-conv-br", ".batch");
        NetNs.create(name).close();
        try {
            Cmd.run("ip", "-n", name, "link", "add", "flannel.1", "type", "vxlan", "id", "1", "dstport", "8472", "nolearning");
            Cmd.run("ip", "-n", name, "addr", "add", "10.1.0.0/32", "dev", "flannel.1");
            Cmd.run("ip", "-n", name, "link", "set", "flannel.1", "up");
            StringBuilder ipb = new StringBuilder();
            StringBuilder brb = new StringBuilder();
            for (int i = 0; i < n; i++) {
                ipb.append("neigh replace ").append(subnet(i)).append(" lladdr ").append(mac(i)).append(" dev flannel.1 nud permanent\n");
                brb.append("fdb replace ").append(mac(i)).append(" dev flannel.1 dst 100.64.").append(i >> 8).append('.').append(i & 255)
                        .append(" self permanent\n");
            }
            for (int i = 0; i < n; i++) {
                ipb.append("route replace ").append(subnet(i)).append("/24 via ").append(subnet(i)).append(" dev flannel.1 onlink\n");
            }
            Files.writeString(ipFile, ipb);
            Files.writeString(brFile, brb);
            long t0 = System.nanoTime();
            Cmd.run("ip", "-n", name, "-batch", ipFile.toString());
            Cmd.run("ip", "netns", "exec", name, "bridge", "-batch", brFile.toString());
            return (System.nanoTime() - t0) / 1e6;
        } finally {
            NetNs.delete(name);
            Files.deleteIfExists(ipFile);
            Files.deleteIfExists(brFile);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static int intArg(String[] a, String n, int d) {
        for (int i = 0; i + 1 < a.length; i++) {
            if (a[i].equals(n)) {
                return Integer.parseInt(a[i + 1]);
            }
        }
        return d;
    }
}
