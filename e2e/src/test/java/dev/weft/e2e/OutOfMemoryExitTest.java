package dev.weft.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.testkit.BackgroundProcess;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.KernelTest;
import dev.weft.testkit.TestNetns;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An OutOfMemoryError ends weftd, so the DaemonSet restarts it instead of keeping a "ready"
 * process whose threads are dying. Both launchers are checked: the shipped {@code dist/bin/weftd}
 * (built by {@code mvn -pl flanneld -am package}, which a reactor run of this module does first) and
 * the simulated cluster's {@link Launchers#weftd()}. weftd runs in its own {@code wt-} namespace
 * (its own loopback, so the health port is free) with a file subnet store and no network config,
 * so it sits serving /healthz and waiting, touching nothing in the kernel.
 */
@KernelTest
class OutOfMemoryExitTest {
    private static final int HEALTH_PORT = 10256;
    /** Only ends a test whose weftd would otherwise stay up forever; no speed is asserted. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(60);
    /** The shipped launcher, from the e2e module directory (surefire's working directory). */
    private static final Path DIST_WEFTD = Path.of("..", "dist", "bin", "weftd");
    private static final Path DIST_SOURCE = Path.of("..", "flanneld", "src", "main", "dist", "weftd.sh");

    @ParameterizedTest
    @ValueSource(strings = {"dist", "e2e"})
    void anOutOfMemoryErrorInAnyThreadEndsWeftd(String which, TestNetns ns, @TempDir Path dir) throws Exception {
        Path weftd = which.equals("dist") ? freshDistLauncher() : Launchers.create(dir.resolve("bin")).weftd();
        Path agent = agentJar(dir.resolve("oom-agent.jar"));
        Path log = dir.resolve("weftd.log");
        try (BackgroundProcess p = Cmd.of(weftd.toString(), "-subnet-store", "file:" + dir.resolve("subnets.json"),
                        "-subnet-file", dir.resolve("subnet.env").toString(), "-state-dir", dir.resolve("state").toString(),
                        "-healthz-ip", "127.0.0.1", "-healthz-port", String.valueOf(HEALTH_PORT))
                .netns(ns.name()).unsetEnvPrefix("FLANNELD_").unsetEnvPrefix("WEFTD_")
                .env("JAVA_TOOL_OPTIONS", "-javaagent:" + agent + "=" + HEALTH_PORT)
                .start(log)) {
            Integer rc = p.waitFor(HANG_GUARD);
            String all = Files.readString(log);
            String out = p.logTail(3000);
            assertTrue(all.contains("oom-agent: weftd is serving"), "the agent never saw weftd serving:\n" + out);
            assertTrue(all.contains("OutOfMemoryError"), "no OutOfMemoryError:\n" + out);
            assertNotNull(rc, "weftd (" + weftd + ") is still running " + HANG_GUARD + " after an OutOfMemoryError:\n" + out);
            assertNotEquals(0, rc.intValue(), "weftd exited 0 after an OutOfMemoryError:\n" + out);
        }
    }

    /**
     * A parent that ignores SIGTERM (some supervisors and wrappers do) passes the ignore down, and a
     * JVM started that way never handles it: weftd could then only be stopped by kill -9, skipping
     * its clean shutdown. dist/bin/weftd resets it to the default, so SIGTERM still stops it.
     */
    @org.junit.jupiter.api.Test
    void sigtermStopsWeftdEvenWhenItsParentIgnoredIt(TestNetns ns, @TempDir Path dir) throws Exception {
        Path weftd = freshDistLauncher();
        try (BackgroundProcess p = Cmd.of("env", "--ignore-signal=TERM", weftd.toString(),
                        "-subnet-store", "file:" + dir.resolve("subnets.json"),
                        "-subnet-file", dir.resolve("subnet.env").toString(), "-state-dir", dir.resolve("state").toString(),
                        "-healthz-ip", "127.0.0.1", "-healthz-port", String.valueOf(HEALTH_PORT))
                .netns(ns.name()).unsetEnvPrefix("FLANNELD_").unsetEnvPrefix("WEFTD_").start(dir.resolve("weftd.log"))) {
            long pid = p.pid();
            // env and both launchers exec: the JVM keeps this pid; wait until it has installed its handlers
            long deadline = System.nanoTime() + HANG_GUARD.toNanos();
            while (!caughtSignals(pid).testBit(15 - 1)) {
                assertTrue(p.isAlive(), "weftd exited before it was stopped:\n" + p.logTail(3000));
                assertTrue(System.nanoTime() < deadline, "the JVM never caught SIGTERM:\n" + p.logTail(3000));
                Thread.sleep(100);
            }
            Cmd.of("kill", "-TERM", Long.toString(pid)).run();
            Integer rc = p.waitFor(HANG_GUARD);
            assertNotNull(rc, "weftd still runs " + HANG_GUARD + " after SIGTERM:\n" + p.logTail(3000));
        }
    }

    /** SigCgt of /proc/PID/status: bit n-1 set when signal n has a handler; empty once the process is gone. */
    private static java.math.BigInteger caughtSignals(long pid) throws IOException {
        Path status = Path.of("/proc", Long.toString(pid), "status");
        if (!Files.exists(status)) {
            return java.math.BigInteger.ZERO;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("SigCgt:")) {
                return new java.math.BigInteger(line.substring(7).strip(), 16);
            }
        }
        return java.math.BigInteger.ZERO;
    }

    /** dist/bin/weftd, refusing one built from another weftd.sh than the one in this tree. */
    private static Path freshDistLauncher() throws IOException {
        assertTrue(Files.isExecutable(DIST_WEFTD), DIST_WEFTD.toAbsolutePath().normalize()
                + " is missing: run `mvn -pl flanneld -am package` (or this module with -am)");
        byte[] header = Files.readAllBytes(DIST_SOURCE);
        byte[] head = new byte[header.length];
        try (InputStream in = Files.newInputStream(DIST_WEFTD)) {
            assertEquals(header.length, in.readNBytes(head, 0, head.length));
        }
        assertEquals(new String(header, StandardCharsets.UTF_8), new String(head, StandardCharsets.UTF_8),
                DIST_WEFTD + " is stale (its shell header differs from " + DIST_SOURCE + "): run `mvn -pl flanneld -am package`");
        return DIST_WEFTD.toAbsolutePath().normalize();
    }

    private static Path agentJar(Path jar) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(new Attributes.Name("Premain-Class"), OomAgent.class.getName());
        String entry = OomAgent.class.getName().replace('.', '/') + ".class";
        try (OutputStream f = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(f, m);
                InputStream cls = OomAgent.class.getClassLoader().getResourceAsStream(entry)) {
            assertNotNull(cls, entry + " not on the test class path");
            j.putNextEntry(new JarEntry(entry));
            cls.transferTo(j);
            j.closeEntry();
        }
        return jar;
    }
}
