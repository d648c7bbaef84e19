package dev.weft.testkit;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CmdTest {

    @Test
    void capturesStdoutAndStderrSeparately() {
        Cmd.Result r = Cmd.run("sh", "-c", "echo out; echo err >&2");
        assertEquals("out\n", r.stdout());
        assertEquals("err\n", r.stderr());
        assertEquals(0, r.exitCode());
        assertTrue(r.ok());
        assertTrue(r.command().get(0).startsWith("/"), "program resolved to an absolute path: " + r.command());
    }

    @Test
    void argumentsAreNotInterpretedByAShell() {
        Cmd.Result r = Cmd.run("echo", "a b", "$HOME", ";", "|");
        assertEquals("a b $HOME ; |\n", r.stdout());
    }

    @Test
    void runThrowsWithCommandExitCodeAndStderr() {
        CmdException e = assertThrows(CmdException.class, () -> Cmd.run("ls", "/nonexistent-wt-path"));
        assertEquals(2, e.result().exitCode());
        assertTrue(e.getMessage().contains("ls /nonexistent-wt-path"), e.getMessage());
        assertTrue(e.getMessage().contains("exit code 2"), e.getMessage());
        assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
    }

    @Test
    void tryRunReturnsFailuresAsResults() {
        Cmd.Result r = Cmd.tryRun("sh", "-c", "echo partial; exit 7");
        assertFalse(r.ok());
        assertEquals(7, r.exitCode());
        assertEquals("partial\n", r.stdout());
        assertThrows(CmdException.class, r::orThrow);
    }

    @Test
    void timeoutKillsTheCommand() {
        long t0 = System.nanoTime();
        Cmd.Result r = Cmd.tryRun(Duration.ofMillis(300), "sleep", "30");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(r.timedOut());
        assertFalse(r.ok());
        assertTrue(ms < 5000, "took " + ms + " ms");
        CmdException e = assertThrows(CmdException.class, () -> Cmd.run(Duration.ofMillis(200), "sleep", "30"));
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
    }

    @Test
    void stdinInputAndEnvironment() {
        assertEquals("hello\n", Cmd.of("cat").input("hello\n").run().stdout());
        assertEquals("v1\n", Cmd.of("sh", "-c", "echo $WT_X").env("WT_X", "v1").run().stdout());
        assertEquals("\n", Cmd.of("sh", "-c", "echo $HOME").unsetEnvPrefix("HOME").run().stdout());
    }

    @Test
    void missingToolIsALoudPrerequisiteFailure() {
        PrerequisiteException e = assertThrows(PrerequisiteException.class,
                () -> Cmd.tryRun("wt-no-such-tool-xyz", "--help"));
        assertTrue(e.getMessage().contains("wt-no-such-tool-xyz"), e.getMessage());
        PrerequisiteException e2 = assertThrows(PrerequisiteException.class, () -> Tools.which("/nonexistent/etcd"));
        assertTrue(e2.getMessage().contains("apt-get install etcd-server"), e2.getMessage());
    }

    @Test
    void inNetnsPrefixesIpNetnsExec() {
        String[] argv = Cmd.inNetns("wt-abc", "ping", "-c1", "10.0.0.1");
        assertEquals(List.of("netns", "exec", "wt-abc"), List.of(argv).subList(1, 4));
        assertTrue(argv[0].endsWith("/ip"));
        assertTrue(argv[4].endsWith("/ping"));
        assertEquals(List.of("-c1", "10.0.0.1"), List.of(argv).subList(5, 7));
        assertArrayEquals(new String[] {"ping", "-c1"}, Cmd.inNetns(null, "ping", "-c1"));
    }

    @Test
    void namesAreShortUniqueAndPrefixed() {
        String a = Names.unique();
        String b = Names.unique("veth");
        assertTrue(a.startsWith("wt-") && a.length() == 10, a);
        assertTrue(b.startsWith("wt-") && b.endsWith("-veth") && b.length() <= 15, b);
        assertFalse(a.equals(Names.unique()));
        assertThrows(IllegalArgumentException.class, () -> Names.unique("toolong"));
        assertThrows(IllegalArgumentException.class, () -> Names.requirePrefixed("netns", "foo"));
    }
}
