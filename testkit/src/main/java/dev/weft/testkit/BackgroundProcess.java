package dev.weft.testkit;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A long-running process started by this JVM (e.g. etcd), output appended to a log file.
 * Only ever stopped through its own {@link Process} handle.
 */
public final class BackgroundProcess implements AutoCloseable {
    private final Process process;
    private final List<String> command;
    private final Path log;
    private final Object owner;

    private BackgroundProcess(Process process, List<String> command, Path log, Object owner) {
        this.process = process;
        this.command = List.copyOf(command);
        this.log = log;
        this.owner = owner == null ? this : owner;
    }

    static BackgroundProcess start(ProcessBuilder pb, Path log) {
        return start(pb, log, null);
    }

    /**
     * @param owner the long-lived kit object this process belongs to (e.g. an {@link EtcdServer} that
     *              restarts it); the leak check compares owners, so a restart is not a leak
     */
    static BackgroundProcess start(ProcessBuilder pb, Path log, Object owner) {
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new IllegalStateException("cannot create log directory for " + log, e);
        }
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new PrerequisiteException("cannot start `" + String.join(" ", pb.command()) + "`: " + e.getMessage(), e);
        }
        BackgroundProcess bp = new BackgroundProcess(p, pb.command(), log, owner);
        Cleanup.processStarted(bp);
        return bp;
    }

    /** The kit object that owns this process (itself when started directly). */
    public Object owner() {
        return owner;
    }

    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    public List<String> command() {
        return command;
    }

    public Path logFile() {
        return log;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The last {@code maxChars} characters of the log. */
    public String logTail(int maxChars) {
        return tail(log, maxChars);
    }

    static String tail(Path file, int maxChars) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            long from = Math.max(0, len - maxChars);
            byte[] b = new byte[(int) (len - from)];
            f.seek(from);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "<log " + file + " unreadable: " + e.getMessage() + ">";
        }
    }

    /** SIGTERM, then SIGKILL after {@code grace}; waits for the process to be gone. */
    public void stop(Duration grace) {
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    kill();
                }
            }
        } catch (InterruptedException e) {
            kill();
            Thread.currentThread().interrupt();
        } finally {
            if (!process.isAlive()) {
                Cleanup.processEnded(this);
            }
        }
    }

    /** SIGKILL (the process gets no chance to clean up), waiting for it to be gone. */
    public void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("process " + pid() + " survived SIGKILL for 10 s: " + command);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Cleanup.processEnded(this);
    }

    /** Exit code, blocking until the process ends or the timeout passes (then null). */
    public Integer waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(5));
    }

    @Override
    public String toString() {
        return "BackgroundProcess[pid=" + pid() + (isAlive() ? "" : " (exited)") + " " + String.join(" ", command) + "]";
    }
}
