package dev.weft.bgp.fib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.RouteInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The FIB thread in front of KernelFib, against the real kernel, read back with {@code ip -j route}. */
@KernelTest
class FibPumpTest {
    private FibNetns net;
    private KernelFib fib;
    private FibPump pump;

    @BeforeEach
    void setUp() {
        net = new FibNetns();
        fib = net.startFib();
        pump = FibPump.start(fib);
    }

    @AfterEach
    void tearDown() {
        try {
            pump.close();
            fib.close();
        } finally {
            net.close();
        }
    }

    private static Cidr p(String s) {
        return Cidr.parse(s);
    }

    private static FibChange install(String prefix, String gw) {
        return new FibChange.Install(p(prefix), List.of(NextHop.via(gw)));
    }

    @Test
    void onlyTheLatestChangeOfAPrefixReachesTheKernelAndATaskWaitsForItsPredecessors() throws Exception {
        List<FibChange> burst = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            burst.add(install("10.245." + (i / 250) + "." + (i % 250) + "/32", "192.168.213." + (2 + i % 3)));
        }
        pump.submit(burst);
        // the same prefix three times: installed, removed, installed via another hop
        pump.submit(List.of(install("10.244.9.0/24", "192.168.213.2")));
        pump.submit(List.of(new FibChange.Remove(p("10.244.9.0/24"))));
        pump.submit(List.of(install("10.244.9.0/24", "192.168.213.3")));
        // the task sees every route submitted before it already in the kernel
        int installed = pump.afterPending(() -> fib.status().installed()).get(30, TimeUnit.SECONDS);
        assertEquals(2001, installed);
        assertEquals("192.168.213.3", net.route("10.244.9.0/24").map(RouteInfo::gateway).orElseThrow());
        assertEquals(2001, net.ours().size());
        assertTrue(pump.idle());
    }

    @Test
    void closeAppliesTheBacklogFirst() {
        List<FibChange> burst = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            burst.add(install("10.246." + (i / 250) + "." + (i % 250) + "/32", "192.168.213.2"));
        }
        pump.submit(burst);
        pump.close();
        assertEquals(500, net.ours().size());
        // after close, submissions are dropped, not queued for ever
        pump.submit(List.of(install("10.247.0.0/24", "192.168.213.2")));
        assertTrue(net.route("10.247.0.0/24").isEmpty());
    }
}
