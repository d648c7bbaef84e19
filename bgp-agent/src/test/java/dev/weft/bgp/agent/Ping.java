package dev.weft.bgp.agent;

import dev.weft.testkit.BackgroundProcess;
import dev.weft.testkit.Cmd;
import dev.weft.testkit.Underlay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Live traffic between two "pods": an address on {@code lo} of one speaker's namespace pinging an
 * address on {@code lo} of another, so that it only gets through over the routes BGP installed in
 * both kernels. Runs until {@link #finish} (SIGINT: ping prints its summary), counted from the summary.
 */
final class Ping implements AutoCloseable {
    /** 50 packets a second: a gap of 20 ms is one lost packet, 1 % of a 20 s run is 200 ms. */
    static final String INTERVAL = "0.02";

    private final Path dir;
    private final BackgroundProcess process;

    private Ping(Path dir, BackgroundProcess process) {
        this.dir = dir;
        this.process = process;
    }

    /** Puts {@code address}/32 on the node's lo: the pod behind the speaker. */
    static void addPod(Underlay.Node node, String address) {
        node.exec("ip", "addr", "add", address + "/32", "dev", "lo");
    }

    /** Waits until one ping from {@code src} to {@code dst} is answered (the routes are in both kernels). */
    static void awaitReachable(Underlay.Node from, String src, String dst) {
        AgentNode.await(() -> from.tryExec("ping", "-n", "-c", "1", "-W", "1", "-I", src, dst).ok() ? Boolean.TRUE : null,
                src + " reaching " + dst);
    }

    /** Starts pinging (at most two minutes, as a bound should {@link #finish} never come). */
    static Ping start(Underlay.Node from, String src, String dst) {
        try {
            Path dir = Files.createTempDirectory("wt-ping-");
            BackgroundProcess p = Cmd.of("ping", "-n", "-q", "-i", INTERVAL, "-w", "120", "-I", src, dst)
                    .netns(from.netns()).start(dir.resolve("ping.log"));
            return new Ping(dir, p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops the ping with SIGINT and reads its summary. */
    Result finish() {
        Cmd.run("kill", "-INT", Long.toString(process.pid()));
        try {
            if (process.waitFor(Duration.ofSeconds(10)) == null) {
                throw new AssertionError("ping did not stop on SIGINT");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return Result.parse(process.logTail(2000));
    }

    @Override
    public void close() {
        process.close();
        try {
            Files.deleteIfExists(dir.resolve("ping.log"));
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }

    /** Packets sent and answered. */
    record Result(long sent, long received) {
        double lossPercent() {
            return sent == 0 ? 100.0 : 100.0 * (sent - received) / sent;
        }

        /** From "N packets transmitted, M received, ..." in a bounded tail of ping's output. */
        static Result parse(String tail) {
            int at = tail.indexOf(" packets transmitted, ");
            if (at < 0) {
                throw new AssertionError("no ping summary in:\n" + tail);
            }
            int start = tail.lastIndexOf('\n', at) + 1;
            int recvStart = at + " packets transmitted, ".length();
            int recvEnd = tail.indexOf(' ', recvStart);
            return new Result(Long.parseLong(tail.substring(start, at).trim()),
                    Long.parseLong(tail.substring(recvStart, recvEnd).trim()));
        }

        @Override
        public String toString() {
            return String.format("%d sent, %d received, %.2f %% loss", sent, received, lossPercent());
        }
    }
}
