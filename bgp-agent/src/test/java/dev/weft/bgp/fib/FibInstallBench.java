package dev.weft.bgp.fib;

import dev.weft.libc.Linux;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Rt;
import dev.weft.testkit.Cmd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Installs N routes (default 100,000) with KernelFib and with {@code ip -batch}, interleaved
 * rounds in one wt- namespace, and prints times and routes/s. Not a test: run it by hand under
 * the kernel lock, e.g.
 * {@code java -cp <test classpath> dev.weft.bgp.fib.FibInstallBench --routes 100000 --rounds 3}.
 */
public final class FibInstallBench {
    private FibInstallBench() {
    }

    public static void main(String[] args) throws Exception {
        int routes = arg(args, "--routes", 100_000);
        int rounds = arg(args, "--rounds", 3);
        List<FibChange> table = FibBulkTest.table(routes);
        StringBuilder batch = new StringBuilder(routes * 64);
        for (int i = 0; i < routes; i++) {
            batch.append("route replace ").append(FibBulkTest.prefix(i)).append(" via ")
                    .append(IpAddress.ofV4(0xc0a8d502 + i % 200)).append(" dev wt-a proto 88\n");
        }
        Path file = Files.createTempFile("wt-fib-bench", ".batch");
        Files.writeString(file, batch);
        try (FibNetns net = new FibNetns()) {
            System.out.printf("fib-install: %d routes, %d rounds, kernel %s%n", routes, rounds, System.getProperty("os.version"));
            for (int r = 0; r < rounds; r++) {
                double fibMs;
                double adoptMs;
                try (KernelFib fib = net.startFib()) {
                    long t0 = System.nanoTime();
                    List<FibProblem> problems = fib.apply(table);
                    fibMs = (System.nanoTime() - t0) / 1e6;
                    check(problems.isEmpty(), "problems: " + problems.size());
                }
                check(count(net) == routes, "weft installed " + count(net));
                try (KernelFib fib = net.startFib()) { // restart: adopt, re-announce unchanged, sweep nothing
                    long t0 = System.nanoTime();
                    fib.apply(table);
                    fib.initialSyncDone();
                    adoptMs = (System.nanoTime() - t0) / 1e6;
                }
                long f0 = System.nanoTime();
                Cmd.of("ip", "-n", net.ns.name(), "route", "flush", "proto", "88").timeout(Duration.ofMinutes(5)).run();
                double flushMs = (System.nanoTime() - f0) / 1e6;
                check(count(net) == 0, "flush left " + count(net));

                long t0 = System.nanoTime();
                Cmd.of("ip", "-n", net.ns.name(), "-batch", file.toString()).timeout(Duration.ofMinutes(5)).run();
                double ipMs = (System.nanoTime() - t0) / 1e6;
                check(count(net) == routes, "ip installed " + count(net));

                long d0 = System.nanoTime();
                int ours = net.nl.routes(Linux.AF_INET, Rt.RT_TABLE_MAIN, 87).size();
                double filteredMs = (System.nanoTime() - d0) / 1e6;
                long u0 = System.nanoTime();
                int all = net.nl.routes(Linux.AF_INET, Rt.RT_TABLE_MAIN).size();
                double fullMs = (System.nanoTime() - u0) / 1e6;
                check(ours == 0 && all >= routes, "dumps: " + ours + " / " + all);
                Cmd.of("ip", "-n", net.ns.name(), "route", "flush", "proto", "88").timeout(Duration.ofMinutes(5)).run();

                System.out.printf("  round %d: KernelFib.apply %8.1f ms (%,9.0f routes/s) | ip -batch %8.1f ms (%,9.0f routes/s)"
                                + " | restart adopt+reapply+sweep %7.1f ms | ip flush %7.1f ms"
                                + " | dump proto 87 among %d: %6.1f ms, full dump %6.1f ms%n",
                        r + 1, fibMs, routes / fibMs * 1000, ipMs, routes / ipMs * 1000, adoptMs, flushMs, all, filteredMs, fullMs);
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static int count(FibNetns net) {
        return net.nl.routes(Linux.AF_INET, Rt.RT_TABLE_MAIN, KernelFib.BGP_PROTOCOL).size();
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what);
        }
    }

    private static int arg(String[] args, String name, int dflt) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return dflt;
    }
}
