package dev.weft.cni.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A CNI bin directory for tests: one small executable per Weft plugin that starts the plugin from
 * this build's classes, exactly as a runtime would exec it (by name from CNI_PATH, env + stdin).
 * The reference plugins from Debian's containernetworking-plugins sit in {@link #REFERENCE_DIR}.
 */
public final class CniBin {
    public static final Path REFERENCE_DIR = Path.of("/usr/lib/cni");
    public static final List<String> WEFT = List.of("weft-bridge", "weft-host-local", "weft-loopback", "weft-flannel", "weft-routed");

    private static Path dir;

    private CniBin() {
    }

    /** The directory with Weft's plugins (created once per test JVM). */
    public static synchronized Path weftDir() {
        if (dir == null) {
            try {
                dir = Files.createTempDirectory("wt-cnibin");
                String cp = System.getProperty("java.class.path");
                String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
                for (String name : WEFT) {
                    Path p = dir.resolve(name);
                    Files.writeString(p, "#!/bin/sh\nexec " + java
                            + " -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xshare:auto -Dweft.plugin=" + name
                            + " -cp '" + cp + "' dev.weft.cni.Main \"$@\"\n");
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
                Path d = dir;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(d)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (!Files.isExecutable(REFERENCE_DIR.resolve("bridge"))) {
            throw new IllegalStateException("reference plugins missing in " + REFERENCE_DIR + ": apt-get install containernetworking-plugins");
        }
        return dir;
    }

    /** CNI_PATH with Weft's plugins first, then the reference ones. */
    public static String cniPath() {
        return weftDir() + ":" + REFERENCE_DIR;
    }

    public static Path plugin(String name) {
        return WEFT.contains(name) ? weftDir().resolve(name) : REFERENCE_DIR.resolve(name);
    }

    static void deleteTree(Path d) {
        try (var s = Files.walk(d)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at JVM exit
        }
    }
}
