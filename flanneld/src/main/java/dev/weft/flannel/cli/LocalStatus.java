package dev.weft.flannel.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * weftd's local status socket, as weftctl speaks to it: one HTTP/1.1 request per connection, the
 * answer bounded ({@link #MAX_ANSWER}) and read within a deadline. GET /status for weftctl status;
 * POST /shutdown for weftctl shutdown, whose connection stays open afterwards ({@link #shutdown}).
 */
final class LocalStatus {
    static final int MAX_ANSWER = 1024 * 1024;
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private LocalStatus() {
    }

    /** The body of a 200 answer to GET {@code path}. */
    static String get(Path socket, String path) throws IOException {
        try (SocketChannel ch = connect(socket)) {
            return exchange(ch, socket, "GET " + path, TIMEOUT, "did not answer within " + TIMEOUT.toSeconds() + " s");
        }
    }

    /**
     * Asks weftd to stop and returns its report once the stop is done. The connection is left open on
     * purpose: weftd waits for it to close before it exits, and this process's exit closes it, so
     * weftd (whose end ends its container, and every process in it) outlives the caller's last line.
     */
    static String shutdown(Path socket, boolean withdraw, Duration timeout) throws IOException {
        SocketChannel ch = connect(socket);
        try {
            return exchange(ch, socket, "POST /shutdown" + (withdraw ? "?withdraw=true" : ""), timeout,
                    "did not finish its stop within " + Durations.human(Math.max(1, timeout.toSeconds())));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static SocketChannel connect(Path socket) throws IOException {
        try {
            return SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new IOException("cannot reach weftd at " + socket + ": " + e.getMessage()
                    + " (is weftd running, with -status-socket " + socket + "?)", e);
        }
    }

    /** Sends {@code requestLine}'s request and reads the answer's head and its Content-Length body. */
    private static String exchange(SocketChannel ch, Path socket, String requestLine, Duration timeout, String late) throws IOException {
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "weftctl-timeout");
            t.setDaemon(true);
            return t;
        });
        try {
            watchdog.schedule(() -> {
                try {
                    ch.close(); // unblocks the read
                } catch (IOException ignored) {
                    // closing anyway
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
            ch.write(ByteBuffer.wrap((requestLine + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
            int need = -1;
            while (need < 0 || all.size() < need) {
                if (ch.read(buf.clear()) < 0) {
                    break;
                }
                all.write(buf.array(), 0, buf.position());
                if (all.size() > MAX_ANSWER) {
                    throw new IOException("weftd's answer is longer than " + MAX_ANSWER + " bytes");
                }
                need = need >= 0 ? need : answerLength(all.toByteArray());
            }
            if (all.size() == 0) {
                throw new IOException("weftd at " + socket + " closed the connection without an answer");
            }
            return body(all.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            if (!ch.isOpen() && (e.getMessage() == null || !e.getMessage().startsWith("weftd"))) {
                throw new IOException("weftd at " + socket + " " + late, e);
            }
            throw e;
        } finally {
            watchdog.shutdownNow();
        }
    }

    /** Head plus Content-Length once the head is complete, else -1 (read on; without the header, until EOF). */
    static int answerLength(byte[] answer) {
        String text = new String(answer, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return -1;
        }
        for (int from = 0; from < end; ) {
            int eol = text.indexOf("\r\n", from);
            String line = text.substring(from, eol);
            from = eol + 2;
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                try {
                    return end + 4 + Integer.parseInt(line.substring(colon + 1).trim());
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
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
