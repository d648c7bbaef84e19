package dev.weft.flannel.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class HealthServerTest {
    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
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
