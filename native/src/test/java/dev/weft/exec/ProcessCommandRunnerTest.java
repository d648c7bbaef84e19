package dev.weft.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commands that hang or flood: they are killed, with every process they started, and the caller
 * gets an exception naming the command. Scripts written here stand in for a wedged iptables.
 */
class ProcessCommandRunnerTest {
    private static final CommandRunner.Limits SHORT = new CommandRunner.Limits(Duration.ofMillis(1500), 1 << 16, 1 << 10); // a shell start on a loaded CI machine fits

    /** A fake tool that starts a sleeping child, writes both PIDs, and waits for the child. */
    private static Path hangingTool(Path dir) throws IOException {
        Path tool = dir.resolve("iptables-save");
        Files.writeString(tool, "#!/bin/sh\n"
                + "sleep 1000 &\n"
                + "echo $$ > " + dir.resolve("tool.pid") + "\n"
                + "echo $! > " + dir.resolve("child.pid") + "\n"
                + "echo partial output\n"
                + "wait\n");
        assertTrue(tool.toFile().setExecutable(true));
        return tool;
    }

    private static long pid(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).strip());
    }

    private static void assertGone(long pid) {
        // A killed process can linger as a zombie until its parent reaps it; a zombie is not alive here.
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "process " + pid + " is gone");
    }

    @Test
    void aHangingToolIsKilledWithItsChildrenAndNamed(@TempDir Path dir) throws IOException {
        Path tool = hangingTool(dir);
        CommandRunner runner = CommandRunner.local(SHORT);

        CommandRunner.TimeoutException e = assertThrows(CommandRunner.TimeoutException.class,
                () -> runner.run(List.of(tool.toString(), "-t", "nat"), null));

        assertTrue(e.getMessage().startsWith(tool + " -t nat: timed out after 1500 ms"), e.getMessage());
        assertEquals(List.of(tool.toString(), "-t", "nat"), e.command());
        assertGone(pid(dir.resolve("tool.pid")));
        assertGone(pid(dir.resolve("child.pid")));
    }

    @Test
    void aDetachedGrandchildIsKilledToo(@TempDir Path dir) throws IOException {
        Path tool = dir.resolve("iptables-restore");
        // The subshell exits at once: its sleep is re-parented before anyone can list it as a descendant.
        Files.writeString(tool, "#!/bin/sh\n(sleep 1000 & echo $! > " + dir.resolve("orphan.pid") + ")\n"
                + "echo $$ > " + dir.resolve("tool.pid") + "\nexec sleep 1000\n");
        assertTrue(tool.toFile().setExecutable(true));

        assertThrows(CommandRunner.TimeoutException.class,
                () -> CommandRunner.local(SHORT).run(List.of(tool.toString(), "-w"), null));
        assertGone(pid(dir.resolve("tool.pid")));
        assertGone(pid(dir.resolve("orphan.pid")));
    }

    @Test
    void anInterruptedCallerStartsNothing() {
        Thread.currentThread().interrupt();
        try {
            CommandRunner.Result r = CommandRunner.local(SHORT).run(List.of("sh", "-c", "echo started"), null);
            assertEquals(-1, r.exitCode());
            assertEquals("interrupted", r.stderr());
        } finally {
            assertTrue(Thread.interrupted());
        }
    }

    @Test
    void aToolThatNeverReadsItsInputStillTimesOut(@TempDir Path dir) throws IOException {
        Path tool = dir.resolve("iptables-restore");
        Files.writeString(tool, "#!/bin/sh\necho $$ > " + dir.resolve("tool.pid") + "\nexec sleep 1000\n");
        assertTrue(tool.toFile().setExecutable(true));
        String bigScript = "-A X -j ACCEPT\n".repeat(100_000);   // far more than a pipe buffer

        assertThrows(CommandRunner.TimeoutException.class,
                () -> CommandRunner.local(SHORT).run(List.of(tool.toString(), "-w"), bigScript));
        assertGone(pid(dir.resolve("tool.pid")));
    }

    @Test
    void aFloodingToolIsKilledAtTheOutputLimit(@TempDir Path dir) throws IOException {
        Path tool = dir.resolve("nft");
        Files.writeString(tool, "#!/bin/sh\necho $$ > " + dir.resolve("tool.pid") + "\nexec yes 'table ip flood'\n");
        assertTrue(tool.toFile().setExecutable(true));
        CommandRunner runner = CommandRunner.local(new CommandRunner.Limits(Duration.ofSeconds(60), 1 << 16, 1 << 10));

        CommandRunner.OutputLimitException e = assertThrows(CommandRunner.OutputLimitException.class,
                () -> runner.run(List.of(tool.toString(), "list", "ruleset"), null));

        assertTrue(e.getMessage().contains("printed more than 65536 bytes"), e.getMessage());
        assertGone(pid(dir.resolve("tool.pid")));
    }

    @Test
    void aNormalToolKeepsItsOutputExitCodeAndInput() {
        CommandRunner.Result r = CommandRunner.local(SHORT).run(List.of("sh", "-c", "cat; echo err >&2; exit 3"), "in\n");
        assertEquals("in\n", r.stdout());
        assertEquals("err\n", r.stderr());
        assertEquals(3, r.exitCode());
        assertEquals(List.of("sh", "-c", "cat; echo err >&2; exit 3"), r.command());
    }

    @Test
    void stderrIsCutNotFatal() {
        CommandRunner.Result r = CommandRunner.local(SHORT).run(
                List.of("sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x >&2; echo done"), null);
        assertTrue(r.ok());
        assertEquals("done\n", r.stdout());
        assertTrue(r.stderr().endsWith("(cut at 1024 bytes)"), r.stderr().substring(1000));
    }

    @Test
    void aMissingToolIsNotATimeout() {
        assertThrows(CommandRunner.ToolMissingException.class,
                () -> CommandRunner.local(SHORT).run(List.of("wt-no-such-tool-anywhere"), null));
    }
}
