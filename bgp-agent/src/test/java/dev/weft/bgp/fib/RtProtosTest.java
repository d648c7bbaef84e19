package dev.weft.bgp.fib;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.net.Cidr;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rt_protos.d file: installed idempotently, a read-only place is not fatal, and ip then knows the names. */
@KernelTest
class RtProtosTest {

    @Test
    void installsOnceAndNamesBothProtocols(@TempDir Path dir) throws Exception {
        Path d = dir.resolve("rt_protos.d");
        assertTrue(RtProtos.install(d));
        Path f = d.resolve("weft.conf");
        String text = Files.readString(f);
        assertTrue(text.contains("87\tweft\n") && text.contains("88\tweft-bgp\n"), text);
        long before = Files.getLastModifiedTime(f).toMillis();
        Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(before - 10_000));
        assertTrue(RtProtos.install(d));
        assertEquals(before - 10_000, Files.getLastModifiedTime(f).toMillis(), "same content is not rewritten");
        assertArrayEquals(RtProtos.content(), Files.readAllBytes(f));
    }

    @Test
    void anUnwritablePlaceIsLoggedNotThrown(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("not-a-dir");
        Files.writeString(file, "x");
        assertFalse(RtProtos.install(file.resolve("rt_protos.d")));
    }

    @Test
    void ipRouteShowProtoWeftBgpWorksOnceInstalled() {
        assertTrue(RtProtos.install());
        try (FibNetns net = new FibNetns(); KernelFib fib = net.startFib()) {
            fib.install(Cidr.parse("10.244.40.0/24"), List.of(NextHop.via("192.168.213.2")));
            net.ns.ip("route", "add", "10.244.41.0/24", "via", "192.168.213.3", "proto", "87");
            Cmd.Result r = net.ns.ip("route", "show", "proto", "weft-bgp");
            assertEquals("10.244.40.0/24 via 192.168.213.2 dev wt-a", r.stdout().strip(), "ip filters by the name");
            assertTrue(net.ns.ip("route", "show").stdout().contains("10.244.41.0/24 via 192.168.213.3 dev wt-a proto weft "),
                    "87 is named weft");
        }
    }
}
