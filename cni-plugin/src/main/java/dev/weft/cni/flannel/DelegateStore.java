package dev.weft.cni.flannel;

import dev.weft.cni.spec.CniError;
import dev.weft.fs.AtomicFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Saved delegate configs, one file per container ({@code <dataDir>/<containerID>}, 0600), the
 * layout flannel's plugin uses. Written through {@link AtomicFile} (an exclusive temp file, fsynced
 * and renamed), so a crash never leaves a half-written config for DEL to trip on.
 */
final class DelegateStore {
    private final Path dir;

    DelegateStore(Path dir) {
        this.dir = dir;
    }

    void save(String containerId, byte[] bytes) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            AtomicFile.write(dir.resolve(containerId), bytes, 0600);
        } catch (IOException e) {
            throw new CniError(CniError.IO_FAILURE, "failed to save delegate config in " + dir, e.getMessage());
        }
    }

    /** The saved bytes, or null when there is no file. */
    byte[] load(String containerId) {
        try {
            return Files.readAllBytes(dir.resolve(containerId));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new CniError(CniError.IO_FAILURE, "failed to read saved delegate config for " + containerId, e.getMessage());
        }
    }

    /** Removes the saved config and any temp file a crashed ADD left half-written. */
    void remove(String containerId) {
        try {
            removeFiles(Set.of(containerId), true);
        } catch (IOException e) {
            throw new CniError(CniError.IO_FAILURE, "failed to remove saved delegate config for " + containerId, e.getMessage());
        }
    }

    /** GC: drops the saved configs (and stray temp files) of containers that are not valid. */
    void removeAllExcept(Set<String> valid) {
        try {
            removeFiles(valid, false);
        } catch (IOException e) {
            throw new CniError(CniError.IO_FAILURE, "failed to clean saved delegate configs in " + dir, e.getMessage());
        }
    }

    /** Deletes each file (config or temp file) whose container is in {@code ids}, or is not, as {@code inIds} says. */
    private void removeFiles(Set<String> ids, boolean inIds) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                String target = AtomicFile.targetOf(n);
                if (ids.contains(target != null ? target : n) == inIds) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
