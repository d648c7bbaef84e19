package dev.weft.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Runs external commands: argument lists (never a shell), a timeout, stdout/stderr captured.
 *
 * <pre>{@code
 * Cmd.run("ip", "-j", "link", "show");                       // throws CmdException on non-zero exit
 * Cmd.Result r = Cmd.tryRun("ip", "link", "show", "nope");   // never throws for exit codes
 * Cmd.run(Cmd.inNetns("wt-abc123", "ping", "-c1", "10.0.0.2"));
 * Cmd.of("nft", "-f", "-").netns(ns).input(rules).run();
 * }</pre>
 *
 * The program (first argument) is resolved with {@link Tools#which}, so a missing tool is a loud
 * {@link PrerequisiteException} naming the Debian package to install, for both run and tryRun.
 */
public final class Cmd {
    private Cmd() {}

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final ExecutorService PUMPS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "weft-testkit-cmd-io");
        t.setDaemon(true);
        return t;
    });

    /** Outcome of a finished (or killed) command. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr,
                         boolean timedOut, Duration elapsed) {
        public Result {
            command = List.copyOf(command);
        }

        /** Exit code 0 and not timed out. */
        public boolean ok() {
            return exitCode == 0 && !timedOut;
        }

        /** Returns this, or throws {@link CmdException} unless {@link #ok()}. */
        public Result orThrow() {
            if (!ok()) {
                throw new CmdException(this);
            }
            return this;
        }

        /** Non-empty stdout lines. */
        public List<String> lines() {
            return stdout.lines().filter(l -> !l.isBlank()).toList();
        }

        @Override
        public String toString() {
            return "Result[" + String.join(" ", command) + " -> " + (timedOut ? "TIMEOUT" : exitCode) + "]";
        }
    }

    /** Runs the command; throws {@link CmdException} on non-zero exit or timeout. */
    public static Result run(String... command) {
        return of(command).run();
    }

    public static Result run(List<String> command) {
        return of(command).run();
    }

    public static Result run(Duration timeout, String... command) {
        return of(command).timeout(timeout).run();
    }

    /** Runs the command and returns its result whatever the exit code (a missing tool still throws). */
    public static Result tryRun(String... command) {
        return of(command).tryRun();
    }

    public static Result tryRun(List<String> command) {
        return of(command).tryRun();
    }

    public static Result tryRun(Duration timeout, String... command) {
        return of(command).timeout(timeout).tryRun();
    }

    /**
     * The argument list that runs {@code cmd} inside network namespace {@code ns} via
     * {@code ip netns exec ns ...}. A null {@code ns} means the root namespace: {@code cmd} unchanged.
     * The inner program is resolved to an absolute path here (ip execs it with its own PATH lookup).
     */
    public static String[] inNetns(String ns, String... cmd) {
        if (cmd.length == 0) {
            throw new IllegalArgumentException("empty command");
        }
        if (ns == null) {
            return cmd.clone();
        }
        String[] out = new String[cmd.length + 4];
        out[0] = Tools.which("ip");
        out[1] = "netns";
        out[2] = "exec";
        out[3] = ns;
        out[4] = Tools.which(cmd[0]);
        System.arraycopy(cmd, 1, out, 5, cmd.length - 1);
        return out;
    }

    /** Shortcut for {@code run(inNetns(ns, cmd))}. */
    public static Result runInNetns(String ns, String... cmd) {
        return of(cmd).netns(ns).run();
    }

    /** Shortcut for {@code tryRun(inNetns(ns, cmd))}. */
    public static Result tryRunInNetns(String ns, String... cmd) {
        return of(cmd).netns(ns).tryRun();
    }

    public static Call of(String... command) {
        return new Call(Arrays.asList(command));
    }

    public static Call of(List<String> command) {
        return new Call(command);
    }

    /** A configurable invocation: stdin text, environment, timeout, namespace. */
    public static final class Call {
        private final List<String> command;
        private String input;
        private final Map<String, String> env = new LinkedHashMap<>();
        private final List<String> unsetPrefixes = new ArrayList<>();
        private Duration timeout = DEFAULT_TIMEOUT;
        private String netns;

        private Call(List<String> command) {
            if (command.isEmpty()) {
                throw new IllegalArgumentException("empty command");
            }
            for (String a : command) {
                Objects.requireNonNull(a, "null argument in " + command);
            }
            this.command = List.copyOf(command);
        }

        /** Text written to the command's stdin (stdin is closed immediately when not set). */
        public Call input(String text) {
            this.input = text;
            return this;
        }

        public Call env(String key, String value) {
            env.put(key, value);
            return this;
        }

        /** Removes every inherited environment variable whose name starts with the prefix. */
        public Call unsetEnvPrefix(String prefix) {
            unsetPrefixes.add(prefix);
            return this;
        }

        public Call timeout(Duration t) {
            this.timeout = Objects.requireNonNull(t);
            return this;
        }

        /** Run inside this network namespace (null = root namespace). */
        public Call netns(String ns) {
            this.netns = ns;
            return this;
        }

        /** The argument list that will actually be executed. */
        public List<String> argv() {
            String[] c = command.toArray(new String[0]);
            if (netns != null) {
                return List.of(inNetns(netns, c));
            }
            c[0] = Tools.which(c[0]);
            return List.of(c);
        }

        private ProcessBuilder builder() {
            ProcessBuilder pb = new ProcessBuilder(argv());
            Map<String, String> e = pb.environment();
            for (String p : unsetPrefixes) {
                e.keySet().removeIf(k -> k.startsWith(p));
            }
            e.putAll(env);
            return pb;
        }

        public Result run() {
            return tryRun().orThrow();
        }

        public Result tryRun() {
            ProcessBuilder pb = builder();
            List<String> argv = pb.command();
            long start = System.nanoTime();
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new PrerequisiteException("cannot start `" + String.join(" ", argv) + "`: " + e.getMessage(), e);
            }
            CompletableFuture<String> out = pump(p.getInputStream());
            CompletableFuture<String> err = pump(p.getErrorStream());
            try (OutputStream stdin = p.getOutputStream()) {
                if (input != null) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // the process may exit without reading its stdin; its exit code tells the story
            }
            boolean timedOut = false;
            try {
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    timedOut = true;
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + argv, e);
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            int code = timedOut ? -1 : p.exitValue();
            return new Result(argv, code, collect(out), collect(err), timedOut, elapsed);
        }

        /**
         * Starts the command in the background with stdout+stderr appended to {@code log}.
         * The process is stopped by {@link BackgroundProcess#close()} and, as a last resort, by a
         * JVM shutdown hook (only processes started by this JVM are ever touched).
         */
        public BackgroundProcess start(Path log) {
            return BackgroundProcess.start(builder(), log);
        }

        BackgroundProcess start(Path log, Object owner) {
            return BackgroundProcess.start(builder(), log, owner);
        }
    }

    private static CompletableFuture<String> pump(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                in.transferTo(buf);
                return buf.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, PUMPS);
    }

    private static String collect(CompletableFuture<String> f) {
        try {
            return f.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return "<output unavailable: " + e + ">";
        }
    }
}
