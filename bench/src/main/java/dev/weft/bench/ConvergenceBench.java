package dev.weft.bench;

import dev.weft.e2e.SimCluster;
import dev.weft.libc.Linux;
import dev.weft.netlink.Link;
import dev.weft.netlink.Rt;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.NetNs;
import dev.weft.testkit.Cmd;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
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
        try (SimCluster c = SimCluster.start(SimCluster.Options.of(1, null).withNetConf(netConf)
                .withEtcdArgs(List.of("--max-txn-ops=" + (n + 10))))) {
            SimCluster.Node node = c.node(0);
            try (Client etcd = Client.builder().endpoints(c.endpointOnUnderlay()).build();
                 NetNs ns = NetNs.open(node.host().path().toString()); RtNetlink nl = RtNetlink.open(ns)) {
                int vx = nl.requireLink("flannel.1").index();
                for (int r = 0; r < rounds; r++) {
                    weft[r] = weftRound(etcd, nl, vx, n);
                    ip[r] = ipBatchRound(n);
                    System.out.printf("  round %d: weftd %.1f ms, ip -batch + bridge -batch %.1f ms%n", r + 1, weft[r], ip[r]);
                }
            }
        }
        double w = median(weft);
        double i = median(ip);
        System.out.printf("convergence: %d leases = %d kernel entries, %d rounds (medians)%n", n, 3 * n, rounds);
        System.out.printf("  weftd: etcd commit -> all entries programmed  %8.1f ms%n", w);
        System.out.printf("  ip -batch + bridge -batch, same entries       %8.1f ms%n", i);
        System.out.printf("  ratio weftd / ip-batch  %.2fx (goal <= 1.5x)%n", w / i);
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

    /** One txn of n puts; then polls the kernel until 3n entries are there; then removes them again. */
    private static double weftRound(Client etcd, RtNetlink nl, int vx, int n) throws Exception {
        List<Op> puts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            puts.add(Op.put(bytes(SimCluster.PREFIX + "/subnets/" + subnet(i) + "-24"), bytes(lease(i)), PutOption.DEFAULT));
        }
        long t0 = System.nanoTime();
        etcd.getKVClient().txn().Then(puts.toArray(Op[]::new)).commit().get();
        while (count(nl, vx) < 3L * n) {
            Thread.sleep(2);
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        List<Op> dels = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            dels.add(Op.delete(bytes(SimCluster.PREFIX + "/subnets/" + subnet(i) + "-24"), DeleteOption.DEFAULT));
        }
        etcd.getKVClient().txn().Then(dels.toArray(Op[]::new)).commit().get();
        while (count(nl, vx) > 0) {
            Thread.sleep(10);
        }
        return ms;
    }

    private static long count(RtNetlink nl, int vx) {
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

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
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
