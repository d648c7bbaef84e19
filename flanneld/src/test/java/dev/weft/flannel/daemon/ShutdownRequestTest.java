package dev.weft.flannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.cli.NodeCommands;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * weftctl shutdown against the real status socket server (in this JVM; the stop itself, against a
 * real weftd, BGP peer and pods, is the DaemonSet pod test's): the report once the stop is done, a
 * second request joining the first, the error paths (nothing listening, a stop that does not end in
 * time), and no /shutdown on the TCP port.
 */
class ShutdownRequestTest {
    private record Run(int code, String out, String err, long millis) {
    }

    private static Run weftctl(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        long t0 = System.nanoTime();
        int code = NodeCommands.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString(), (System.nanoTime() - t0) / 1_000_000);
    }

    @Test
    void reportsTheStopOnceDoneAndASecondRequestJoinsIt(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("weftd.sock");
        GracefulStop stop = new GracefulStop();
        try (HealthServer hs = HealthServer.unix(sock, () -> true, () -> "", () -> "{}", stop::request)) {
            CompletableFuture<Run> first = CompletableFuture.supplyAsync(() -> weftctl("shutdown", "--status-socket", sock.toString()));
            assertTrue(stop.latch().await(30, TimeUnit.SECONDS), "the request released the stop");
            CompletableFuture<Run> second = CompletableFuture.supplyAsync(
                    () -> weftctl("shutdown", "--withdraw", "--status-socket", sock.toString()));
            Thread.sleep(300);
            assertFalse(first.isDone() || second.isDone(), "no answer before the stop is done");
            assertEquals(GracefulStop.Mode.RESTART, stop.mode(), "the first request's mode holds");
            stop.finished("weftd stopped for a restart: test");
            for (CompletableFuture<Run> f : java.util.List.of(first, second)) {
                Run r = f.get(30, TimeUnit.SECONDS);
                assertEquals(0, r.code(), r.toString());
                assertEquals("weftd stopped for a restart: test\n", r.out(), r.toString());
            }
            // weftd then stops listening and waits for its clients; a client that closes lets it go at once
            hs.awaitShutdownClients(Duration.ofMillis(200));
            assertFalse(Files.exists(sock), "the socket file goes with the listener");
        }
    }

    @Test
    void withdrawReachesTheStopAndTheServerWaitsForItsClientToClose(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("weftd.sock");
        GracefulStop stop = new GracefulStop();
        try (HealthServer hs = HealthServer.unix(sock, () -> true, () -> "", () -> "{}", stop::request);
             SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            client.write(ByteBuffer.wrap("POST /shutdown?withdraw=true HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)));
            assertTrue(stop.latch().await(30, TimeUnit.SECONDS));
            assertEquals(GracefulStop.Mode.WITHDRAW, stop.mode());
            stop.finished("done");
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (!new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).endsWith("done\n")) {
                assertTrue(client.read(buf) > 0, "answer before EOF");
            }
            assertTrue(new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"));
            // past the probes' connection deadline (5 s would be too long here: the hold is shown by
            // awaitShutdownClients waiting out its bound while the client keeps the connection open)
            long t0 = System.nanoTime();
            hs.awaitShutdownClients(Duration.ofMillis(700));
            long waited = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(waited >= 600, "waited for the open client: " + waited + " ms");
            client.close();
        }
    }

    @Test
    void unreachableWeftdIsOneLineAndExit1(@TempDir Path dir) {
        Run r = weftctl("shutdown", "--status-socket", dir.resolve("nothing.sock").toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().startsWith("weftctl: cannot reach weftd at " + dir.resolve("nothing.sock")), r.err());
        assertEquals("", r.out());
    }

    @Test
    void aStopThatDoesNotFinishInTimeIsExit1AfterTheTimeout(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("weftd.sock");
        CompletableFuture<String> never = new CompletableFuture<>();
        try (HealthServer hs = HealthServer.unix(sock, () -> true, () -> "", () -> "{}", mode -> never)) {
            Run r = weftctl("shutdown", "--timeout", "1s", "--status-socket", sock.toString());
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains("did not finish its stop within 1s"), r.err());
            assertTrue(r.millis() >= 900 && r.millis() < 10_000, "bounded by --timeout: " + r.millis() + " ms");
        }
        Run bad = weftctl("shutdown", "--timeout", "soon", "--status-socket", sock.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("invalid duration"), bad.err());
    }

    @Test
    void theTcpPortHasNoShutdown() throws Exception {
        GracefulStop stop = new GracefulStop();
        try (HealthServer hs = new HealthServer("127.0.0.1", 0, () -> true, () -> "")) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + hs.port() + "/shutdown")).POST(HttpRequest.BodyPublishers.noBody())
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, r.statusCode(), r.body());
            assertEquals(1, stop.latch().getCount());
        }
    }
}
