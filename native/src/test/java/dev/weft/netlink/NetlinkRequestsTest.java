package dev.weft.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.weft.libc.Errno;
import dev.weft.net.Cidr;
import dev.weft.netlink.NetlinkRequests.Op;
import dev.weft.netlink.NetlinkRequests.Result;
import dev.weft.netns.NetNs;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The request counters against the kernel's own answers in a wt- namespace: single calls, dumps
 * and a batch with one refused request, each counted once under its message type and result.
 */
@KernelTest
class NetlinkRequestsTest {

    private static Map<Result, Long> counts(Op op) {
        Map<Result, Long> m = new EnumMap<>(Result.class);
        for (Result r : Result.values()) {
            m.put(r, NetlinkRequests.count(op, r));
        }
        return m;
    }

    private static void assertDelta(Map<Result, Long> before, Op op, long ok, long exists, long notFound, long error) {
        Map<Result, Long> now = counts(op);
        assertEquals(ok, now.get(Result.OK) - before.get(Result.OK), op + " ok");
        assertEquals(exists, now.get(Result.EXISTS) - before.get(Result.EXISTS), op + " exists");
        assertEquals(notFound, now.get(Result.NOT_FOUND) - before.get(Result.NOT_FOUND), op + " not_found");
        assertEquals(error, now.get(Result.ERROR) - before.get(Result.ERROR), op + " error");
    }

    @Test
    void callsDumpsAndBatchesAreCountedByTypeAndAnswer() {
        try (TestNetns ns = TestNetns.create(); NetNs handle = NetNs.open(ns.path().toString()); RtNetlink nl = RtNetlink.open(handle)) {
            Map<Result, Long> getLink = counts(Op.GETLINK);
            int lo = nl.requireLink("lo").index();
            assertEquals(java.util.Optional.empty(), nl.link("wt-none"));
            nl.links();
            assertDelta(getLink, Op.GETLINK, 2, 0, 1, 0);

            Map<Result, Long> setLink = counts(Op.NEWLINK);
            nl.setUp(lo);
            assertThrows(NetlinkException.class, () -> nl.setMtu(lo, -5));
            assertDelta(setLink, Op.NEWLINK, 1, 0, 0, 1);

            Map<Result, Long> newRoute = counts(Op.NEWROUTE);
            Map<Result, Long> delRoute = counts(Op.DELROUTE);
            Route r = Route.to(Cidr.parse("10.251.0.0/24")).dev(lo);
            nl.addRoute(r);
            NetlinkException dup = assertThrows(NetlinkException.class, () -> nl.addRoute(r));
            assertEquals(Errno.EEXIST, dup.errno());
            nl.batch().deleteRoute(r).deleteRoute(r).replaceRoute(r).execute();
            assertDelta(newRoute, Op.NEWROUTE, 2, 1, 0, 0);
            assertDelta(delRoute, Op.DELROUTE, 1, 0, 1, 0);
        }
    }

    @Test
    void resultsFollowTheErrno() {
        assertEquals(Result.OK, Result.of(0));
        assertEquals(Result.EXISTS, Result.of(-17));
        assertEquals(Result.NOT_FOUND, Result.of(-2));
        assertEquals(Result.NOT_FOUND, Result.of(-3));
        assertEquals(Result.NOT_FOUND, Result.of(-19));
        assertEquals(Result.ERROR, Result.of(-22));
        assertEquals(Result.ERROR, Result.of(-9999));
        assertEquals(Op.NEWROUTE, Op.of(24));
        assertEquals(Op.OTHER, Op.of(23));
        assertEquals(Op.OTHER, Op.of(100));
        assertEquals(Op.OTHER, Op.of(-1));
        assertEquals("getneigh", Op.GETNEIGH.label());
        assertEquals("not_found", Result.NOT_FOUND.label());
    }
}
