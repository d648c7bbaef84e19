package dev.weft.exec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Fake firewall tools that never exit (each starts a child that keeps the pipes open and waits for
 * it), behind a {@link CommandRunner} with a short timeout that runs them in place of the real ones.
 * Each run records its PIDs, so a test can check that nothing outlived the kill.
 *
 * <pre>{@code
 * HangingTools tools = HangingTools.in(tempDir, Duration.ofMillis(500), "iptables-save", "nft");
 * assertThrows(SomeError.class, () -> new Thing(tools.runner()).doIt());
 * tools.assertNoneLeft();
 * }</pre>
 */
public final class HangingTools {
    private final Path dir;
    private final List<String> names;
    private final CommandRunner runner;

    private HangingTools(Path dir, List<String> names, CommandRunner runner) {
        this.dir = dir;
        this.names = names;
        this.runner = runner;
    }

    public static HangingTools in(Path dir, Duration timeout, String... tools) {
        List<String> names = List.of(tools);
        try {
            for (String tool : names) {
                Path t = dir.resolve(tool);
                Files.writeString(t, "#!/bin/sh\nsleep 1000 &\necho $$ $! >> " + dir.resolve("pids") + "\nwait\n");
                if (!t.toFile().setExecutable(true)) {
                    throw new IOException("cannot make " + t + " executable");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CommandRunner inner = CommandRunner.local(new CommandRunner.Limits(timeout, 1 << 20, 1 << 12));
        return new HangingTools(dir, names, new CommandRunner() {
            @Override
            public Result run(List<String> argv, String stdin) {
                List<String> a = new ArrayList<>(argv);
                a.set(0, dir.resolve(argv.get(0)).toString());
                return inner.run(a, stdin);
            }

            @Override
            public boolean hasTool(String program) {
                return names.contains(program);
            }
        });
    }

    /** Runs the fake tools in place of the real ones of the same name. */
    public CommandRunner runner() {
        return runner;
    }

    /** Fails unless at least one fake ran and every process any of them started is gone. */
    public void assertNoneLeft() {
        List<String> pids;
        try {
            pids = List.of(Files.readString(dir.resolve("pids")).trim().split("\\s+"));
        } catch (IOException e) {
            throw new AssertionError("none of " + names + " ran", e);
        }
        for (String pid : pids) {
            if (ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false)) {
                throw new AssertionError("process " + pid + " started by a fake " + names + " is still there");
            }
        }
    }
}
