package dev.weft.cni.thick;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A namespace file's identity, {@code <dev>:<ino>} of the nsfs inode it leads to: how the shim and
 * weftd make sure they mean the same network namespaces (the caller's own, and CNI_NETNS), whatever
 * mount namespace each resolves the path in. "" when the path leads nowhere.
 */
public final class NsId {
    private NsId() {
    }

    public static String of(String path) {
        if (path == null || path.isEmpty()) {
            return ""; // Path.of("") would be the working directory
        }
        try {
            Map<String, Object> a = Files.readAttributes(Path.of(path), "unix:dev,ino");
            return String.valueOf(a.get("dev")).concat(":").concat(String.valueOf(a.get("ino")));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
