package dev.weft.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time and memory of one process from /proc: {@code utime+stime} (fields 14 and 15 of
 * {@code stat}, in clock ticks of 1/100 s on Linux), {@code cutime+cstime} (16 and 17: its
 * children's, once it has waited for them, e.g. the iptables runs a daemon starts),
 * {@code VmRSS}/{@code VmHWM} of {@code status} in kB and its {@code Threads}.
 */
public record ProcSample(long cpuTicks, long childTicks, long rssKb, long hwmKb, long threads) {
    public static final double TICKS_PER_SECOND = 100.0;
    private static final int MAX = 1 << 16;

    public static ProcSample of(long pid) {
        try {
            String stat = read(Path.of("/proc/" + pid + "/stat"));
            // the command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'
            int close = stat.lastIndexOf(')');
            String[] f = stat.substring(close + 2).split(" ", 16);
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);   // fields 14, 15
            long children = Long.parseLong(f[13]) + Long.parseLong(f[14]); // fields 16, 17
            String status = read(Path.of("/proc/" + pid + "/status"));
            return new ProcSample(ticks, children, kb(status, "VmRSS:"), kb(status, "VmHWM:"), field(status, "Threads:"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/" + pid + ": " + e.getMessage(), e);
        }
    }

    /** One thread name's CPU ticks, user and system apart (a netlink-bound thread is mostly system). */
    public record Ticks(long user, long system) {
        public long total() {
            return user + system;
        }

        Ticks plus(Ticks o) {
            return new Ticks(user + o.user, system + o.system);
        }

        Ticks minus(Ticks o) {
            return new Ticks(user - o.user, system - o.system);
        }

        @Override
        public String toString() {
            return total() + " (u " + user + " s " + system + ")";
        }
    }

    /**
     * CPU ticks per thread name (threads of one name summed, e.g. the JIT's "C2 CompilerThre"),
     * largest first: where a target's CPU time went.
     */
    public static java.util.Map<String, Ticks> threadTicks(long pid) {
        java.util.Map<String, Ticks> byName = new java.util.HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                String stat = read(t.resolve("stat"));
                int open = stat.indexOf('(');
                int close = stat.lastIndexOf(')');
                String[] f = stat.substring(close + 2).split(" ", 15);
                byName.merge(stat.substring(open + 1, close), new Ticks(Long.parseLong(f[11]), Long.parseLong(f[12])), Ticks::plus);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/" + pid + "/task: " + e.getMessage(), e);
        }
        return largestFirst(byName.entrySet().stream());
    }

    /**
     * Per thread name, the ticks spent between two {@link #threadTicks} samples of one process
     * (threads started in between count from zero), largest first; threads that spent none are left out.
     * A thread that ended in between (the JVM's compiler threads come and go) takes its ticks with it,
     * so its name may show less than it spent, or not at all: the process total is the sure figure.
     */
    public static java.util.Map<String, Ticks> threadTicksSince(java.util.Map<String, Ticks> before, java.util.Map<String, Ticks> after) {
        return largestFirst(after.entrySet().stream()
                .map(e -> java.util.Map.entry(e.getKey(), e.getValue().minus(before.getOrDefault(e.getKey(), new Ticks(0, 0))))));
    }

    /** The names whose ticks are above zero, largest first. */
    private static java.util.Map<String, Ticks> largestFirst(java.util.stream.Stream<java.util.Map.Entry<String, Ticks>> byName) {
        java.util.Map<String, Ticks> sorted = new java.util.LinkedHashMap<>();
        byName.filter(e -> e.getValue().total() > 0)
                .sorted(java.util.Comparator.comparingLong((java.util.Map.Entry<String, Ticks> e) -> e.getValue().total()).reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    private static String read(Path p) throws IOException {
        byte[] b = Files.readAllBytes(p);
        if (b.length > MAX) {
            throw new IOException(p + " is " + b.length + " bytes");
        }
        return new String(b, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static long kb(String status, String key) {
        String v = value(status, key);
        return Long.parseLong(v.substring(0, v.indexOf(' ')));
    }

    private static long field(String status, String key) {
        return Long.parseLong(value(status, key));
    }

    private static String value(String status, String key) {
        int i = status.indexOf(key);
        if (i < 0) {
            throw new IllegalStateException("no " + key + " in /proc/<pid>/status");
        }
        int end = status.indexOf('\n', i);
        return status.substring(i + key.length(), end < 0 ? status.length() : end).strip();
    }
}
