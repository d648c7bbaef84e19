package dev.weft.ipam.hostlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.ipam.IpamException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GC releases exactly the reservations no valid attachment owns, and nothing that is not a reservation. */
class GcTest {
    @TempDir
    Path dataDir;

    private final List<String> logged = new ArrayList<>();
    private final HostLocalAllocator alloc = new HostLocalAllocator(logged::add);
    private JsonNode cfgJson;
    private HostLocalConfig cfg;
    private Path dir;

    @BeforeEach
    void populate() throws Exception {
        cfgJson = Configs.ranges("n", dataDir, "[[{\"subnet\":\"10.1.0.0/24\"}]]");
        cfg = HostLocalConfig.parse(cfgJson, null);
        dir = dataDir.resolve("n");
        for (String[] a : new String[][] {{"a", "eth0"}, {"b", "eth0"}, {"c", "eth0"}, {"c", "eth1"}}) {
            alloc.allocate(Configs.request(cfgJson, a[0], a[1], null)); // .2 .3 .4 .5
        }
        StoreTree.write(dir.resolve("10.1.0.50"), "old");        // legacy, ID only
        StoreTree.write(dir.resolve("10.1.0.51"), "gone-old");   // legacy, stale
        StoreTree.write(dir.resolve("not-an-ip"), "a\r\neth0");  // not a reservation
        Files.createDirectories(dir.resolve("subdir"));
    }

    private static Attachment att(String id, String ifname) {
        return new Attachment(id, ifname);
    }

    @Test
    void removesOnlyInvalidReservations() throws Exception {
        GcReport r = alloc.gc("n", cfg, Set.of(att("a", "eth0"), att("c", "eth1"), att("old", "eth9")));
        assertTrue(r.ok());
        assertEquals(List.of("10.1.0.3", "10.1.0.4", "10.1.0.51"),
                r.released().stream().map(Reservation::fileName).toList());
        assertEquals(Map.of("10.1.0.2", "a\r\neth0", "10.1.0.5", "c\r\neth1", "10.1.0.50", "old",
                "not-an-ip", "a\r\neth0"), StoreTree.reservations(dir).entrySet().stream()
                .filter(e -> !e.getKey().equals("subdir")).collect(java.util.stream.Collectors.toMap(
                        Map.Entry::getKey, Map.Entry::getValue)));
        assertTrue(Files.exists(dir.resolve("lock")));
        assertEquals("10.1.0.5", StoreTree.read(dir.resolve("last_reserved_ip.0")));
        assertTrue(Files.isDirectory(dir.resolve("subdir")));
        assertEquals(List.of(new SkippedEntry("not-an-ip", "name is not an IP address, so not a reservation"),
                new SkippedEntry("subdir", "not a regular file")).stream().map(SkippedEntry::fileName).sorted().toList(),
                r.skipped().stream().map(SkippedEntry::fileName).sorted().toList());
        assertTrue(logged.stream().anyMatch(l -> l.contains("GC left") && l.contains("not-an-ip")), logged::toString);
        assertTrue(logged.stream().anyMatch(l -> l.contains("GC released 10.1.0.3")), logged::toString);
        // the freed addresses are allocatable again, by us and by the reference
        alloc.check(Configs.request(cfgJson, "a"));
        assertEquals(List.of("10.1.0.6/24"), ReferenceHostLocal.add(cfgJson, "new"));
    }

    @Test
    void absentListReleasesEverythingAndSaysSoLoudly() throws Exception {
        GcReport r = alloc.gc(null, cfg, null);
        assertEquals(6, r.released().size());
        assertEquals(Set.of("not-an-ip"), StoreTree.reservations(dir).keySet());
        assertTrue(Files.isDirectory(dir.resolve("subdir")));
        assertTrue(logged.stream().anyMatch(l -> l.startsWith("WARNING") && l.contains("ALL reservations")),
                logged::toString);
        assertTrue(Files.exists(dir.resolve("lock")));
        assertTrue(Files.exists(dir.resolve("last_reserved_ip.0")));
    }

