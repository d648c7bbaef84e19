package dev.weft.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One weftd running inside a node's namespace as its own process, logging to a file. Stopped by
 * its own process handle: SIGTERM for a clean stop, SIGKILL for a crash.
 */
public final class WeftdProcess {
    private final String netns;
    private final Path weftd;
    private final List<String> args;
    private final Path log;
    private Process process;

    WeftdProcess(String netns, Path weftd, List<String> args, Path log) {
        this.netns = netns;
        this.weftd = weftd;
        this.args = List.copyOf(args);
        this.log = log;
    }

    public synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", netns, weftd.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_") || k.startsWith("CNI_"));
        // no local status socket: the nodes share this host's /run, and a killed weftd would leave its file there
        pb.environment().put("FLANNELD_STATUS_SOCKET", "");
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("start weftd in " + netns, e);
        }
    }

    /** SIGTERM and wait: weftd leaves the data path in place on exit. */
    public synchronized void stop() {
        if (process != null) {
            process.destroy();
            await(Duration.ofSeconds(15));
            if (process.isAlive()) {
                process.destroyForcibly();
                await(Duration.ofSeconds(5));
            }
        }
    }

    /** SIGKILL: a crash. */
    public synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            await(Duration.ofSeconds(5));
        }
    }

    public synchronized void restart() {
        stop();
        start();
    }

    /**
     * Waits for weftd to exit on its own and starts it again, as a DaemonSet's restart policy does;
     * returns the exit code it ended with.
     *
     * @throws IllegalStateException when it is still running after {@code timeout}
     */
    public synchronized int restartAfterExit(Duration timeout) {
        if (process == null) {
            throw new IllegalStateException("weftd in " + netns + " was never started");
        }
        await(timeout);
        if (process.isAlive()) {
            throw new IllegalStateException("weftd in " + netns + " still running after " + timeout + ":\n" + logTail(3000));
        }
        int rc = process.exitValue();
        start();
        return rc;
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    private void await(Duration d) {
        try {
            process.waitFor(d.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public Path log() {
        return log;
    }

    /** How much has been logged so far, for {@link #logFrom}. */
    public long logSize() {
        try {
            return Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What was logged from byte {@code offset} on. */
    public String logFrom(long offset) {
        try {
            byte[] all = Files.exists(log) ? Files.readAllBytes(log) : new byte[0];
            int from = (int) Math.min(offset, all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String logTail(int chars) {
        try {
            String s = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            return s.length() <= chars ? s : s.substring(s.length() - chars);
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }
}
