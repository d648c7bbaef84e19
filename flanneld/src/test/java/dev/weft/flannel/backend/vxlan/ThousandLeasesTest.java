package dev.weft.flannel.backend.vxlan;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.flannel.backend.Backend;
import dev.weft.flannel.backend.TestLeases;
import dev.weft.flannel.backend.TestNode;
import dev.weft.flannel.lease.Lease;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.Underlay;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One Snapshot of 1,000 vxlan leases (3,000 kernel entries). Prints how long it took, beside
 * {@code ip -batch} + {@code bridge -batch} writing the same entries on another node; no timing
 * assertion (benchmarks live under bench/).
 */
@KernelTest
class ThousandLeasesTest {
    static final int N = 1000;
    static final String CONF = "{\"Network\":\"10.0.0.0/8\",\"Backend\":{\"Type\":\"vxlan\"}}";

    static String subnet(int i) {
        return "10." + (1 + i / 256) + "." + (i % 256) + ".0";
    }

    static String publicIp(int i) {
        return "192.168." + (100 + i / 250) + "." + (1 + i % 250);
    }

    static String mac(int i) {
        return String.format("0a:00:00:00:%02x:%02x", i >> 8, i & 0xff);
    }

    @Test
    void thousandLeasesInOneSnapshot(Underlay ul, @TempDir Path stateA, @TempDir Path stateB) {
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            leases.add(TestLeases.vxlan(subnet(i) + "/24", publicIp(i), mac(i)));
        }
        try (TestNode a = TestNode.of(ul.addNode("a"), stateA); TestNode b = TestNode.of(ul.addNode("b"), stateB)) {
            Backend be = a.backend(CONF);
            be.start(TestLeases.own("10.0.1.0/24", be.prepare()));

            long t0 = System.nanoTime();
            be.handle(TestLeases.snapshot(leases));
            long weft = System.nanoTime() - t0;
            // Warm: the same after the JIT has seen the path (all leases expire, all come back), median of 5.
            double[] warm = new double[5];
            for (int k = 0; k < warm.length; k++) {
                be.handle(TestLeases.snapshot(List.of()));
                long t1 = System.nanoTime();
                be.handle(TestLeases.snapshot(leases));
                warm[k] = (System.nanoTime() - t1) / 1e6;
            }
            java.util.Arrays.sort(warm);

            assertEquals(N, VxlanDeviceTest.routesVia(a.netns(), "flannel.1").size());
            assertEquals(N, KernelState.neighbours(a.netns(), 4, "flannel.1").size());
            assertEquals(N, VtepProgrammingTest.vteps(a).size());

            // A restart: the same Snapshot again finds everything in place.
            be.close();
            Backend again = a.backend(CONF);
            again.start(TestLeases.own("10.0.1.0/24", again.prepare()));
            t0 = System.nanoTime();
            again.handle(TestLeases.snapshot(leases));
            long resync = System.nanoTime() - t0;

            // Half the leases expired while the daemon was down.
            t0 = System.nanoTime();
            again.handle(TestLeases.snapshot(leases.subList(0, N / 2)));
            long halve = System.nanoTime() - t0;
            assertEquals(N / 2, VxlanDeviceTest.routesVia(a.netns(), "flannel.1").size());
            assertEquals(N / 2, VtepProgrammingTest.vteps(a).size());

            // The anchor: iproute2 in batch mode, same entries, on node b's own flannel.1.
            b.sh("ip", "link", "add", "flannel.1", "type", "vxlan", "id", "1", "dev", "eth0", "local", b.node.address(),
                    "nolearning", "dstport", "8472");
            b.sh("ip", "addr", "add", "10.0.2.0/32", "dev", "flannel.1");
            b.sh("ip", "link", "set", "flannel.1", "up");
            StringBuilder ipBatch = new StringBuilder();
            StringBuilder bridgeBatch = new StringBuilder();
            StringBuilder routeBatch = new StringBuilder();
            for (int i = 0; i < N; i++) {
                ipBatch.append("neigh replace ").append(subnet(i)).append(" lladdr ").append(mac(i))
                        .append(" dev flannel.1 nud permanent\n");
                bridgeBatch.append("fdb replace ").append(mac(i)).append(" dev flannel.1 dst ").append(publicIp(i))
                        .append(" self permanent\n");
                routeBatch.append("route replace ").append(subnet(i)).append("/24 via ").append(subnet(i))
                        .append(" dev flannel.1 onlink\n");
            }
            t0 = System.nanoTime();
            Cmd.of("ip", "-batch", "-").netns(b.netns()).input(ipBatch.toString()).run();
            Cmd.of("bridge", "-batch", "-").netns(b.netns()).input(bridgeBatch.toString()).run();
            Cmd.of("ip", "-batch", "-").netns(b.netns()).input(routeBatch.toString()).run();
            long ip = System.nanoTime() - t0;
            assertEquals(N, VxlanDeviceTest.routesVia(b.netns(), "flannel.1").size());

            System.out.printf("%n1,000 vxlan leases (3,000 entries) in one Snapshot: weft %.1f ms (first run in this JVM), "
                            + "%.1f ms (warm median); ip -batch + bridge -batch %.1f ms; ratio first %.2f, warm %.2f; "
                            + "no-op resync after restart %.1f ms; 500 expired %.1f ms%n%n",
                    weft / 1e6, warm[2], ip / 1e6, (double) weft / ip, warm[2] * 1e6 / ip, resync / 1e6, halve / 1e6);
        }
    }
}
