package dev.weft.exec;

import java.io.ByteArrayOutputStream;
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
import java.util.concurrent.TimeUnit;

/**
 * {@link CommandRunner} on {@link ProcessBuilder}. The three pipes are served by their own threads,
 * so the caller's thread only waits, and can stop waiting at the deadline whatever the tool does
 * with its pipes (a wedged {@code iptables -w} that never closes stdout used to hang us forever).
 */
final class ProcessCommandRunner implements CommandRunner {
    /** A daemon started by systemd or a container runtime may have a PATH without the sbin directories. */
    private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin",
            "/usr/local/sbin", "/usr/local/bin");
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
        Process p = start(argv);
        long deadline = System.nanoTime() + limits.timeout().toNanos();
        Capture out = new Capture(p.getInputStream(), limits.maxStdout(), () -> killTree(p));
        Capture err = new Capture(p.getErrorStream(), limits.maxStderr(), null);
        Thread outReader = daemon(out, "weft-exec-stdout");
        Thread errReader = daemon(err, "weft-exec-stderr");
        feed(p, stdin);
        try {
            boolean done = p.waitFor(remaining(deadline), TimeUnit.NANOSECONDS);
            // A child the tool left behind may still hold the pipes open: that counts against the deadline too.
            done = done && join(outReader, deadline) && join(errReader, deadline);
            if (!done) {
                killTree(p);
                settle(p, outReader, errReader);
                throw new TimeoutException(argv, limits.timeout());
            }
            if (out.overflowed) {
                settle(p, outReader, errReader);
                throw new OutputLimitException(argv, limits.maxStdout());
            }
            return new Result(argv, p.exitValue(), out.text(), err.text());
        } catch (InterruptedException e) {
            killTree(p);
            Thread.currentThread().interrupt();
            return new Result(argv, -1, "", "interrupted");
        }
    }

    private Process start(List<String> argv) {
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
            return new ProcessBuilder(full).start();
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
     * Kills the tool and whatever it started. The descendants are listed while the tool still lives
     * (once it dies they are re-parented and can no longer be found), then the tool is killed so it
     * starts nothing more, then the listed ones.
     */
    static void killTree(Process p) {
        List<ProcessHandle> tree = new ArrayList<>(p.toHandle().descendants().toList());
        p.destroyForcibly();
        for (ProcessHandle c : List.copyOf(tree)) {
            c.descendants().forEach(tree::add);
        }
        tree.forEach(ProcessHandle::destroyForcibly);
        tree.add(p.toHandle());
        // SIGKILL is not instant: wait (bounded) until each is really gone, so that none outlives the call.
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AFTER_KILL_MILLIS);
        for (ProcessHandle h : tree) {
            try {
                h.onExit().get(remaining(deadline), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // still there after the bound: nothing more we can do than having sent SIGKILL
            }
        }
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
    private static final class Capture implements Runnable {
        private final InputStream in;
        private final int max;
        private final Runnable onOverflow;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private volatile boolean overflowed;
        private volatile String failure;

        Capture(InputStream in, int max, Runnable onOverflow) {
            this.in = in;
            this.max = max;
            this.onOverflow = onOverflow;
        }

        @Override
        public void run() {
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
