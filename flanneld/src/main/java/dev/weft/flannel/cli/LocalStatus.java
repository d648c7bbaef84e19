package dev.weft.flannel.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * GET /status from weftd's local status socket: one HTTP/1.1 request per connection, the whole
 * answer bounded ({@link #MAX_ANSWER}) and read within a deadline, as weftd closes after answering.
 */
final class LocalStatus {
    static final int MAX_ANSWER = 1024 * 1024;
    static final long TIMEOUT_MS = 10_000;

    private LocalStatus() {
    }

    /** The body of a 200 answer. */
    static String get(Path socket, String path) throws IOException {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new IOException("cannot reach weftd at " + socket + ": " + e.getMessage()
                    + " (is weftd running, with -status-socket " + socket + "?)", e);
        }
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "weftctl-timeout");
            t.setDaemon(true);
            return t;
        });
        try (ch) {
            watchdog.schedule(() -> {
                try {
                    ch.close(); // unblocks the read
                } catch (IOException ignored) {
                    // closing anyway
                }
            }, TIMEOUT_MS, TimeUnit.MILLISECONDS);
            ch.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
            while (ch.read(buf.clear()) >= 0) {
                all.write(buf.array(), 0, buf.position());
                if (all.size() > MAX_ANSWER) {
                    throw new IOException("weftd's answer is longer than " + MAX_ANSWER + " bytes");
                }
            }
            return body(all.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            if (!ch.isOpen() && e.getMessage() != null && !e.getMessage().startsWith("weftd")) {
                throw new IOException("weftd at " + socket + " did not answer within " + TIMEOUT_MS / 1000 + " s", e);
            }
            throw e;
        } finally {
            watchdog.shutdownNow();
        }
    }

    private static String body(String answer) throws IOException {
        int end = answer.indexOf("\r\n\r\n");
        if (!answer.startsWith("HTTP/1.1 ") || end < 0) {
            throw new IOException("weftd's answer is not HTTP");
        }
        String status = answer.substring(9, Math.min(answer.length(), 12));
        String body = answer.substring(end + 4);
        if (!status.equals("200")) {
            throw new IOException("weftd answered " + status + ": " + body.strip());
        }
        return body;
    }
}
