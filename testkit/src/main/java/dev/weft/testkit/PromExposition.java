package dev.weft.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * A /metrics document as the Prometheus project's own text-format parser reads it
 * (python3-prometheus-client under /usr/bin/python3): families by name, each with its type, help
 * and samples [name, labels, value]. The parser names a counter's family without "_total", so
 * {@code weft_lease_events_total} is the family {@code weft_lease_events}. A document the parser
 * refuses fails the test with the parser's error and the text.
 */
public record PromExposition(JsonNode families, String text) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static PromExposition parse(String text) {
        try {
            Path script = Files.createTempFile("wt-parse", ".py");
            Path input = Files.createTempFile("wt-metrics", ".txt");
            try (InputStream in = PromExposition.class.getResourceAsStream("parse_metrics.py")) {
                Files.write(script, in.readAllBytes());
                Files.writeString(input, text);
                Process p = new ProcessBuilder("/usr/bin/python3", script.toString()).redirectInput(input.toFile()).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the parser did not finish");
                assertEquals(0, p.exitValue(), "Prometheus' parser refused the exposition: " + err + "\n" + text);
                return new PromExposition(JSON.readTree(out), text);
            } finally {
                Files.deleteIfExists(script);
                Files.deleteIfExists(input);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The first sample [name, labels, value] of a family, which must have that type, a HELP and a sample. */
    public JsonNode only(String family, String type) {
        JsonNode f = families.path(family);
        assertEquals(type, f.path("type").asText(), family + ": " + f + " among " + families.size() + " families");
        assertTrue(f.path("help").asText().length() > 10, family + " has HELP");
        JsonNode samples = f.path("samples");
        assertTrue(samples.size() >= 1, family + ": " + f);
        return samples.get(0);
    }

    /** The values one label takes across a family's samples. */
    public Set<String> labels(String family, String type, String label) {
        only(family, type);
        Set<String> values = new TreeSet<>();
        for (JsonNode s : families.path(family).path("samples")) {
            values.add(s.get(1).path(label).asText());
        }
        return values;
    }

    /**
     * The sum of the samples named {@code sample} in a family whose labels include every
     * name/value pair given, e.g. {@code sum("weft_netlink_requests", "weft_netlink_requests_total", "result", "ok")}.
     * Fails when none matches.
     */
    public double sum(String family, String sample, String... labels) {
        double total = 0;
        int matched = 0;
        for (JsonNode s : families.path(family).path("samples")) {
            if (!s.get(0).asText().equals(sample)) {
                continue;
            }
            boolean all = true;
            for (int i = 0; i + 1 < labels.length; i += 2) {
                all &= labels[i + 1].equals(s.get(1).path(labels[i]).asText(null));
            }
            if (all) {
                total += s.get(2).asDouble();
                matched++;
            }
        }
        assertTrue(matched > 0, "no sample " + sample + " with " + String.join(",", labels) + " in " + families.path(family));
        return total;
    }

    /**
     * The families every weftd exports whatever its backend, with sensible values for a weftd that
     * holds its lease and has programmed its peers: build info and readiness, rtnetlink requests
     * (answered ones, every op and result listed), data-plane apply time (at least the first
     * lease snapshot), rejected leases by reason, and the process and JVM families under the
     * Prometheus Java client's names.
     */
    public void assertNodeFamilies() {
        assertEquals(1.0, only("weft_build_info", "gauge").get(2).asDouble());
        assertEquals(1.0, only("weft_ready", "gauge").get(2).asDouble());

        assertEquals(14, labels("weft_netlink_requests", "counter", "op").size(), "every rtnetlink op, zeros included");
        assertEquals(Set.of("ok", "exists", "not_found", "error"), labels("weft_netlink_requests", "counter", "result"));
        assertTrue(sum("weft_netlink_requests", "weft_netlink_requests_total", "result", "ok") > 0, "answered rtnetlink requests");
        assertTrue(sum("weft_netlink_requests", "weft_netlink_requests_total", "op", "getaddr", "result", "ok") > 0,
                "the external interface's addresses were read");

        only("weft_dataplane_apply_seconds", "histogram");
        double applied = sum("weft_dataplane_apply_seconds", "weft_dataplane_apply_seconds_count");
        assertTrue(applied >= 1, "the lease snapshot's delivery was timed: " + applied);
        assertEquals(applied, sum("weft_dataplane_apply_seconds", "weft_dataplane_apply_seconds_bucket", "le", "+Inf"), "+Inf bucket = count");
        double seconds = sum("weft_dataplane_apply_seconds", "weft_dataplane_apply_seconds_sum");
        assertTrue(seconds > 0 && seconds < 60 * applied, "apply time " + seconds + " s over " + applied + " deliveries");
        assertTrue(labels("weft_lease_rejected", "counter", "reason").size() > 1, "rejections by reason");

        double rss = only("process_resident_memory_bytes", "gauge").get(2).asDouble();
        assertTrue(rss > 16 << 20 && rss < 4096.0 * (1 << 20), "resident memory " + rss);
        assertTrue(only("process_virtual_memory_bytes", "gauge").get(2).asDouble() >= rss, "virtual memory covers the resident");
        assertTrue(only("process_cpu_seconds", "counter").get(2).asDouble() > 0, "CPU time");
        double start = only("process_start_time_seconds", "gauge").get(2).asDouble();
        double now = System.currentTimeMillis() / 1000.0;
        assertTrue(start <= now + 1 && start > now - 3600, "process start " + start + " vs now " + now);
        double fds = only("process_open_fds", "gauge").get(2).asDouble();
        assertTrue(fds >= 3 && fds <= only("process_max_fds", "gauge").get(2).asDouble(), "open fds " + fds);
        assertTrue(sum("jvm_memory_used_bytes", "jvm_memory_used_bytes", "area", "heap") > 0, "heap used");
        assertTrue(sum("jvm_memory_used_bytes", "jvm_memory_used_bytes", "area", "nonheap") > 0, "non-heap used");
        assertTrue(labels("jvm_memory_committed_bytes", "gauge", "area").contains("heap"));
        assertTrue(labels("jvm_gc_collection_seconds", "summary", "gc").size() >= 1, "a collector listed");
        assertTrue(only("jvm_threads_current", "gauge").get(2).asDouble() >= 2, "threads");
        only("jvm_threads_daemon", "gauge");
        only("jvm_threads_peak", "gauge");
        assertEquals(1.0, only("jvm_runtime_info", "gauge").get(2).asDouble());
    }
}
