package dev.weft.e2e;

import dev.weft.testkit.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tcpdump writing a pcap file inside a namespace, as an independent witness of what crossed an
 * interface. Started and stopped (SIGTERM, so it flushes and prints its counters) through its own
 * process handle.
 */
public final class Tcpdump implements AutoCloseable {
    private final Process process;
    private final Path pcap;
    private final Path log;
    private String stats;

    private Tcpdump(Process process, Path pcap, Path log) {
        this.process = process;
        this.pcap = pcap;
        this.log = log;
    }

    /**
     * Starts {@code tcpdump -i iface -w pcap filter} in {@code netns} with a snaplen that holds any
     * frame of a 1500-byte underlay and a 64 MiB kernel buffer, and waits until it is capturing.
     */
    public static Tcpdump start(String netns, String iface, Path pcap, String... filter) {
        List<String> cmd = new ArrayList<>(List.of(Tools.which("ip"), "netns", "exec", netns, Tools.which("tcpdump"),
                "-i", iface, "-n", "-s", "2048", "-B", "65536", "--immediate-mode", "-U", "-Z", "root", "-w", pcap.toString()));
        cmd.addAll(List.of(filter));
        Path log = pcap.resolveSibling(pcap.getFileName() + ".log");
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("start tcpdump", e);
        }
        Tcpdump t = new Tcpdump(p, pcap, log);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!t.logText().contains("listening on")) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                t.close();
                throw new IllegalStateException("tcpdump did not start capturing on " + iface + " in " + netns + ": " + t.logText());
            }
            SimCluster.sleep(50);
        }
        return t;
    }

    private String logText() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Stops the capture and returns the pcap file. Waits first until tcpdump has written all it
     * got (the file stops growing), so packets still in its ring are not cut off by the stop;
     * {@link #complete} then tells whether it processed all that its filter took.
     */
    public Path stop() {
        long size = -1;
        long deadline = System.nanoTime() + 10_000_000_000L;
        try {
            while (System.nanoTime() < deadline) {
                long now = Files.exists(pcap) ? Files.size(pcap) : 0;
                if (now == size) {
                    break;
                }
                size = now;
                SimCluster.sleep(300);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        close();
        return pcap;
    }

    /** After {@link #stop}: tcpdump dropped nothing and wrote every packet its filter received. */
    public boolean complete() {
        return droppedByKernel() == 0 && count("captured") == count("received by filter");
    }

    private long count(String what) {
        Matcher m = Pattern.compile("(\\d+) packets? " + what).matcher(stats());
        if (!m.find()) {
            throw new IllegalStateException("tcpdump printed no '" + what + "' count: " + stats());
        }
        return Long.parseLong(m.group(1));
    }

    /** "packets dropped by kernel" from tcpdump's own summary (after {@link #stop}). */
    public long droppedByKernel() {
        return count("dropped by kernel");
    }

    /** tcpdump's own output (its summary after {@link #stop}). */
    public String stats() {
        return stats == null ? logText() : stats;
    }

    @Override
    public void close() {
        if (stats != null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        stats = logText();
    }
}
