package dev.weft.bench;

import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Address;
import dev.weft.netlink.LinkSpec;
import dev.weft.netlink.Route;
import dev.weft.netlink.RtNetlink;
import dev.weft.netns.Namespace;
import dev.weft.netns.NetNs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Route programming: Weft's client against {@code ip -batch}, same routes, same namespace, rounds
 * interleaved so that machine noise hits both alike. Prints medians and the ratio weft/ip.
 *
 * <p>Three Weft variants are timed: batched (requests pipelined many to a datagram, how weftd
 * programs leases), one request per round trip (how a naive client works), and the batched one
 * again for deletion. {@code ip -batch} is timed as a whole process, which is what an operator or
 * a shell-based daemon pays.
 */
public final class NetlinkRoutesBench {
    private NetlinkRoutesBench() {
    }

    public static void main(String[] args) throws Exception {
        int routes = intArg(args, "--routes", 1000);
        int rounds = intArg(args, "--rounds", 7);
        int warmup = intArg(args, "--warmup", 5);
        String ns = "wt-bench-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 24), 36);
        Path batchAdd = Files.createTempFile("wt-routes-add", ".batch");
        Path batchDel = Files.createTempFile("wt-routes-del", ".batch");
        NetNs.create(ns).close();
        try (Namespace netns = Namespace.openNamed(ns)) {
            RtNetlink nl = netns.netlink();
            // A veth pair rather than a dummy: not every kernel (this VM's included) has dummy.
            nl.create(new LinkSpec.Veth("wt-d0", "wt-d1"));
            int dev = nl.requireLink("wt-d0").index();
            nl.addAddress(Address.of(dev, Cidr.parse("192.168.250.1/24")));
            nl.setUp(dev);
            nl.setUp(nl.requireLink("wt-d1").index());
            List<Route> set = new ArrayList<>(routes);
            StringBuilder add = new StringBuilder();
            StringBuilder del = new StringBuilder();
            for (int i = 0; i < routes; i++) {
                Cidr dst = Cidr.of(IpAddress.ofV4(0x0a000000 | (i << 8)), 24);
                IpAddress gw = IpAddress.parse("192.168.250." + (2 + i % 200));
                set.add(Route.to(dst).via(gw).dev(dev));
                add.append("route add ").append(dst).append(" via ").append(gw).append(" dev wt-d0\n");
                del.append("route del ").append(dst).append(" via ").append(gw).append(" dev wt-d0\n");
            }
            Files.writeString(batchAdd, add);
            Files.writeString(batchDel, del);

            for (int i = 0; i < warmup; i++) {
                weftBatchAdd(nl, set);
                weftBatchDelete(nl, set);
                weftOneByOne(nl, set);
                weftBatchDelete(nl, set);
            }
            double[] weftBatch = new double[rounds];
            double[] weftSingle = new double[rounds];
            double[] weftDelete = new double[rounds];
            double[] ipAdd = new double[rounds];
            double[] ipDel = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                weftBatch[r] = weftBatchAdd(nl, set);
                checkCount(nl, routes);
                weftDelete[r] = weftBatchDelete(nl, set);
                checkCount(nl, 0);
                ipAdd[r] = ipBatch(ns, batchAdd);
                checkCount(nl, routes);
                ipDel[r] = ipBatch(ns, batchDel);
                checkCount(nl, 0);
                weftSingle[r] = weftOneByOne(nl, set);
                checkCount(nl, routes);
                weftBatchDelete(nl, set);
            }
            double wb = median(weftBatch);
            double ws = median(weftSingle);
            double wd = median(weftDelete);
            double ia = median(ipAdd);
            double id = median(ipDel);
            System.out.printf("netlink-routes: %d routes, %d rounds after %d warm-up rounds (medians)%n", routes, rounds, warmup);
            System.out.printf("  weft batched add        %8.2f ms%n", wb);
            System.out.printf("  weft one-by-one add     %8.2f ms%n", ws);
            System.out.printf("  ip -batch add           %8.2f ms%n", ia);
            System.out.printf("  weft batched delete     %8.2f ms%n", wd);
            System.out.printf("  ip -batch delete        %8.2f ms%n", id);
            System.out.printf("  ratio add  weft-batched/ip-batch   %.2fx (goal <= 1.0x)%n", wb / ia);
            System.out.printf("  ratio add  weft-one-by-one/ip-batch %.2fx%n", ws / ia);
            System.out.printf("  ratio del  weft-batched/ip-batch   %.2fx%n", wd / id);
        } finally {
            NetNs.delete(ns);
            Files.deleteIfExists(batchAdd);
            Files.deleteIfExists(batchDel);
        }
    }

    private static double weftBatchAdd(RtNetlink nl, List<Route> set) {
        long t0 = System.nanoTime();
        RtNetlink.Batch b = nl.batch();
        for (Route r : set) {
            b.addRoute(r);
        }
        b.executeOrThrow();
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double weftBatchDelete(RtNetlink nl, List<Route> set) {
        long t0 = System.nanoTime();
        RtNetlink.Batch b = nl.batch();
        for (Route r : set) {
            b.deleteRoute(r);
        }
        b.executeOrThrow();
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double weftOneByOne(RtNetlink nl, List<Route> set) {
        long t0 = System.nanoTime();
        for (Route r : set) {
            nl.addRoute(r);
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    private static double ipBatch(String ns, Path file) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder("ip", "-n", ns, "-batch", file.toString()).inheritIO().start();
        int rc = p.waitFor();
        double ms = (System.nanoTime() - t0) / 1e6;
        if (rc != 0) {
            throw new IllegalStateException("ip -batch exited " + rc);
        }
        return ms;
    }

    /** Guards the comparison: both sides must really have programmed (or removed) every route. */
    private static void checkCount(RtNetlink nl, int expected) {
        long n = nl.routes(dev.weft.libc.Linux.AF_INET, dev.weft.netlink.Rt.RT_TABLE_MAIN).stream()
                .filter(r -> r.dst().prefixLength() == 24 && r.dst().address().toV4Int() >>> 24 == 10).count();
        if (n != expected) {
            throw new IllegalStateException("expected " + expected + " routes in the namespace, found " + n);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static int intArg(String[] args, String name, int dflt) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return dflt;
    }
}
