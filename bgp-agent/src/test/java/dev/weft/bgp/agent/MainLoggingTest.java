package dev.weft.bgp.agent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * weft-bgp's logging flags take effect: {@code -v 1} logs debug lines, and every line has a
 * timestamp. Both are settings main makes from the command line, so they fail silently if any
 * class creates its logger first (the --rt-protos-dir default once did). No namespace: a
 * route-reflector config (no FIB) on a free loopback port, stopped by SIGTERM once it listens.
 */
class MainLoggingTest {
    private static final Pattern STAMPED = Pattern.compile("(?m)^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S* .*listening on");

    @Test
    void verboseLogsDebugAndEveryLineIsStamped(@TempDir Path dir) throws Exception {
        String verbose = run(dir, "-v", "1");
        assertTrue(verbose.contains("DEBUG") && verbose.contains("route path warmed"), verbose);
        assertTrue(STAMPED.matcher(verbose).find(), verbose);
        String quiet = run(dir);
        assertFalse(quiet.contains("DEBUG"), quiet);
        assertTrue(STAMPED.matcher(quiet).find(), quiet);
    }

    /** weft-bgp's output from its start until it listens. */
    private static String run(Path dir, String... flags) throws Exception {
        Path config = dir.resolve("weft-bgp.yaml");
        Files.writeString(config, "routerId: 10.0.0.1\nlocalAs: 64512\nlisten: {address: 127.0.0.1, port: 0}\nfib: {install: false}\n");
        Path log = dir.resolve("weft-bgp-" + flags.length + ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--config", config.toString(), "--rt-protos-dir", dir.toString()));
        cmd.addAll(List.of(flags));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.readString(log).contains("listening on") && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            p.destroy();
            assertTrue(p.waitFor(15, TimeUnit.SECONDS), "weft-bgp still running after SIGTERM");
            return Files.readString(log);
        } finally {
            p.destroyForcibly();
        }
    }
}
