package dev.weft.flannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class HealthServerTest {
    /**
     * Hang guard for one exchange or one wait for the server to close a connection: far above any
     * honest answer on a loaded 2-core machine, so it only ends a test that would otherwise hang.
     */
    private static final Duration HANG_GUARD = Duration.ofSeconds(30);
    /** The server side connection deadline the tests run with: short, so the tests are quick. */
    private static final Duration TIMEOUT = Duration.ofMillis(500);

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(HANG_GUARD).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port));
        s.setSoTimeout((int) HANG_GUARD.toMillis());
        return s;
    }

    /** Reads until the server ends the connection: EOF, or a reset when it closed with our bytes unread. */
    private static byte[] readUntilClosedByServer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server left the connection open (" + HANG_GUARD + " without EOF); got "
                    + got.size() + " bytes", e);
        } catch (SocketException reset) {
            // closed by the server while bytes we sent were still unread: also closed
        }
        return got.toByteArray();
    }

    @Test
    void stalledAndSlowClientsAreCutOffWhileProbesKeepAnswering() throws Exception {
        AtomicBoolean ready = new AtomicBoolean(true);
        try (HealthServer hs = new HealthServer("127.0.0.1", 0, ready::get, () -> "", TIMEOUT)) {
            int port = hs.port();
            // several clients that send one byte and hang (more than a small pool has workers)
            List<Socket> stalled = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                Socket s = connect(port);
                s.getOutputStream().write('G');
                s.getOutputStream().flush();
                stalled.add(s);
            }
            // a slowloris: a request head that never ends, one byte at a time
            CompletableFuture<String> slowloris = CompletableFuture.supplyAsync(() -> {
                byte[] head = "GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII);
                try (Socket s = connect(port)) {
                    OutputStream out = s.getOutputStream();
                    for (int i = 0; i < HANG_GUARD.toMillis() / 20; i++) {
                        out.write(i < head.length ? head[i] : 'x');
                        out.flush();
                        Thread.sleep(20);
                    }
                    return "still connected after " + HANG_GUARD;
                } catch (IOException e) {
                    return "cut off";
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return "interrupted";
                }
            });
            // meanwhile probes from another client keep answering
            for (int i = 0; i < 10; i++) {
                assertEquals(200, get(port, "/healthz").statusCode());
                assertEquals(200, get(port, "/readyz").statusCode());
            }
            for (Socket s : stalled) {
                try (s) {
                    assertEquals(0, readUntilClosedByServer(s).length, "a stalled client gets no answer, only a close");
                }
            }
            assertEquals("cut off", slowloris.get(2 * HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS));
            assertEquals(200, get(port, "/healthz").statusCode());
        }
    }

    @Test
    void aRequestOverTheSizeBoundIsRefusedAndTheConnectionClosed() throws Exception {
        try (HealthServer hs = new HealthServer("127.0.0.1", 0, () -> true, () -> "", TIMEOUT)) {
            for (String big : List.of(
                    "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(16 * 1024) + "\r\n\r\n",
                    "GET /healthz?" + "a".repeat(16 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n",
                    "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + "b".repeat(100_000))) {
                try (Socket s = connect(hs.port())) {
                    CompletableFuture<Void> send = CompletableFuture.runAsync(() -> {
                        try {
                            s.getOutputStream().write(big.getBytes(StandardCharsets.US_ASCII));
                        } catch (IOException closedMidway) {
                            // the server may stop reading once it has refused the request
                        }
                    });
                    String answer = new String(readUntilClosedByServer(s), StandardCharsets.US_ASCII);
                    assertTrue(answer.startsWith("HTTP/1.1 413 "), "answer: " + answer);
                    send.get(HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
            assertEquals(200, get(hs.port(), "/healthz").statusCode());
        }
    }

    @Test
    void servesHealthReadinessAndTheBackendsMetrics() throws Exception {
        AtomicBoolean ready = new AtomicBoolean();
        String metrics = "# TYPE weft_udp_packets_total counter\nweft_udp_packets_total{path=\"tun_rx\"} 7\n";
        try (HealthServer hs = new HealthServer("127.0.0.1", 0, ready::get, () -> metrics)) {
            assertEquals(200, get(hs.port(), "/healthz").statusCode());
            assertEquals(503, get(hs.port(), "/readyz").statusCode());
            ready.set(true);
            assertEquals(200, get(hs.port(), "/readyz").statusCode());
            HttpResponse<String> m = get(hs.port(), "/metrics");
            assertEquals(200, m.statusCode());
            assertEquals(metrics, m.body());
            assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        }
    }

    @Test
    void udpOffloadFlagDefaultsOnAndCanBeForcedOff() {
        WeftdOptions d = new WeftdOptions();
        new CommandLine(d).parseArgs();
        assertTrue(d.udpOffload);
        WeftdOptions off = new WeftdOptions();
        new CommandLine(off).parseArgs("-udp-offload=false");
        assertFalse(off.udpOffload);
        WeftdOptions off2 = new WeftdOptions();
        new CommandLine(off2).parseArgs("--udp-offload", "false");
        assertFalse(off2.udpOffload);
    }
}
