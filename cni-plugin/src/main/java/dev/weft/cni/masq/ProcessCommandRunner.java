package dev.weft.cni.masq;

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
import java.util.concurrent.TimeUnit;

/** {@link CommandRunner} on {@link ProcessBuilder}. */
final class ProcessCommandRunner implements CommandRunner {
    /**
     * Runtimes often exec plugins with a PATH that lacks the sbin directories, where every
     * firewall tool lives; the reference finds them through PATH only and fails there.
     */
    private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin",
            "/usr/local/sbin", "/usr/local/bin");
    /** Far above any real run; only a wedged tool gets here, and then the plugin must not hang for ever. */
    private static final long TIMEOUT_SECONDS = 120;

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
        // stderr is drained on a second thread: a tool that fills one pipe while we block on the
        // other would deadlock (iptables-save of a big node prints megabytes).
        StreamCollector err = new StreamCollector(p.getErrorStream());
        err.start();
        try {
            try (OutputStream in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // The tool may exit without reading; its exit code and stderr say why.
            }
            String out = new String(readAll(p.getInputStream()), StandardCharsets.UTF_8);
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(argv, -1, out, "timed out after " + TIMEOUT_SECONDS + "s");
            }
            err.join();
            return new Result(argv, p.exitValue(), out, err.text());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new Result(argv, -1, "", "interrupted");
        } catch (IOException e) {
            p.destroyForcibly();
            throw new UncheckedIOException("reading output of " + program, e);
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

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toByteArray();
    }

    private static final class StreamCollector extends Thread {
        private final InputStream in;
        private volatile String text = "";

        StreamCollector(InputStream in) {
            super("weft-masq-stderr");
            setDaemon(true);
            this.in = in;
        }

        @Override
        public void run() {
            try {
                text = new String(readAll(in), StandardCharsets.UTF_8);
            } catch (IOException e) {
                text = "(stderr unreadable: " + e.getMessage() + ")";
            }
        }

        String text() {
            return text;
        }
    }
}
