package dev.weft.cni.flannel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.testkit.Victim;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saved delegates: written without following planted symlinks, and no temp file outlives DEL or GC. */
class DelegateStoreTest {
    private static final byte[] CONFIG = "{\"type\":\"weft-bridge\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void aSymlinkAtTheOldTempNameIsNotFollowed(@TempDir Path dir) throws Exception {
        try (Victim v = Victim.existing()) {
            v.plantAt(dir.resolve(".c1.tmp"));
            DelegateStore store = new DelegateStore(dir);
            store.save("c1", CONFIG);
            v.assertUntouched();
            assertArrayEquals(CONFIG, store.load("c1"));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("c1"))));
        }
    }

    @Test
    void crashLeftoversGoWithDelAndGc(@TempDir Path dir) throws Exception {
        DelegateStore store = new DelegateStore(dir);
        store.save("c1", CONFIG);
        store.save("c2", CONFIG);
        Files.writeString(dir.resolve(".c1.0123456789abcdef.tmp"), "half");
        Files.writeString(dir.resolve(".c2.fedcba9876543210.tmp"), "half");
        store.remove("c1");
        assertEquals(List.of(".c2.fedcba9876543210.tmp", "c2"), names(dir));
        store.removeAllExcept(Set.of("c2"));
        assertEquals(List.of(".c2.fedcba9876543210.tmp", "c2"), names(dir), "a valid container's files stay");
        store.removeAllExcept(Set.of());
        assertEquals(List.of(), names(dir));
    }

    private static List<String> names(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
