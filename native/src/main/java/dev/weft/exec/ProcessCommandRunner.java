package dev.weft.exec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** {@link CommandRunner} on {@link ProcessBuilder}. */
final class ProcessCommandRunner implements CommandRunner {
    /** A daemon started by systemd or a container runtime may have a PATH without the sbin directories. */
    private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin",
            "/usr/local/sbin", "/usr/local/bin");
    /** Far above any real run (iptables -w waits for the xtables lock); only a wedged tool gets here. */
    private static final long TIMEOUT_SECONDS = 60;

    private final String netns;

    ProcessCommandRunner(String netns) {
        this.netns = netns;
    }

    @Override
    public boolean hasTool(String program) {
        return resolve(program) != null;
    }

    @Override
    public Result run(List<String> argv, String stdin) {
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

        Process p;
        try {
            p = new ProcessBuilder(full).start();
        } catch (IOException e) {
            throw new ToolMissingException("cannot start " + program + ": " + e.getMessage());
        }
        // Both pipes are drained concurrently: a tool that fills one while we block on the other
        // would deadlock (iptables-save of a kube-proxy node prints megabytes).
        CompletableFuture<String> err = new CompletableFuture<>();
        Thread errReader = new Thread(() -> {
            try {
                err.complete(readAll(p.getErrorStream()));
            } catch (RuntimeException e) {
                err.completeExceptionally(e);
            }
        }, "weft-exec-stderr");
        errReader.setDaemon(true);
        errReader.start();
        try {
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // The tool may exit without reading; its exit code and stderr say why.
            }
            String out = readAll(p.getInputStream());
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(argv, -1, out, "timed out after " + TIMEOUT_SECONDS + "s");
            }
            // stdout is what callers plan on (iptables-save): never dropped, whatever happens to stderr
            return new Result(argv, p.exitValue(), out, stderrOf(err));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Result(argv, -1, "", "interrupted");
        }
    }

    /** The tool has exited, so its stderr is at EOF; the wait only covers a slow reader thread. */
    private static String stderrOf(CompletableFuture<String> err) throws InterruptedException {
        try {
            return err.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            return "(stderr unreadable: " + e + ")";
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

    private static String readAll(InputStream in) {
        try (in) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            return b.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
