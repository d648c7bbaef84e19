package dev.weft.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testkit.Victim;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {

    @Test
    void aSymlinkAtTheTargetIsReplacedNotFollowed(@TempDir Path dir) throws Exception {
        try (Victim v = Victim.existing()) {
            Path f = v.plantAt(dir.resolve("state"));
            AtomicFile.write(f, "new".getBytes(StandardCharsets.UTF_8), 0644);
            v.assertUntouched();
            assertTrue(Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS));
            assertEquals("new", Files.readString(f));
            assertEquals(List.of("state"), names(dir), "no temp file left behind");
        }
    }

    @Test
    void theModeIsExactWhateverTheUmask(@TempDir Path dir) throws Exception {
        // 0666 survives only if set on the open file: created with that mode, the umask (022) would strip it.
        Path f = dir.resolve("m");
        AtomicFile.write(f, new byte[0], 0666);
        assertEquals("rw-rw-rw-", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        AtomicFile.write(f, "x".getBytes(StandardCharsets.UTF_8), 0600);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals("x", Files.readString(f));
    }

    @Test
    void tempNamesAreRecognised() {
        assertEquals("subnet.env", AtomicFile.targetOf(".subnet.env.0123456789abcdef.tmp"));
        assertNull(AtomicFile.targetOf(".subnet.env.tmp"));
        assertNull(AtomicFile.targetOf("10.1.0.5"));
        assertNull(AtomicFile.targetOf(".x.0123456789abcdeg.tmp"));
        assertFalse(AtomicFile.targetOf("..0123456789abcdef.tmp") != null, "an empty target name is not one");
    }

    private static List<String> names(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
