package dev.weft.bgp.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Started with SIGHUP ignored and not through the launcher (which resets it: RuntimePeersTest's
 * SIGHUP case proves that), weft-bgp cannot handle SIGHUP and says so instead of ignoring reloads
 * silently. No namespace: a route-reflector config (no FIB) listening on a free loopback port.
 */
class IgnoredSignalTest {

    @Test
    void aSighupIgnoredAtStartIsReported(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("weft-bgp.yaml");
        Files.writeString(config, """
                routerId: 10.0.0.1
                localAs: 64512
                listen: {address: 127.0.0.1, port: 0}
                fib: {install: false}
                """);
        Path log = dir.resolve("weft-bgp.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of("env", "--ignore-signal=HUP", java, "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--config", config.toString(), "--rt-protos-dir", dir.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!read(log).contains("listening on") && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            String text = read(log);
            assertTrue(text.contains("SIGHUP was ignored by the process that started us"), text);
            assertTrue(text.contains("a SIGHUP will not reload the config"), text);
            assertTrue(!text.contains("SIGTERM was ignored"), text);
            p.destroy(); // SIGTERM was not ignored: a clean stop
            assertTrue(p.waitFor(15, TimeUnit.SECONDS), "weft-bgp still running after SIGTERM");
            assertEquals(0, p.exitValue(), read(log));
        } finally {
            p.destroyForcibly();
        }
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }
}
