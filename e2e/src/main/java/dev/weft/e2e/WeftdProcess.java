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

    public String logTail(int chars) {
        try {
            String s = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            return s.length() <= chars ? s : s.substring(s.length() - chars);
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }
}
