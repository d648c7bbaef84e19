package dev.weft.flannel.daemon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * /healthz (the process is up) and /readyz (lease held, backend up, subnet.env written) on
 * -healthz-ip:-healthz-port, as flanneld serves them.
 */
final class HealthServer implements AutoCloseable {
    private final HttpServer server;

    HealthServer(String ip, int port, BooleanSupplier ready, Supplier<String> metrics) throws IOException {
        server = HttpServer.create(new InetSocketAddress(ip, port), 16);
        server.createContext("/healthz", ex -> answer(ex, 200, "weftd is running"));
        server.createContext("/readyz", ex -> {
            if (ready.getAsBoolean()) {
                answer(ex, 200, "weftd is ready");
            } else {
                answer(ex, 503, "weftd is not ready");
            }
        });
        // Prometheus text exposition; the backend renders its own counters
        server.createContext("/metrics", ex -> answer(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get()));
        server.setExecutor(null);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void answer(HttpExchange ex, int code, String body) throws IOException {
        answer(ex, code, "text/plain; charset=utf-8", body + "\n");
    }

    private static void answer(HttpExchange ex, int code, String contentType, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
