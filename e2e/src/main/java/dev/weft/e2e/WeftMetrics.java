package dev.weft.e2e;

import dev.weft.testkit.Cmd;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One scrape of a node's weftd /metrics (Prometheus text), fetched with curl inside the node's
 * namespace, as samples keyed by name and labels exactly as printed, e.g.
 * {@code weft_udp_packets_total{path="udp_rx"}}.
 */
public record WeftMetrics(Map<String, Double> samples, String text) {

    /** Scrapes {@code http://127.0.0.1:port/metrics} in the node's namespace; fails loudly if it does not answer. */
    public static WeftMetrics scrape(SimCluster.Node n, int port) {
        Cmd.Result r = Cmd.of("curl", "-sf", "--max-time", "10", "http://127.0.0.1:" + port + "/metrics")
                .netns(n.netns()).timeout(Duration.ofSeconds(15)).tryRun();
        if (!r.ok()) {
            throw new IllegalStateException("no /metrics from weftd on " + n.name() + " (port " + port + "): exit " + r.exitCode()
                    + " " + r.stderr() + "\n" + n.weftd().logTail(2000));
        }
        return parse(r.stdout());
    }

    public static WeftMetrics parse(String text) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int sp = line.lastIndexOf(' ');
            m.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
        }
        return new WeftMetrics(m, text);
    }

    /** A sample's value as a long; throws if weftd does not export it. */
    public long get(String key) {
        Double v = samples.get(key);
        if (v == null) {
            throw new IllegalStateException("weftd exports no " + key + ":\n" + text);
        }
        return v.longValue();
    }

    /** weft_udp_packets_total for a leg: tun_rx, udp_tx, udp_rx or tun_tx. */
    public long packets(String path) {
        return get("weft_udp_packets_total{path=\"" + path + "\"}");
    }

    public long drops(String reason) {
        return get("weft_udp_drops_total{reason=\"" + reason + "\"}");
    }

    /** weft_udp_dropped_total{direction="rx"}: received datagrams not written to the TUN. */
    public long rxDropped() {
        return get("weft_udp_dropped_total{direction=\"rx\"}");
    }

    public long icmpUnreachable() {
        return get("weft_udp_icmp_unreachable_total");
    }

    /** The offloads weftd reports in use (weft_udp_offload{feature} 1), in the order printed. */
    public List<String> offloadsInUse() {
        String prefix = "weft_udp_offload{feature=\"";
        return samples.entrySet().stream().filter(e -> e.getKey().startsWith(prefix) && e.getValue() == 1.0)
                .map(e -> e.getKey().substring(prefix.length(), e.getKey().length() - 2)).toList();
    }

    /** The sample keys that start with {@code prefix}, e.g. every weft_udp_offload line. */
    public List<String> keysStartingWith(String prefix) {
        return samples.keySet().stream().filter(k -> k.startsWith(prefix)).toList();
    }
}
