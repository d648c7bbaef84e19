package dev.weft.bgp.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The exposition is parsed back as a scraper would: names, TYPE lines, labels and their escapes. */
class BgpMetricsTest {
    record Sample(String name, Map<String, String> labels, String value) {
    }

    @Test
    void renderedTextParsesBack() throws Exception {
        FakeStatus f = new FakeStatus(42);
        String text = BgpMetrics.render(f.speaker().toCompletableFuture().get(), f.peers().toCompletableFuture().get(),
                FakeStatus.NOW);
        Map<String, String> types = new HashMap<>();
        List<Sample> samples = new java.util.ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] t = line.substring(7).split(" ");
                assertEquals(null, types.put(t[0], t[1]), "one TYPE line per metric family: " + t[0]);
                assertTrue(samples.stream().noneMatch(s -> s.name().equals(t[0])), "TYPE before the samples of " + t[0]);
            } else if (!line.startsWith("# HELP ")) {
                Sample s = parse(line);
                assertNotNull(types.get(s.name()), "sample without TYPE: " + line);
                samples.add(s);
            }
        }
        for (String name : List.of("weft_bgp_peer_state", "weft_bgp_peer_up_seconds", "weft_bgp_prefixes_received",
                "weft_bgp_prefixes_accepted", "weft_bgp_prefixes_advertised", "weft_bgp_messages_in_total",
                "weft_bgp_messages_out_total", "weft_bgp_keepalive_late_total", "weft_bgp_keepalive_max_lateness_seconds",
                "weft_bgp_notifications_sent_total", "weft_bgp_notifications_received_total", "weft_bgp_loc_rib_routes",
                "weft_bgp_fib_routes", "weft_bgp_build_info", "weft_bgp_peer_flaps_total", "weft_bgp_keepalives_sent_total")) {
            assertTrue(types.containsKey(name), name);
        }
        assertEquals("counter", types.get("weft_bgp_messages_in_total"));
        assertEquals("gauge", types.get("weft_bgp_peer_state"));

        assertEquals("0.1.0 \"dev\"\\x", value(samples, "weft_bgp_build_info", Map.of()).labels().get("version"));
        assertEquals("6", value(samples, "weft_bgp_peer_state", Map.of("peer", "10.99.0.2")).value());
        assertEquals("3", value(samples, "weft_bgp_peer_state", Map.of("peer", "fd00::3")).value());
        assertEquals("3723.0", value(samples, "weft_bgp_peer_up_seconds", Map.of("peer", "10.99.0.2")).value());
        assertEquals("0.0", value(samples, "weft_bgp_peer_up_seconds", Map.of("peer", "fd00::3")).value());
        assertEquals("10", value(samples, "weft_bgp_prefixes_accepted", Map.of("peer", "10.99.0.2", "family", "ipv4")).value());
        assertEquals("1", value(samples, "weft_bgp_prefixes_advertised", Map.of("peer", "10.99.0.2", "family", "ipv6")).value());
        assertEquals("40", value(samples, "weft_bgp_messages_in_total", Map.of("peer", "10.99.0.2", "type", "update")).value());
        assertEquals("1", value(samples, "weft_bgp_messages_out_total", Map.of("peer", "10.99.0.2", "type", "route_refresh")).value());
        assertEquals("1", value(samples, "weft_bgp_keepalive_late_total", Map.of("peer", "10.99.0.2")).value());
        assertEquals("11.5", value(samples, "weft_bgp_keepalive_max_lateness_seconds", Map.of("peer", "10.99.0.2")).value());
        assertEquals("1", value(samples, "weft_bgp_notifications_sent_total", Map.of("peer", "fd00::3", "code", "6")).value());
        assertEquals("2", value(samples, "weft_bgp_notifications_received_total", Map.of("peer", "fd00::3", "code", "2")).value());
        assertEquals("42", value(samples, "weft_bgp_loc_rib_routes", Map.of("family", "ipv4")).value());
        assertEquals("0", value(samples, "weft_bgp_loc_rib_routes", Map.of("family", "ipv6")).value());
        assertEquals("7", value(samples, "weft_bgp_fib_routes", Map.of()).value());
        assertEquals("4", value(samples, "weft_bgp_peer_flaps_total", Map.of("peer", "fd00::3")).value());
    }

    @Test
    void labelValuesAreEscaped() {
        assertEquals("a\\\\b\\\"c\\nd", BgpMetrics.escape("a\\b\"c\nd"));
    }

    private static Sample value(List<Sample> samples, String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
                .findFirst().orElseThrow(() -> new AssertionError("no " + name + labels));
    }

    /** name{k="v",…} value, with \\, \" and \n unescaped in values. */
    static Sample parse(String line) {
        int brace = line.indexOf('{');
        int space = line.lastIndexOf(' ');
        Map<String, String> labels = new LinkedHashMap<>();
        if (brace < 0) {
            return new Sample(line.substring(0, space), labels, line.substring(space + 1));
        }
        int i = brace + 1;
        while (line.charAt(i) != '}') {
            int eq = line.indexOf('=', i);
            String key = line.substring(i, eq);
            assertEquals('"', line.charAt(eq + 1));
            StringBuilder v = new StringBuilder();
            int j = eq + 2;
            for (; line.charAt(j) != '"'; j++) {
                char c = line.charAt(j);
                if (c == '\\') {
                    char n = line.charAt(++j);
                    v.append(n == 'n' ? '\n' : n);
                } else {
                    v.append(c);
                }
            }
            labels.put(key, v.toString());
            i = j + 1;
            if (line.charAt(i) == ',') {
                i++;
            }
        }
        assertEquals(' ', line.charAt(i + 1));
        return new Sample(line.substring(0, brace), labels, line.substring(i + 2));
    }
}
