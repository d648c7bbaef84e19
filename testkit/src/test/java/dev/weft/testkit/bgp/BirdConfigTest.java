package dev.weft.testkit.bgp;

import dev.weft.testkit.Cmd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Config rendering and birdc parsing, without a kernel: BIRD's own parser ({@code bird -p}) is the judge. */
class BirdConfigTest {

    @Test
    void everyOptionRendersToAConfigBirdAccepts(@TempDir Path dir) throws Exception {
        BirdConfig c = BirdConfig.of("10.99.0.1", 64512).localV6("fd00:99::1")
                .neighbour(BirdConfig.Neighbour.of("peer1", "10.99.0.2").passive().password("k").timers(9, 3)
                        .connectRetry(2).rrClient("1.2.3.4").gracefulRestart().addPaths().channels(true, true))
                .neighbour(BirdConfig.Neighbour.of("v6", "fd00:99::2").exportGroups("g1"))
                .neighbour(BirdConfig.Neighbour.of("peer3", "10.99.0.3").peerAs(65003).exportGroups())
                .staticRoute("10.244.1.0/26").staticRoute("fd00:244:1::/64").staticRoute("g1", "fd00:244:9::/64");
        String text = c.render();
        assertTrue(text.contains("password \"k\";"), text);
        assertTrue(text.contains("rr client;\n  rr cluster id 1.2.3.4;"), text);
        assertTrue(text.contains("neighbor 10.99.0.3 as 65003;"), text);
        assertTrue(text.contains("local fd00:99::1 as 64512;"), text);
        assertTrue(text.contains("export where proto = \"g1_ipv6\";"), text);
        assertTrue(text.contains("export none;"), text);
        Path f = dir.resolve("bird.conf");
        Files.writeString(f, text);
        Cmd.Result r = Cmd.tryRun("bird", "-p", "-c", f.toString());
        assertTrue(r.ok(), r.stderr() + "\n" + text);
        assertEquals("", r.stderr().strip(), "no deprecation warnings");

        assertTrue(c.removeStatic("10.244.1.0/26"));
        assertFalse(c.removeStatic("10.244.1.0/26"));
        assertFalse(c.render().contains("10.244.1.0/26"));
    }

    @Test
    void badNamesAndPasswordsAreRefusedBeforeBirdSeesThem() {
        assertThrows(IllegalArgumentException.class, () -> BirdConfig.Neighbour.of("1abc", "10.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> BirdConfig.Neighbour.of("a-b", "10.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> BirdConfig.Neighbour.of("a", "10.0.0.1").password("x\"; }"));
        BirdConfig c = BirdConfig.of("10.0.0.1", 1).neighbour(BirdConfig.Neighbour.of("a", "10.0.0.2"));
        assertThrows(IllegalArgumentException.class, () -> c.neighbour(BirdConfig.Neighbour.of("a", "10.0.0.3")));
        assertThrows(IllegalStateException.class,
                () -> BirdConfig.of("10.0.0.1", 1).neighbour(BirdConfig.Neighbour.of("a", "fd00::2")).render());
    }

    @Test
    void showProtocolsIsParsedRowByRow() {
        String out = """
                BIRD 2.0.12 ready.
                Name       Proto      Table      State  Since         Info
                device1    Device     ---        up     1765000000.123
                kernel_ipv4 Kernel     master4    up     1765000000.123
                b          BGP        ---        up     1765000001.456  Established
                c          BGP        ---        start  1765000002.007  Active        Socket: Connection refused
                """;
        List<BirdProtocol> ps = BirdProtocol.parse(out);
        assertEquals(List.of("device1", "kernel_ipv4", "b", "c"), ps.stream().map(BirdProtocol::name).toList());
        assertEquals(new BirdProtocol("b", "BGP", "---", "up", Instant.ofEpochMilli(1765000001456L), "Established"), ps.get(2));
        assertTrue(ps.get(2).established());
        assertFalse(ps.get(3).established());
        assertEquals("Active        Socket: Connection refused", ps.get(3).info());
        assertEquals("", ps.get(0).info());
        assertNull(BirdProtocol.parseSince("04:05:06.123"));
        assertThrows(IllegalArgumentException.class, () -> BirdProtocol.parse("x".repeat(BirdProtocol.MAX_OUTPUT + 1)));
    }
}
