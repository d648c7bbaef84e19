package dev.weft.cni.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

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

    /**
     * The directory with Weft's plugins (created once per test JVM). As the installer does for
     * the real executables, the plugins share a class-data archive written by one training run
     * (a real ADD/DEL of every chain in throwaway wt- namespaces): the modules' tests start
     * plugin JVMs by the thousand, and the archive takes about 40 % off each start. An archive
     * needs a class path of jars only, so this build's class directories are first packed into
     * one jar. Without an archive (the training failed) the plugins work the same, only slower.
     */
    public static synchronized Path weftDir() {
        if (dir == null) {
            try {
                dir = Files.createTempDirectory("wt-cnibin");
                String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
                String cp = jarsOnly(System.getProperty("java.class.path"), dir.resolve("classes.jar"));
                String flags = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xlog:disable -Xlog:all=off -Xshare:auto"
                        + " -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0";
                Path jsa = dir.resolve("plugins.jsa");
                String cds = train(java, flags, cp, jsa) ? " -XX:SharedArchiveFile=" + jsa : "";
                for (String name : WEFT) {
                    Path p = dir.resolve(name);
                    Files.writeString(p, "#!/bin/sh\nexec " + java + " " + flags + cds + " -Dweft.plugin=" + name
                            + " -cp '" + cp + "' " + dev.weft.cni.thick.Shim.entryClass(name) + " \"$@\"\n");
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

    /** The class path with its directories packed into {@code jar} (first entry of a name wins, as on the class path). */
    private static String jarsOnly(String classPath, Path jar) throws IOException {
        List<String> entries = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String e : classPath.split(java.io.File.pathSeparator)) {
                Path p = Path.of(e);
                if (!Files.isDirectory(p)) {
                    entries.add(e);
                    continue;
                }
                try (var files = Files.walk(p)) {
                    for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                        String name = p.relativize(f).toString().replace(java.io.File.separatorChar, '/');
                        if (seen.add(name)) {
                            out.putNextEntry(new JarEntry(name));
                            Files.copy(f, out);
                            out.closeEntry();
                        }
                    }
                }
            }
        }
        entries.add(0, jar.toString());
        return String.join(java.io.File.pathSeparator, entries);
    }

    /** One training run of the plugins (CdsTraining) writing {@code jsa}; false if it wrote none. */
    private static boolean train(String java, String flags, String cp, Path jsa) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(List.of(flags.split(" ")));
        cmd.addAll(List.of("-XX:ArchiveClassesAtExit=" + jsa, "-Dweft.plugin=weft-loopback", "-cp", cp, "dev.weft.cni.Main"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("WEFT_CDS_TRAIN", "1");
        Process proc = pb.start();
        try {
            if (!proc.waitFor(120, TimeUnit.SECONDS)) {
                proc.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            proc.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        boolean ok = Files.isRegularFile(jsa) && Files.size(jsa) > 0;
        if (!ok) {
            System.err.println("CniBin: no class-data archive for the test plugins (training exit " + (proc.isAlive() ? "none" : Integer.toString(proc.exitValue()))
                    + "); they start without one");
        }
        return ok;
    }

    static void deleteTree(Path d) {
        try (var s = Files.walk(d)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at JVM exit
        }
    }
}
