package dev.weft.ipam.hostlocal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ipam.IpamException;
import dev.weft.lock.Flock;
import dev.weft.net.IpAddress;
import dev.weft.testkit.Victim;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's predictable names (the lock, last_reserved_ip.N) with a symlink planted at them,
 * pointing outside the data directory: the target is never created, opened or changed.
 */
class PlantedSymlinkTest {

    @Test
    void aSymlinkedLockIsRefusedWithAClearError(@TempDir Path dataDir) throws Exception {
        try (Victim v = Victim.missing()) {
            v.plantAt(dataDir.resolve("net/lock"));
            HostLocalStore store = HostLocalStore.open(dataDir, "net", m -> { });
            IpamException e = assertThrows(IpamException.class, store::lock);
            assertEquals(IpamException.IO_FAILURE, e.code());
            assertTrue(e.getMessage().contains("lock") && e.getMessage().contains("ELOOP"), e.getMessage());
            v.assertUntouched();
        }
    }

    @Test
    void aSymlinkedLastReservedIpIsReplacedNotFollowed(@TempDir Path dataDir) throws Exception {
        try (Victim v = Victim.existing()) {
            Path last = v.plantAt(dataDir.resolve("net/last_reserved_ip.0"));
            HostLocalStore store = HostLocalStore.open(dataDir, "net", m -> { });
            try (Flock held = store.lock()) {
                assertTrue(store.reserve("c1", "eth0", IpAddress.parse("10.1.0.5"), 0));
                assertEquals(Optional.of(IpAddress.parse("10.1.0.5")), store.lastReservedIp(0));
            }
            v.assertUntouched();
            assertTrue(Files.isRegularFile(last, LinkOption.NOFOLLOW_LINKS));
            assertEquals("10.1.0.5", Files.readString(last), "the reference's bytes: the address, no newline");
        }
    }

    @Test
    void aTempFileLeftByAKilledWriterIsRemovedUnderTheLockAndNothingElse(@TempDir Path dataDir) throws Exception {
        HostLocalStore store = HostLocalStore.open(dataDir, "net", m -> { });
        Path leftover = dataDir.resolve("net/.last_reserved_ip.0.0123456789abcdef.tmp");
        Path reservation = dataDir.resolve("net/10.1.0.7");
        Files.writeString(leftover, "10.1.0.");
        Files.writeString(reservation, "c1\r\neth0");
        try (Flock held = store.lock()) {
            store.removeCrashLeftovers();
        }
        assertTrue(Files.notExists(leftover, LinkOption.NOFOLLOW_LINKS), "crash leftover removed");
        assertTrue(Files.exists(reservation), "reservations untouched");
    }
}
