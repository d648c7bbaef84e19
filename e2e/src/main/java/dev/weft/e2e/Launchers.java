package dev.weft.e2e;

import dev.weft.cni.thick.Shim;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Executables for a simulated cluster, started from this JVM's class path: {@code weftd} and the
 * five CNI plugins (a CNI_PATH directory a node's "runtime" execs by name).
 */
public final class Launchers {
    public static final List<String> PLUGINS = List.of("weft-bridge", "weft-host-local", "weft-loopback", "weft-flannel", "weft-routed",
            "weft-ipam");

    private final Path dir;

    private Launchers(Path dir) {
        this.dir = dir;
    }

    public static Launchers create(Path dir) {
        try {
            Files.createDirectories(dir);
            String cp = System.getProperty("java.class.path");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            for (String name : PLUGINS) {
                write(dir.resolve(name), "exec " + java + " -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData"
                        + " -Dweft.plugin=" + name + " -cp '" + cp + "' " + Shim.entryClass(name) + " \"$@\"");
            }
            write(dir.resolve("weftd"), "exec " + java + " -XX:+ExitOnOutOfMemoryError -XX:+UseSerialGC -Xss512k -Xmx256m -cp '" + cp + "' dev.weft.flannel.daemon.Main \"$@\"");
            return new Launchers(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path p, String body) throws IOException {
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    public Path cniBin() {
        return dir;
    }

    public Path weftd() {
        return dir.resolve("weftd");
    }

    public Path plugin(String name) {
        return dir.resolve(name);
    }
}
