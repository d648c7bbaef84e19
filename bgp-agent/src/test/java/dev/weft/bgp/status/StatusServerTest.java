package dev.weft.bgp.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.bgp.status.StatusServer.Exposure;
import dev.weft.bgp.status.StatusServer.Limits;
import dev.weft.bgp.status.StatusServer.Listener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusServerTest {
    static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(FakeStatus.NOW), ZoneOffset.UTC);

    @TempDir
    Path dir;
    StatusServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    Path start(FakeStatus source, Limits limits) throws IOException {
        Path sock = dir.resolve("bgp.sock");
        server = new StatusServer(source, List.of(Listener.unix(sock)), limits, CLOCK);
        return sock;
    }

    /** Sends raw bytes, reads to EOF: status line, headers and body as one string. */
    static String exchange(Path sock, String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
            return readAll(ch);
        }
    }

    static String readAll(SocketChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        while (ch.read(buf.clear()) >= 0) {
            out.write(buf.array(), 0, buf.position());
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static String get(Path sock, String path) throws IOException {
        return exchange(sock, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
    }

    static String body(String response) {
        assertTrue(response.startsWith("HTTP/1.1 200 "), response.lines().findFirst().orElse(""));
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    @Test
    void socketIsRootOnly() throws IOException {
        Path sock = start(new FakeStatus(1), Limits.DEFAULT);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
    }

    @Test
    void peersJson() throws IOException {
        Path sock = start(new FakeStatus(3), Limits.DEFAULT);
        String r = get(sock, "/bgp/peers");
        assertTrue(r.contains("content-type: application/json"), r);
        JsonNode doc = StatusJson.MAPPER.readTree(body(r));
        assertEquals(FakeStatus.NOW, doc.get("nowMillis").asLong());
        assertEquals("10.99.0.1", doc.at("/speaker/routerId").asText());
        assertEquals(64512, doc.at("/speaker/localAs").asLong());
        assertEquals(3, doc.at("/speaker/locRibRoutes/IPV4_UNICAST").asLong());
        JsonNode up = doc.at("/peers/0");
        assertEquals("10.99.0.2", up.get("address").asText());
        assertEquals("ESTABLISHED", up.get("state").asText());
        assertEquals("IBGP", up.get("type").asText());
        assertTrue(up.get("rrClient").asBoolean());
        assertEquals(90, up.get("holdTime").asInt());
        assertEquals(10, up.at("/prefixes/IPV4_UNICAST/accepted").asLong());
        assertEquals(40, up.at("/messagesIn/update").asLong());
        assertEquals(1, up.at("/keepalives/late").asLong());
        assertEquals(11.5, up.at("/keepalives/maxLatenessSeconds").asDouble());
        assertTrue(up.get("lastError").isNull());
        JsonNode down = doc.at("/peers/1");
        assertEquals("SENT", down.at("/lastError/direction").asText());
        assertEquals(6, down.at("/lastError/code").asInt());
        assertEquals("6/2 cease: administrative shutdown", down.at("/lastError/text").asText());
        assertEquals(2, down.at("/notificationsReceived/2").asLong());
        // and weftctl's records read it back whole
        StatusJson.PeersDoc back = StatusJson.MAPPER.readValue(body(r), StatusJson.PeersDoc.class);
        assertEquals(List.of(FakeStatus.established(), FakeStatus.down()), back.peers());
    }

    @Test
    void routesJsonWithPaging() throws IOException {
        Path sock = start(new FakeStatus(5), new Limits(4096, 8192, 8, Duration.ofSeconds(5), 2));
        JsonNode all = StatusJson.MAPPER.readTree(body(get(sock, "/bgp/routes?family=ipv4")));
        assertEquals("IPV4_UNICAST", all.get("family").asText());
        assertEquals(5, all.get("routes").size());
        assertEquals("10.0.0.4/32", all.at("/routes/4/prefix").asText());
        assertTrue(all.at("/routes/0/paths/0/best").asBoolean());
        assertEquals("65001 65002", all.at("/routes/0/paths/0/asPath").asText());
        assertEquals(100, all.at("/routes/0/paths/0/localPref").asLong());
        assertTrue(all.at("/routes/0/paths/0/med").isNull());
        assertTrue(all.at("/routes/0/paths/1/multipath").asBoolean());
        assertTrue(all.at("/routes/0/paths/1/stale").asBoolean());
        assertTrue(all.get("next").isNull());

        JsonNode page = StatusJson.MAPPER.readTree(body(get(sock, "/bgp/routes?family=ipv4&limit=3&after=10.0.0.0/32")));
        assertEquals(3, page.get("routes").size());
        assertEquals("10.0.0.1/32", page.at("/routes/0/prefix").asText());
        assertEquals("10.0.0.3/32", page.get("next").asText());
        StatusJson.RoutesDoc doc = StatusJson.MAPPER.readValue(body(get(sock, "/bgp/routes?family=ipv4&after=10.0.0.3/32")),
                StatusJson.RoutesDoc.class);
        assertEquals(List.of(FakeStatus.route(4)), doc.routes());
        assertEquals(null, doc.next());

        assertEquals(0, StatusJson.MAPPER.readTree(body(get(sock, "/bgp/routes?family=ipv6"))).get("routes").size());
        assertTrue(get(sock, "/bgp/routes?family=ipx").startsWith("HTTP/1.1 400 "));
        assertTrue(get(sock, "/bgp/routes?family=ipv4&limit=0").startsWith("HTTP/1.1 400 "));
        assertTrue(get(sock, "/bgp/routes?family=ipv4&after=fd00::/64").startsWith("HTTP/1.1 400 "));
    }

    @Test
    void healthz() throws IOException {
        Path sock = start(new FakeStatus(0), Limits.DEFAULT);
        assertEquals("weft-bgp is running\n", body(get(sock, "/healthz")));
    }

    @Test
    void refusals() throws IOException {
        Path sock = start(new FakeStatus(0), Limits.DEFAULT);
        assertTrue(get(sock, "/bgp/nothing").startsWith("HTTP/1.1 404 "));
        assertTrue(get(sock, "/").startsWith("HTTP/1.1 404 "));
        String post = exchange(sock, "POST /bgp/peers HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        assertTrue(post.startsWith("HTTP/1.1 405 "), post);
        assertTrue(post.contains("allow: GET") || post.contains("Allow: GET"), post);
        String withBody = exchange(sock, "GET /bgp/peers HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
        assertTrue(withBody.startsWith("HTTP/1.1 413 "), withBody);
        String bigHeader = exchange(sock, "GET /bgp/peers HTTP/1.1\r\nHost: x\r\nX-Pad: " + "a".repeat(9000) + "\r\n\r\n");
        assertTrue(bigHeader.startsWith("HTTP/1.1 431 "), bigHeader);
        String longLine = exchange(sock, "GET /" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(longLine.startsWith("HTTP/1.1 414 "), longLine);
    }

    @Test
    void tcpListenerServesOnlyMetrics() throws IOException {
        server = new StatusServer(new FakeStatus(1), List.of(Listener.tcp("127.0.0.1", 0, Exposure.METRICS_ONLY)),
                Limits.DEFAULT, CLOCK);
        InetSocketAddress a = (InetSocketAddress) server.addresses().get(0);
        assertTrue(tcpGet(a, "/metrics").startsWith("HTTP/1.1 200 "));
        assertTrue(tcpGet(a, "/healthz").startsWith("HTTP/1.1 200 "));
        assertTrue(tcpGet(a, "/bgp/peers").startsWith("HTTP/1.1 404 "));
        assertTrue(tcpGet(a, "/bgp/routes").startsWith("HTTP/1.1 404 "));
    }

    static String tcpGet(InetSocketAddress a, String path) throws IOException {
        try (SocketChannel ch = SocketChannel.open(a)) {
            ch.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
            return readAll(ch);
        }
    }

    @Test
    void slowClientIsCutAtTheDeadline() throws IOException {
        Path sock = start(new FakeStatus(0), new Limits(4096, 8192, 8, Duration.ofMillis(300), 1000));
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(sock));
            // half a request, then nothing: a slowloris; the server must close without answering
            ch.write(ByteBuffer.wrap("GET /healthz HTTP/1.1\r\nHost:".getBytes(StandardCharsets.US_ASCII)));
            // a bound so that a server without the deadline fails the test instead of hanging it
            assertEquals("", assertTimeoutPreemptively(Duration.ofSeconds(20), () -> readAll(ch)));
        }
        // and an honest client still gets its answer afterwards
        assertEquals("weft-bgp is running\n", body(get(sock, "/healthz")));
    }

    @Test
    void agentThatFailsGets503() throws IOException {
        FakeStatus failing = new FakeStatus(0) {
            @Override
            public java.util.concurrent.CompletionStage<List<PeerView>> peers() {
                return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("RIB thread gone"));
            }
        };
        Path sock = start(failing, Limits.DEFAULT);
        String r = get(sock, "/bgp/peers");
        assertTrue(r.startsWith("HTTP/1.1 503 "), r);
        assertFalse(get(sock, "/healthz").isEmpty());
    }
}
