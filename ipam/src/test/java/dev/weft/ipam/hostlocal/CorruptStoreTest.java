package dev.weft.ipam.hostlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Junk in the store never crashes anything and never gets an occupied address handed out. */
class CorruptStoreTest {
    @TempDir
    Path dataDir;

    private final List<String> logged = new ArrayList<>();
    private final HostLocalAllocator alloc = new HostLocalAllocator(logged::add);

    private void corrupt(Path dir) throws Exception {
        Files.createDirectories(dir);
        Files.write(dir.resolve("10.1.0.2"), new byte[] {0, (byte) 0xff, (byte) 0xfe, 13, 10, 0x1c, 7}); // binary junk
        Files.write(dir.resolve("10.1.0.3"), new byte[0]);                                          // empty
        Files.write(dir.resolve("10.1.0.4"), new byte[HostLocalStore.MAX_RESERVATION_BYTES + 10]); // huge
        StoreTree.write(dir.resolve("not-an-ip"), "c\r\neth0");
        StoreTree.write(dir.resolve("10.1.0.300"), "c\r\neth0");      // looks like an IP, is not: never matched
        Files.createDirectories(dir.resolve("10.1.0.5"));              // a directory named like an IP
        Files.createSymbolicLink(dir.resolve("10.1.0.6"), dir.resolve("not-an-ip"));
        StoreTree.write(dir.resolve("last_reserved_ip.0"), "\u0000garbage\n");
    }

    @Test
    void allocationSkipsEveryOccupiedNameAndSurvivesJunk() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/29"); // .2-.6
        Path dir = dataDir.resolve("n");
        corrupt(dir);
        Set<String> before = new HashSet<>(StoreTree.snapshot(dir).keySet());
        before.add("lock");
        // .2-.6 are all occupied by junk of some kind: the set is exhausted, and nothing is overwritten
        String msg = org.junit.jupiter.api.Assertions.assertThrows(dev.weft.ipam.IpamException.class,
                () -> alloc.allocate(Configs.request(cfg, "fresh"))).msg();
        assertEquals("failed to allocate for range 0: no IP addresses available in range set: 10.1.0.1-10.1.0.6", msg);
        assertEquals(before, StoreTree.snapshot(dir).keySet());
        assertTrue(logged.stream().anyMatch(l -> l.contains("last_reserved_ip.0")), logged::toString);
        // (a fresh ID: the reference follows the symlink and would call "c" a duplicate; we never follow links)
        assertEquals(msg, ReferenceHostLocal.addError(cfg, "fresh", null), "the reference sees the same store the same way");
    }

    @Test
    void freeAddressesAreStillFoundAndJunkIsReleasedByGcEmptyFilesByAnyDel() throws Exception {
        JsonNode cfg = Configs.subnet("n", dataDir, "10.1.0.0/24");
        Path dir = dataDir.resolve("n");
        corrupt(dir);
        assertEquals("10.1.0.7/24", alloc.allocate(Configs.request(cfg, "c")).get(0).address().toString());
        assertEquals("c\r\neth0", StoreTree.read(dir.resolve("10.1.0.7")));
        assertEquals("10.1.0.8/24", ReferenceHostLocal.add(cfg, "d").get(0));
        alloc.check(Configs.request(cfg, "c"));

        // DEL of "c" removes its reservation; files not named by an address are not reservations, even
        // when they hold the same text, and junk other than empty files is left alone
        alloc.release(Configs.request(cfg, "c"));
        assertFalse(Files.exists(dir.resolve("10.1.0.7")));
        assertTrue(Files.exists(dir.resolve("not-an-ip")));
        assertTrue(Files.exists(dir.resolve("10.1.0.300")));
        assertTrue(Files.exists(dir.resolve("10.1.0.2")));
        assertFalse(Files.exists(dir.resolve("10.1.0.3")), "an empty reservation (an ADD killed mid-write) is reclaimed by any DEL");
        assertTrue(logged.stream().anyMatch(l -> l.contains("reclaimed the empty reservation 10.1.0.3")), logged::toString);

        GcReport r = alloc.gc("n", HostLocalConfig.parse(cfg, null), Set.of(new Attachment("d", "eth0")));
        assertTrue(r.ok(), r.errors()::toString);
        assertEquals(List.of("10.1.0.2", "10.1.0.4"),
                r.released().stream().map(Reservation::fileName).toList(), "junk-holding addresses are reclaimed");
        assertEquals(Set.of("not-an-ip", "10.1.0.300", "10.1.0.5", "10.1.0.6"),
                new HashSet<>(r.skipped().stream().map(SkippedEntry::fileName).toList()));
        assertTrue(Files.exists(dir.resolve("10.1.0.8")));
        assertEquals("10.1.0.9/24", alloc.allocate(Configs.request(cfg, "e")).get(0).address().toString(),
                "round-robin continues from the reference's last reservation");
    }
}
