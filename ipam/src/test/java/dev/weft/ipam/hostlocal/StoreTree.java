package dev.weft.ipam.hostlocal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** A store directory as data: name → (content, mode), for byte-level comparisons. */
final class StoreTree {
    private StoreTree() {}

    record Entry(String content, String mode, boolean directory) {}

    /** Every entry under root (recursively), keyed by path relative to root. */
    static Map<String, Entry> snapshot(Path root) {
        Map<String, Entry> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (p.equals(root)) {
                    continue;
                }
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                boolean dir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
                String content = dir ? null : new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                out.put(root.relativize(p).toString(), new Entry(content, mode, dir));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Reservation files of a network directory: IP name → content. */
    static Map<String, String> reservations(Path networkDir) {
        Map<String, String> out = new TreeMap<>();
        snapshot(networkDir).forEach((name, e) -> {
            if (!e.directory() && !name.equals("lock") && !name.startsWith("last_reserved_ip.")) {
                out.put(name, e.content());
            }
        });
        return out;
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
