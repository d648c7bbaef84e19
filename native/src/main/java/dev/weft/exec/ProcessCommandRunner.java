package dev.weft.exec;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link CommandRunner} on {@link ProcessBuilder}. The three pipes are served by their own threads,
 * so the caller's thread only waits, and can stop waiting at the deadline whatever the tool does
 * with its pipes (a wedged {@code iptables -w} that never closes stdout used to hang us forever).
 */
final class ProcessCommandRunner implements CommandRunner {
    /** A daemon started by systemd or a container runtime may have a PATH without the sbin directories. */
    private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin",
            "/usr/local/sbin", "/usr/local/bin");
    /** The variable that marks every process of one run, so that a kill finds them all. */
    static final String MARK = "WEFT_EXEC_RUN";
    private static final AtomicLong RUNS = new AtomicLong();
    /** Bytes of a process's environment searched for the mark (ours is near the start, as JDK puts it). */
    private static final int MAX_ENVIRON = 1 << 20;
    /** After a kill, how long the pipes may take to reach EOF before we stop reading them. */
    private static final long AFTER_KILL_MILLIS = 5_000;

    private final String netns;
    private final Limits limits;

    ProcessCommandRunner(String netns, Limits limits) {
        this.netns = netns;
        this.limits = limits;
    }

    @Override
    public boolean hasTool(String program) {
        return resolve(program) != null;
    }

    @Override
    public Result run(List<String> argv, String stdin) {
        if (Thread.currentThread().isInterrupted()) {
            return new Result(argv, -1, "", "interrupted");   // asked to stop: start nothing
        }
        String mark = ProcessHandle.current().pid() + "-" + RUNS.incrementAndGet();
        Process p = start(argv, mark);
        long deadline = System.nanoTime() + limits.timeout().toNanos();
        Capture out = new Capture(limits.maxStdout(), () -> killTree(p, mark));
        Capture err = new Capture(limits.maxStderr(), null);
        Thread outReader = daemon(() -> out.drain(p.getInputStream()), "weft-exec-stdout");
        Thread errReader = daemon(() -> err.drain(p.getErrorStream()), "weft-exec-stderr");
        feed(p, stdin);
        try {
            boolean done = p.waitFor(remaining(deadline), TimeUnit.NANOSECONDS);
            // A child the tool left behind may still hold the pipes open: that counts against the deadline too.
            done = done && join(outReader, deadline) && join(errReader, deadline);
            if (!done) {
                killTree(p, mark);
                settle(p, outReader, errReader);
                throw new TimeoutException(argv, limits.timeout());
            }
            if (out.overflowed) {
                settle(p, outReader, errReader);
                throw new OutputLimitException(argv, limits.maxStdout());
            }
            return new Result(argv, p.exitValue(), out.text(), err.text());
        } catch (InterruptedException e) {
            killTree(p, mark);
            Thread.currentThread().interrupt();
            return new Result(argv, -1, "", "interrupted");
        }
    }

    private Process start(List<String> argv, String mark) {
        String program = resolve(argv.get(0));
        if (program == null) {
            throw new ToolMissingException(argv.get(0) + " not found in PATH or " + EXTRA_DIRS);
        }
        List<String> full = new ArrayList<>(argv.size() + 4);
        if (netns != null) {
            String ip = resolve("ip");
            if (ip == null) {
                throw new ToolMissingException("ip not found in PATH or " + EXTRA_DIRS);
            }
            full.addAll(List.of(ip, "netns", "exec", netns));
        }
        full.add(program);
        full.addAll(argv.subList(1, argv.size()));
        try {
            ProcessBuilder pb = new ProcessBuilder(full);
            pb.environment().put(MARK, mark);
            return pb.start();
        } catch (IOException e) {
            throw new ToolMissingException("cannot start " + program + ": " + e.getMessage());
        }
    }

    /** Writes stdin from its own thread: a tool that never reads it must not block us past the deadline. */
    private static void feed(Process p, String stdin) {
        OutputStream in = p.getOutputStream();
        if (stdin == null) {
            closeQuietly(in);
            return;
        }
        byte[] bytes = stdin.getBytes(StandardCharsets.UTF_8);
        daemon(() -> {
            try (in) {
                in.write(bytes);
            } catch (IOException e) {
                // The tool may exit without reading; its exit code and stderr say why.
            }
        }, "weft-exec-stdin");
    }

    /**
     * Kills the tool and whatever it started. The descendants are found twice: as the tool's
     * process tree while it lives, and by the {@link #MARK} every process of this run inherited in
     * its environment, which still finds a child whose parent died before it could be listed (it
     * was re-parented) or that was forked while we looked. Then waits, bounded, until each is gone,
     * so that none outlives the call.
     */
    static void killTree(Process p, String mark) {
        Set<ProcessHandle> killed = new LinkedHashSet<>(p.toHandle().descendants().toList());
        p.destroyForcibly();
        killed.forEach(ProcessHandle::destroyForcibly);
        killed.add(p.toHandle());
        for (int round = 0; round < 10; round++) {
            List<ProcessHandle> left = marked(mark);
            if (left.isEmpty()) {
                break;
            }
            left.forEach(ProcessHandle::destroyForcibly);
            killed.addAll(left);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AFTER_KILL_MILLIS);
        boolean interrupted = false;
        for (ProcessHandle h : killed) {
            while (true) {
                try {
                    h.onExit().get(remaining(deadline), TimeUnit.NANOSECONDS);
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;   // finish the bounded wait; the caller learns of it below
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    break;   // still there after the bound: nothing more to do than having sent SIGKILL
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Live processes whose environment holds {@code MARK=mark} (a zombie's environment reads empty). */
    private static List<ProcessHandle> marked(String mark) {
        byte[] want = (MARK + "=" + mark + "\0").getBytes(StandardCharsets.UTF_8);
        List<ProcessHandle> found = new ArrayList<>();
        File[] entries = new File("/proc").listFiles();
        if (entries == null) {
            return found;
        }
        for (File d : entries) {
            String name = d.getName();
            if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                continue;
            }
            try (InputStream in = Files.newInputStream(d.toPath().resolve("environ"))) {
                byte[] env = in.readNBytes(MAX_ENVIRON);
                if (contains(env, want)) {
                    ProcessHandle.of(Long.parseLong(name)).ifPresent(found::add);
                }
            } catch (IOException | NumberFormatException e) {
                // gone meanwhile, or not readable: not ours to kill
            }
        }
        return found;
    }

    /** {@code entry} as a whole entry of the NUL-separated {@code env}. */
    private static boolean contains(byte[] env, byte[] entry) {
        for (int at = 0; at + entry.length <= env.length; at++) {
            if (at > 0 && env[at - 1] != 0) {
                continue;
            }
            int k = 0;
            while (k < entry.length && env[at + k] == entry[k]) {
                k++;
            }
            if (k == entry.length) {
                return true;
            }
        }
        return false;
    }

    /** Reaps the killed tool and lets the readers reach EOF, for a bounded time. */
    private static void settle(Process p, Thread... readers) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AFTER_KILL_MILLIS);
        p.waitFor(remaining(deadline), TimeUnit.NANOSECONDS);
        for (Thread t : readers) {
            join(t, deadline);
        }
    }

    private static boolean join(Thread t, long deadline) throws InterruptedException {
        long left = remaining(deadline);
        if (left > 0) {
            TimeUnit.NANOSECONDS.timedJoin(t, left);
        }
        return !t.isAlive();
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void closeQuietly(OutputStream s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing was written; nothing to lose
        }
    }

    /**
     * Reads one pipe to EOF, keeping at most {@code max} bytes. Past that it keeps reading (so the
     * tool is never blocked on a full pipe) and calls {@code onOverflow} once.
     */
    private static final class Capture {
        private final int max;
        private final Runnable onOverflow;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private volatile boolean overflowed;
        private volatile String failure;

        Capture(int max, Runnable onOverflow) {
            this.max = max;
            this.onOverflow = onOverflow;
        }

        void drain(InputStream in) {
            byte[] b = new byte[16384];
            try (in) {
                for (int n; (n = in.read(b)) >= 0; ) {
                    int keep = Math.min(n, max - kept.size());
                    kept.write(b, 0, keep);
                    if (keep < n && !overflowed) {
                        overflowed = true;
                        if (onOverflow != null) {
                            onOverflow.run();
                        }
                    }
                }
            } catch (IOException e) {
                failure = e.toString();
            }
        }

        /** Only called once the reader has finished. */
        String text() {
            String s = kept.toString(StandardCharsets.UTF_8);
            if (overflowed) {
                s += "\n(cut at " + max + " bytes)";
            }
            return failure == null ? s : s + "\n(unreadable: " + failure + ")";
        }
    }

    static String resolve(String program) {
        if (program.contains("/")) {
            return Files.isExecutable(Path.of(program)) ? program : null;
        }
        Set<String> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(":")) {
                if (!d.isEmpty()) {
                    dirs.add(d);
                }
            }
        }
        dirs.addAll(EXTRA_DIRS);
        for (String d : dirs) {
            Path p = Path.of(d, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }
}
