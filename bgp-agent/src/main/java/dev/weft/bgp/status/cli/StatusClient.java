package dev.weft.bgp.status.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Timer;
import java.util.TimerTask;

/**
 * A GET over HTTP/1.1 to the agent's status endpoint, on a Unix socket or TCP. The JDK's HttpClient
 * speaks no Unix sockets, and this needs one request per connection and nothing else. The response
 * head is bounded; the body goes to the caller's sink as it arrives, up to a byte limit.
 */
final class StatusClient {
    static final int MAX_HEAD = 16 * 1024;
    private static final int CRLFCRLF = 0x0d0a0d0a;

    /** "unix:/run/weft/bgp.sock", "127.0.0.1:9179" or "http://127.0.0.1:9179". */
    record Endpoint(String text, SocketAddress address) {
        static Endpoint parse(String s) {
            if (s.startsWith("unix:")) {
                return new Endpoint(s, UnixDomainSocketAddress.of(s.substring("unix:".length())));
            }
            String hostPort = s.startsWith("http://") ? s.substring("http://".length()) : s;
            if (hostPort.endsWith("/")) {
                hostPort = hostPort.substring(0, hostPort.length() - 1);
            }
            int colon = hostPort.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("endpoint must be unix:<path> or <host>:<port>, not \"" + s + "\"");
            }
            String host = hostPort.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("endpoint port is not a number in \"" + s + "\"");
            }
            return new Endpoint(s, new InetSocketAddress(host, port));
        }
    }

    /** The agent could not be reached or answered with something other than HTTP. */
    static final class UnreachableException extends IOException {
        UnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A non-200 answer, with its text. */
    static final class StatusException extends IOException {
        final int status;

        StatusException(int status, String body) {
            super("HTTP " + status + ": " + body.strip());
            this.status = status;
        }
    }

    private final Endpoint endpoint;
    private final Duration timeout;
    private final long maxBody;

    StatusClient(Endpoint endpoint, Duration timeout, long maxBody) {
        this.endpoint = endpoint;
        this.timeout = timeout;
        this.maxBody = maxBody;
    }

    Endpoint endpoint() {
        return endpoint;
    }

    /** The body of a 200 answer. */
    byte[] get(String pathAndQuery) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        get(pathAndQuery, out);
        return out.toByteArray();
    }

    /** Streams the body of a 200 answer into {@code sink}. */
    void get(String pathAndQuery, OutputStream sink) throws IOException {
        SocketChannel ch;
        try {
            ch = SocketChannel.open(endpoint.address());
        } catch (IOException e) {
            throw new UnreachableException("cannot reach the BGP agent at " + endpoint.text() + ": " + reason(e), e);
        }
        Timer watchdog = new Timer("weftctl-timeout", true);
        watchdog.schedule(new TimerTask() {
            @Override
            public void run() {
                try {
                    ch.close(); // unblocks the read below
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }, timeout.toMillis());
        try (ch) {
            String req = "GET " + pathAndQuery + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: weftctl\r\n"
                    + "Connection: close\r\n\r\n";
            ch.write(ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII)));
            read(ch, sink);
        } catch (StatusException e) {
            throw e;
        } catch (IOException e) {
            throw new UnreachableException("the BGP agent at " + endpoint.text() + " did not answer in full within "
                    + timeout.toSeconds() + " s: " + reason(e), e);
        } finally {
            watchdog.cancel();
        }
    }

    private void read(SocketChannel ch, OutputStream sink) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int status = -1;
        long contentLength = -1;
        long body = 0;
        ByteArrayOutputStream errorBody = new ByteArrayOutputStream();
        int tail = 0; // the last four bytes of the head, to find its end in one pass
        while (true) {
            buf.clear();
            int n = ch.read(buf);
            if (n < 0) {
                break;
            }
            buf.flip();
            if (status < 0) {
                while (buf.hasRemaining() && tail != CRLFCRLF) {
                    byte b = buf.get();
                    head.write(b);
                    tail = tail << 8 | (b & 0xff);
                }
                if (tail != CRLFCRLF) {
                    if (head.size() > MAX_HEAD) {
                        throw new IOException("response head longer than " + MAX_HEAD + " bytes");
                    }
                    continue;
                }
                String h = head.toString(StandardCharsets.ISO_8859_1);
                status = statusOf(h);
                contentLength = contentLengthOf(h);
            }
            int len = buf.remaining();
            body += len;
            if (body > maxBody) {
                throw new IOException("response longer than " + maxBody + " bytes");
            }
            (status == 200 ? sink : errorBody).write(buf.array(), buf.position(), len);
            if (contentLength >= 0 && body >= contentLength) {
                break;
            }
        }
        if (status < 0) {
            throw new IOException("connection closed before an HTTP answer");
        }
        if (status != 200) {
            throw new StatusException(status, errorBody.toString(StandardCharsets.UTF_8));
        }
        if (contentLength >= 0 && body < contentLength) {
            throw new IOException("answer cut short");
        }
    }

    private static int statusOf(String head) throws IOException {
        // "HTTP/1.1 200 OK"
        if (!head.startsWith("HTTP/1.") || head.length() < 12) {
            throw new IOException("not an HTTP answer");
        }
        try {
            return Integer.parseInt(head.substring(9, 12));
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP answer");
        }
    }

    private static long contentLengthOf(String head) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length")) {
                try {
                    return Long.parseLong(line.substring(colon + 1).trim());
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static String reason(IOException e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
