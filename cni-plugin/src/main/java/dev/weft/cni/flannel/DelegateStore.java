package dev.weft.cni.flannel;

import dev.weft.cni.spec.CniError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Saved delegate configs, one file per container ({@code <dataDir>/<containerID>}, 0600), the
 * layout flannel's plugin uses. Written to a temp file, fsynced and renamed, so a crash never
 * leaves a half-written config for DEL to trip on.
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
            Path tmp = dir.resolve("." + containerId + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                ch.write(ByteBuffer.wrap(bytes));
                ch.force(true);
            }
            Files.move(tmp, dir.resolve(containerId), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
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
            Files.deleteIfExists(dir.resolve("." + containerId + ".tmp"));
            Files.deleteIfExists(dir.resolve(containerId));
        } catch (IOException e) {
            throw new CniError(CniError.IO_FAILURE, "failed to remove saved delegate config for " + containerId, e.getMessage());
        }
    }

    /** GC: drops the saved configs (and stray temp files) of containers that are not valid. */
    void removeAllExcept(Set<String> valid) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                String id = n.startsWith(".") && n.endsWith(".tmp") ? n.substring(1, n.length() - 4) : n;
                if (!valid.contains(id)) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new CniError(CniError.IO_FAILURE, "failed to clean saved delegate configs in " + dir, e.getMessage());
        }
    }
}
