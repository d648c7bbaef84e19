package dev.weft.flannel.subnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.flannel.lease.Lease;
import dev.weft.flannel.subnet.file.FileKvStore;
import dev.weft.flannel.subnet.kv.KvEntry;
import dev.weft.flannel.subnet.kv.KvException;
import dev.weft.flannel.subnet.kv.KvStore;
import dev.weft.testkit.Victim;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The subnet manager on the single-node file store; every "node" shares the one open store. */
class FileSubnetManagerTest extends SubnetManagerContract {
    @TempDir
    Path dir;
    Path file;
    FileKvStore store;

    @BeforeEach
    void openFile() {
        file = dir.resolve("weft/subnets.json");
        store = track(FileKvStore.open(file, 20));
    }

    @Override
    protected KvStore openStore() {
        return new PausableStore(store, false);
    }

    @Override
    protected void rawPut(String key, String value) {
        store.put(key, value, null);
    }

    @Override
    protected void rawDelete(String key) {
        store.delete(key);
    }

    @Override
    protected Optional<String> rawGet(String key) {
        return store.get(key).map(KvEntry::value);
    }

    @Override
    protected void compactNow() {
        store.compact();
    }

    @Test
    void restartKeepsTheLease() throws Exception {
        config(CONFIG);
        Lease before = manager().acquireLease(Nodes.node(1), null);
        store.close();
        store = track(FileKvStore.open(file));
        assertEquals(Optional.of(before.attrs().toJson()), rawGet(key(before.subnet())));
        Lease after = manager().acquireLease(Nodes.node(1), null);
        assertEquals(before.subnet(), after.subnet());
        assertTrue(after.modRevision() > before.modRevision(), "revisions continue across restarts");
        // the file is plain JSON holding flannel's exact value
        var root = new ObjectMapper().readTree(Files.readString(file));
        assertTrue(root.path("revision").asLong() >= after.modRevision());
        assertTrue(Files.readString(file).contains(new ObjectMapper().writeValueAsString(before.attrs().toJson())));
    }

    @Test
    void aLeaseExpiresEvenWhileTheStoreIsClosed() {
        config(CONFIG);
        Lease l = manager(options(Duration.ofMillis(800), Duration.ofMillis(400))).acquireLease(Nodes.node(2), null);
        store.close();
        Await.sleep(1_200);
        store = track(FileKvStore.open(file));
        assertEquals(Optional.empty(), rawGet(key(l.subnet())));
    }

    @Test
    void aSecondOpenOfTheSameFileIsRefused() {
        KvException e = assertThrows(KvException.class, () -> FileKvStore.open(file));
        assertTrue(e.getMessage().contains("already open"), e.getMessage());
    }

    @Test
    void aSymlinkAtTheOldTempNameIsNotFollowed() throws Exception {
        try (Victim v = Victim.existing()) {
            v.plantAt(file.resolveSibling(".subnets.json.tmp"));
            rawPut("/wt/k", "v");
            v.assertUntouched();
            assertEquals(Optional.of("v"), rawGet("/wt/k"));
        }
    }

    @Test
    void aSymlinkAtTheLockNameIsRefused(@TempDir Path other) throws Exception {
        Path f = other.resolve("subnets.json");
        try (Victim v = Victim.missing()) {
            v.plantAt(other.resolve("subnets.json.lock"));
            KvException e = assertThrows(KvException.class, () -> FileKvStore.open(f));
            assertTrue(e.getMessage().contains("subnets.json.lock"), e.getMessage());
            v.assertUntouched();
        }
    }
}
