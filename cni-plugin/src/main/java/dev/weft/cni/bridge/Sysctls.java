package dev.weft.cni.bridge;

import dev.weft.sysctl.Sysctl;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** sysctl writes that tolerate a missing key (no IPv6 on the node means no ipv6 tree); weft-routed uses them too. */
public final class Sysctls {
    private Sysctls() {
    }

    public static void setIfPresent(String key, String value) {
        if (Files.exists(Path.of("/proc/sys", key))) {
            try {
                Sysctl.write(key, value);
            } catch (UncheckedIOException e) {
                // The interface may vanish between the check and the write; nothing to configure then.
                if (Files.exists(Path.of("/proc/sys", key))) {
                    throw e;
                }
            }
        }
    }

    public static void ensure(String key, String value) {
        if (Files.exists(Path.of("/proc/sys", key))) {
            Sysctl.ensure(key, value);
        }
    }
}
