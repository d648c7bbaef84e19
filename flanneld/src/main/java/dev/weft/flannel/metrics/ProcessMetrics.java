package dev.weft.flannel.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The process and JVM families under the names of the Prometheus Java client's JVM instrumentation,
 * so dashboards made for any Java service read weftd too: process_cpu_seconds_total,
 * process_start_time_seconds, process_open_fds, process_max_fds, process_virtual_memory_bytes,
 * process_resident_memory_bytes, jvm_memory_used_bytes (and committed, max) by area,
 * jvm_gc_collection_seconds by collector, jvm_threads_current/daemon/peak and jvm_runtime_info.
 *
 * <p>The process figures come from /proc/self (read bounded: these files are a few kilobytes) and
 * {@link ProcessHandle}; the JVM figures from the platform MXBeans, which are only looked up on the
 * first scrape, so a weftd nobody scrapes never loads them. A figure that cannot be read is left
 * out rather than reported as 0.
 */
public final class ProcessMetrics {
    private static final int MAX_PROC_FILE = 64 * 1024;
    private static final Path PROC_SELF = Path.of("/proc/self");

    private final Path proc;

    /** This process. */
    public ProcessMetrics() {
        this(PROC_SELF);
    }

    /** Reads the /proc files under {@code proc} (a copy in tests). */
    ProcessMetrics(Path proc) {
        this.proc = proc;
    }

    public void write(Exposition e) {
        ProcessHandle.Info info = ProcessHandle.current().info();
        Optional<Duration> cpu = info.totalCpuDuration();
        if (cpu.isPresent()) {
            e.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", cpu.get().toNanos() / 1e9);
        }
        Optional<Instant> start = info.startInstant();
        if (start.isPresent()) {
            e.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", start.get().toEpochMilli() / 1000.0);
        }
        long fds = openFds();
        if (fds >= 0) {
            e.gauge("process_open_fds", "Number of open file descriptors.", fds);
        }
        String limits = read("limits");
        long maxFds = limits == null ? -1 : softLimit(limits, "Max open files");
        if (maxFds >= 0) {
            e.gauge("process_max_fds", "Maximum number of open file descriptors.", maxFds);
        }
        String status = read("status");
        long vm = status == null ? -1 : statusKilobytes(status, "VmSize");
        if (vm >= 0) {
            e.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", vm * 1024.0);
        }
        long rss = status == null ? -1 : statusKilobytes(status, "VmRSS");
        if (rss >= 0) {
            e.gauge("process_resident_memory_bytes", "Resident memory size in bytes.", rss * 1024.0);
        }
        writeJvm(e);
    }

    private static void writeJvm(Exposition e) {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        MemoryUsage heap = mem.getHeapMemoryUsage();
        MemoryUsage nonHeap = mem.getNonHeapMemoryUsage();
        e.family("jvm_memory_used_bytes", "gauge", "Used bytes of a given JVM memory area.");
        e.sample("jvm_memory_used_bytes", heap.getUsed(), "area", "heap");
        e.sample("jvm_memory_used_bytes", nonHeap.getUsed(), "area", "nonheap");
        e.family("jvm_memory_committed_bytes", "gauge", "Committed (bytes) of a given JVM memory area.");
        e.sample("jvm_memory_committed_bytes", heap.getCommitted(), "area", "heap");
        e.sample("jvm_memory_committed_bytes", nonHeap.getCommitted(), "area", "nonheap");
        e.family("jvm_memory_max_bytes", "gauge", "Max (bytes) of a given JVM memory area, -1 when undefined.");
        e.sample("jvm_memory_max_bytes", heap.getMax(), "area", "heap");
        e.sample("jvm_memory_max_bytes", nonHeap.getMax(), "area", "nonheap");
        e.family("jvm_gc_collection_seconds", "summary", "Time spent in a given JVM garbage collector in seconds.");
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            e.sample("jvm_gc_collection_seconds_count", Math.max(0, gc.getCollectionCount()), "gc", gc.getName());
            e.sample("jvm_gc_collection_seconds_sum", Math.max(0, gc.getCollectionTime()) / 1000.0, "gc", gc.getName());
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        e.gauge("jvm_threads_current", "Current thread count of a JVM.", threads.getThreadCount());
        e.gauge("jvm_threads_daemon", "Daemon thread count of a JVM.", threads.getDaemonThreadCount());
        e.gauge("jvm_threads_peak", "Peak thread count of a JVM.", threads.getPeakThreadCount());
        e.family("jvm_runtime_info", "gauge", "JVM runtime info.");
        e.sample("jvm_runtime_info", 1, "runtime", System.getProperty("java.runtime.name", ""),
                "vendor", System.getProperty("java.vm.vendor", ""), "version", System.getProperty("java.runtime.version", ""));
    }

    private long openFds() {
        long n = 0;
        try (DirectoryStream<Path> d = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path ignored : d) {
                n++;
            }
            return n;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The file's text, at most {@link #MAX_PROC_FILE} bytes of it; null when it cannot be read. */
    private String read(String name) {
        try (InputStream in = Files.newInputStream(proc.resolve(name))) {
            return new String(in.readNBytes(MAX_PROC_FILE), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return null;
        }
    }

    /** A "Name:   1234 kB" line of /proc/PID/status, in kB; -1 when missing or malformed. */
    static long statusKilobytes(String status, String field) {
        for (String line : status.split("\n")) {
            if (line.startsWith(field + ":")) {
                String[] parts = line.substring(field.length() + 1).trim().split("\\s+");
                if (parts.length == 2 && parts[1].equals("kB")) {
                    return parseOrMinusOne(parts[0]);
                }
                return -1;
            }
        }
        return -1;
    }

    /**
     * The soft limit of one row of /proc/PID/limits ("Max open files  1024  4096  files"); -1 when
     * missing, malformed or "unlimited".
     */
    static long softLimit(String limits, String name) {
        for (String line : limits.split("\n")) {
            if (line.startsWith(name + " ")) {
                String[] parts = line.substring(name.length()).trim().split("\\s+");
                return parts.length >= 1 ? parseOrMinusOne(parts[0]) : -1;
            }
        }
        return -1;
    }

    private static long parseOrMinusOne(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        return Long.parseLong(s);
    }
}