    @Test
    void emptyListAlsoReleasesEverything() throws Exception {
        GcReport r = alloc.gc("n", cfg, Set.of());
        assertEquals(6, r.released().size());
        assertFalse(logged.stream().anyMatch(l -> l.startsWith("WARNING")), "an explicit empty list is not suspicious");
        assertEquals(6, logged.stream().filter(l -> l.startsWith("GC released")).count());
    }

    @Test
    void reservationsMadeByTheReferenceAreCollectedToo() throws Exception {
        ReferenceHostLocal.add(cfgJson, "ref-live");
        ReferenceHostLocal.add(cfgJson, "ref-dead");
        alloc.gc("n", cfg, Set.of(att("ref-live", "eth0")));
        assertTrue(ReferenceHostLocal.check(cfgJson, "ref-live"));
        assertFalse(ReferenceHostLocal.check(cfgJson, "ref-dead"));
    }

    @Test
    void missingStoreIsNothingToDo(@TempDir Path empty) throws Exception {
        HostLocalConfig other = HostLocalConfig.parse(Configs.subnet("n", empty, "10.1.0.0/24"), null);
        GcReport r = alloc.gc(null, other, Set.of());
        assertEquals(new GcReport(List.of(), List.of(), List.of()), r);
        assertFalse(Files.exists(empty.resolve("n")), "GC creates nothing");
    }

    @Test
    void continuesPastFailuresAndAggregatesThem() throws Exception {
        // Immutable files resist even root's unlink; the others must still be collected.
        List<Path> stuck = List.of(dir.resolve("10.1.0.3"), dir.resolve("10.1.0.51"));
        GcReport r;
        try {
            for (Path p : stuck) {
                dev.weft.testkit.Cmd.run("chattr", "+i", p.toString());
            }
            r = alloc.gc("n", cfg, Set.of(att("a", "eth0")));
        } finally {
            for (Path p : stuck) {
                dev.weft.testkit.Cmd.tryRun("chattr", "-i", p.toString());
            }
        }
        assertFalse(r.ok());
        assertEquals(List.of("10.1.0.4", "10.1.0.5", "10.1.0.50"),
                r.released().stream().map(Reservation::fileName).toList());
        assertEquals(2, r.errors().size(), r.errors()::toString);
        IpamException e = assertThrows(IpamException.class, r::throwIfFailed);
        assertEquals(IpamException.IO_FAILURE, e.code());
        assertEquals("host-local GC failed for 2 entries", e.msg());
        assertTrue(e.details().contains("10.1.0.3") && e.details().contains("10.1.0.51"), e.details());
        assertTrue(logged.stream().anyMatch(l -> l.startsWith("GC error")), logged::toString);
    }

    @Test
    void validAttachmentsFromStdin() throws Exception {
        JsonNode both = Configs.json("{\"cni.dev/valid-attachments\":[{\"containerID\":\"a\",\"ifname\":\"eth0\"}],"
                + "\"cni.dev/attachments\":[{\"containerID\":\"z\",\"ifname\":\"eth0\"}]}");
        assertEquals(Optional.of(Set.of(att("a", "eth0"))), Attachment.fromGcConfig(both));
        JsonNode legacy = Configs.json("{\"cni.dev/attachments\":[{\"containerID\":\"z\",\"ifname\":\"eth0\"}]}");
        assertEquals(Optional.of(Set.of(att("z", "eth0"))), Attachment.fromGcConfig(legacy));
        assertEquals(Optional.empty(), Attachment.fromGcConfig(Configs.json("{\"name\":\"n\"}")));
        assertEquals(Optional.of(Set.of()), Attachment.fromGcConfig(Configs.json("{\"cni.dev/valid-attachments\":[]}")));
        assertThrows(IpamException.class, () -> Attachment.fromGcConfig(Configs.json("{\"cni.dev/valid-attachments\":5}")));
    }
}
