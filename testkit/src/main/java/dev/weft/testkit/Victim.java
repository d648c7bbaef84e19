package dev.weft.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A file outside a directory under test that a symlink planted inside it points at: after the
 * operation it must be exactly as it was (content and mode), or, for a victim that did not exist,
 * still absent. Removed by {@link #close()}.
 */
public final class Victim implements AutoCloseable {
    private static final String CONTENT = "victim: must stay as it is\n";
    private static final String MODE = "rw-r-----";

    private final Path dir;
    private final Path file;
    private final boolean exists;

    private Victim(Path dir, boolean exists) throws IOException {
        this.dir = dir;
        this.file = dir.resolve("victim");
        this.exists = exists;
        if (exists) {
            Files.writeString(file, CONTENT);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(MODE));
        }
    }

    /** An existing file, 0640, with known content. */
    public static Victim existing() {
        return create(true);
    }

    /** A path that does not exist: a planted dangling symlink must not bring it into being. */
    public static Victim missing() {
        return create(false);
    }

    private static Victim create(boolean exists) {
        try {
            return new Victim(Files.createTempDirectory("wt-victim"), exists);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Plants a symlink at {@code link} pointing at the victim. */
    public Path plantAt(Path link) throws IOException {
        Files.createDirectories(link.getParent());
        return Files.createSymbolicLink(link, file);
    }

    public void assertUntouched() throws IOException {
        if (!exists) {
            assertFalse(Files.exists(file, LinkOption.NOFOLLOW_LINKS), "the victim " + file + " was created");
            return;
        }
        assertEquals(CONTENT, Files.readString(file), "the victim's content");
        assertEquals(MODE, PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), "the victim's mode");
    }

    @Override
    public void close() throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }
}
