package dev.weft.bgp.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.weft.bgp.status.StatusServer.Limits;
import dev.weft.bgp.status.StatusServer.Listener;
import java.io.InputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 100,000-route table is streamed a page at a time: while the client does not read, the server
 * stops asking the agent for pages (so it holds about one page, not the table); once the client
 * reads, every route arrives, in order, as one JSON document.
 */
class LargeDumpTest {
    static final int ROUTES = 100_000;
    static final int PAGE = 1000;

    @TempDir
    Path dir;

    @Test
    void hundredThousandRoutesStreamInBoundedPages() throws Exception {
        FakeStatus source = new FakeStatus(ROUTES);
        Path sock = dir.resolve("bgp.sock");
        // a long deadline: the test holds the connection unread on purpose while it watches the server
        Limits limits = new Limits(4096, 8192, 8, Duration.ofSeconds(60), PAGE);
        try (StatusServer server = new StatusServer(source, List.of(Listener.unix(sock)), limits, StatusServerTest.CLOCK);
             SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            ch.write(ByteBuffer.wrap("GET /bgp/routes?family=ipv4 HTTP/1.1\r\nHost: x\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)));
            // not reading: the socket buffers fill and the server must stop asking for pages
            int asked = settled(source);
            assertTrue(asked < ROUTES / PAGE / 4, "pages asked while the client reads nothing: " + asked);
            assertEquals(PAGE, source.largestPage.get());

            InputStream in = Channels.newInputStream(ch);
            skipHead(in);
            int n = 0;
            try (JsonParser p = StatusJson.MAPPER.createParser(in)) {
                assertEquals(JsonToken.START_OBJECT, p.nextToken());
                while (p.nextToken() != JsonToken.END_OBJECT) {
                    String field = p.currentName();
                    p.nextToken();
                    if (field.equals("routes")) {
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            RouteView r = StatusJson.MAPPER.readValue(p, RouteView.class);
                            assertEquals(FakeStatus.prefix(n).toString(), r.prefix());
                            n++;
                        }
                    } else {
                        p.skipChildren();
                    }
                }
            }
            assertEquals(ROUTES, n);
            assertEquals(ROUTES / PAGE, source.pagesAsked.get());
        }
    }

    /** Waits until the number of pages asked stops growing for a second (the server is blocked on the socket). */
    private static int settled(FakeStatus source) throws InterruptedException {
        int last = -1;
        int stable = 0;
        for (int i = 0; i < 300 && stable < 10; i++) {
            Thread.sleep(100);
            int now = source.pagesAsked.get();
            stable = now == last ? stable + 1 : 0;
            last = now;
        }
        return last;
    }

    private static void skipHead(InputStream in) throws Exception {
        int tail = 0;
        while (tail != 0x0d0a0d0a) {
            int b = in.read();
            assertTrue(b >= 0, "no response head");
            tail = tail << 8 | b;
        }
    }
}
