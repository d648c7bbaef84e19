package dev.weft.testkit.bgp;

import dev.weft.testkit.BackgroundProcess;
import dev.weft.testkit.Cmd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A routing daemon this JVM started in a namespace, with its files in a private temp directory.
 * Shared by {@link BirdPeer} and {@link GobgpPeer}: stopping goes through the process handle (by
 * PID, SIGTERM then SIGKILL), never by name.
 */
final class Daemon {
    private static final Duration GRACE = Duration.ofSeconds(5);

    private final String netns;
    private final Path dir;
    private final BackgroundProcess process;

    private Daemon(String netns, Path dir, BackgroundProcess process) {
        this.netns = netns;
        this.dir = dir;
        this.process = process;
    }

    /** A fresh {@code /tmp/wt-<prefix>-...} directory for the daemon's config, socket, pid and log. */
    static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory("wt-" + prefix + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Daemon start(String netns, Path dir, List<String> argv) {
        BackgroundProcess p = Cmd.of(argv).netns(netns).start(dir.resolve("daemon.log"));
        return new Daemon(netns, dir, p);
    }

    String netns() {
        return netns;
    }

    Path dir() {
        return dir;
    }

    /** PID of the daemon itself: {@code ip netns exec} execs it, and the daemon runs in the foreground. */
    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String logTail() {
        return process.logTail(4000);
    }

    /** SIGTERM, then SIGKILL after 5 s. */
    void stop() {
        process.stop(GRACE);
    }

    /** SIGKILL: no goodbye on the wire, the peer only notices by its hold timer or a TCP reset. */
    void kill9() {
        process.kill();
    }

    /** Stops the daemon if still running and removes its directory. */
    void close() {
        try {
            stop();
        } finally {
            deleteDir(dir);
        }
    }

    /** Polling pause: the daemons offer no event to wait on. */
    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static void deleteDir(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }
}
