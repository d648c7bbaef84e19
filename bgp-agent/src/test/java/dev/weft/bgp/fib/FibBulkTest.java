package dev.weft.bgp.fib;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.libc.Linux;
import dev.weft.net.Cidr;
import dev.weft.net.IpAddress;
import dev.weft.netlink.Rt;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelState;
import dev.weft.testkit.KernelTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A 100,000-route table: installed in batches, adopted unchanged on restart, partly withdrawn. */
@KernelTest
class FibBulkTest {
    static final int ROUTES = 100_000;

    /** Prefix i of the bulk set: 10.0.0.0/8 cut into /26s. */
    static Cidr prefix(int i) {
        return Cidr.of(IpAddress.ofV4(0x0a000000 + (i << 6)), 26);
    }

    static List<FibChange> table(int n) {
        List<FibChange> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(FibChange.install(prefix(i), NextHop.via(IpAddress.ofV4(0xc0a8d502 + i % 200)))); // 192.168.213.2..201
        }
        return l;
    }

    private static int ipCount(FibNetns net) {
        Cmd.Result r = Cmd.of("ip", "-n", net.ns.name(), "-j", "-4", "route", "show", "proto", "88").timeout(Duration.ofMinutes(2)).run();
        return KernelState.parse(r).size();
    }

    @Test
    void installsAdoptsAndWithdrawsAHundredThousandRoutes() {
        try (FibNetns net = new FibNetns()) {
            try (KernelFib fib = net.startFib()) {
                assertEquals(List.of(), fib.apply(table(ROUTES)));
                assertEquals(ROUTES, net.nl.routes(Linux.AF_INET, Rt.RT_TABLE_MAIN, KernelFib.BGP_PROTOCOL).size());
                assertEquals(ROUTES, ipCount(net));
                assertEquals(ROUTES, fib.status().installed());
            }
            try (KernelFib fib = net.startFib()) {
                assertEquals(ROUTES, fib.status().stale());
                assertEquals(List.of(), fib.apply(table(ROUTES - 10)));
                assertEquals(10, fib.initialSyncDone());
                assertEquals(ROUTES - 10, ipCount(net));

                List<FibChange> withdraw = new ArrayList<>();
                for (int i = 0; i < ROUTES / 2; i++) {
                    withdraw.add(FibChange.remove(prefix(i)));
                }
                assertEquals(List.of(), fib.apply(withdraw));
                assertEquals(ROUTES / 2 - 10, net.nl.routes(Linux.AF_INET, Rt.RT_TABLE_MAIN, KernelFib.BGP_PROTOCOL).size());
                assertEquals(ROUTES / 2 - 10, ipCount(net));
                assertEquals(new FibStatus(ROUTES / 2 - 10, ROUTES / 2 - 10, 0, 0, 0, 0), fib.status());
            }
        }
    }
}
