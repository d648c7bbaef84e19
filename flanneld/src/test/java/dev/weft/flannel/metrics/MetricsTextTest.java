package dev.weft.flannel.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.flannel.backend.udp.UdpMetrics;
import dev.weft.testkit.PromExposition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hand-written exposition pieces, read back by Prometheus' own text parser: histogram buckets
 * and sums, escaping, the /proc parsing behind the process families, and the udp families' names.
 * No kernel needed; python3-prometheus-client is.
 */
class MetricsTextTest {

    @Test
    void histogramBucketsAreCumulativeAndCountMatchesInf() {
        Histogram h = new Histogram(0.001, 0.01, 0.1);
        h.observe(0.0005);
        h.observe(0.001); // on a bound: that bucket (le is "less or equal")
        h.observe(0.05);
        h.observeNanos(2_000_000_000L);
        Exposition e = new Exposition();
        h.write(e, "wt_apply_seconds", "Time taken, for the test.");
        PromExposition m = PromExposition.parse(e.toString());
        m.only("wt_apply_seconds", "histogram");
        assertEquals(2.0, m.sum("wt_apply_seconds", "wt_apply_seconds_bucket", "le", "0.001"));
        assertEquals(2.0, m.sum("wt_apply_seconds", "wt_apply_seconds_bucket", "le", "0.01"));
        assertEquals(3.0, m.sum("wt_apply_seconds", "wt_apply_seconds_bucket", "le", "0.1"));
        assertEquals(4.0, m.sum("wt_apply_seconds", "wt_apply_seconds_bucket", "le", "+Inf"));
        assertEquals(4.0, m.sum("wt_apply_seconds", "wt_apply_seconds_count"));
        assertEquals(2.0515, m.sum("wt_apply_seconds", "wt_apply_seconds_sum"), 1e-9);
        assertEquals(4, h.count());
        assertThrows(IllegalArgumentException.class, () -> new Histogram(0.1, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new Histogram());
    }

    @Test
    void labelValuesAreEscapedAndNumbersPrintPlainly() {
        Exposition e = new Exposition();
        e.family("wt_info", "gauge", "Labels with quotes.").sample("wt_info", 1, "name", "a \"quoted\" \\ back\nslash");
        e.gauge("wt_big", "A large whole number.", 123456789012L);
        e.gauge("wt_fraction", "A fraction.", 0.25);
        String text = e.toString();
        assertTrue(text.contains("wt_big 123456789012\n") && text.contains("wt_fraction 0.25\n"), text);
        PromExposition m = PromExposition.parse(text);
        assertEquals("a \"quoted\" \\ back\nslash", m.only("wt_info", "gauge").get(1).path("name").asText());
        assertThrows(IllegalArgumentException.class, () -> e.sample("wt_x", 1, "odd"));
    }

    @Test
    void procFilesAreParsedAndBadLinesIgnored(@TempDir Path dir) throws Exception {
        String status = "Name:\tjava\nVmPeak:\t 5000000 kB\nVmSize:\t 4194304 kB\nVmRSS:\t  102400 kB\nThreads:\t33\n";
        assertEquals(4194304, ProcessMetrics.statusKilobytes(status, "VmSize"));
        assertEquals(102400, ProcessMetrics.statusKilobytes(status, "VmRSS"));
        assertEquals(-1, ProcessMetrics.statusKilobytes(status, "VmSwap"));
        assertEquals(-1, ProcessMetrics.statusKilobytes("VmRSS:\t 12 pages\n", "VmRSS"));
        assertEquals(-1, ProcessMetrics.statusKilobytes("VmRSS:\t 99999999999999999999999 kB\n", "VmRSS"));
        String limits = "Limit                     Soft Limit           Hard Limit           Units     \n"
                + "Max processes             63704                63704                processes \n"
                + "Max open files            1024                 524288               files     \n";
        assertEquals(1024, ProcessMetrics.softLimit(limits, "Max open files"));
        assertEquals(-1, ProcessMetrics.softLimit("Max open files            unlimited            unlimited            files\n", "Max open files"));
        assertEquals(-1, ProcessMetrics.softLimit(limits, "Max locked memory"));

        // a copy of /proc/self with three descriptors
        Files.writeString(dir.resolve("status"), status);
        Files.writeString(dir.resolve("limits"), limits);
        Files.createDirectories(dir.resolve("fd"));
        for (String fd : new String[] {"0", "1", "2"}) {
            Files.createFile(dir.resolve("fd").resolve(fd));
        }
        Exposition e = new Exposition();
        new ProcessMetrics(dir).write(e);
        PromExposition m = PromExposition.parse(e.toString());
        assertEquals(102400.0 * 1024, m.only("process_resident_memory_bytes", "gauge").get(2).asDouble());
        assertEquals(4194304.0 * 1024, m.only("process_virtual_memory_bytes", "gauge").get(2).asDouble());
        assertEquals(3.0, m.only("process_open_fds", "gauge").get(2).asDouble());
        assertEquals(1024.0, m.only("process_max_fds", "gauge").get(2).asDouble());
        assertTrue(m.only("process_cpu_seconds", "counter").get(2).asDouble() > 0);
        assertTrue(m.sum("jvm_memory_used_bytes", "jvm_memory_used_bytes", "area", "heap") > 0);
        assertTrue(m.labels("jvm_gc_collection_seconds", "summary", "gc").size() >= 1);
    }

    @Test
    void missingProcFilesLeaveTheirFamiliesOut(@TempDir Path dir) {
        Exposition e = new Exposition();
        new ProcessMetrics(dir).write(e);
        PromExposition m = PromExposition.parse(e.toString());
        assertTrue(m.families().path("process_resident_memory_bytes").isMissingNode(), e.toString());
        assertTrue(m.families().path("process_open_fds").isMissingNode(), e.toString());
        m.only("jvm_threads_current", "gauge");
    }

    @Test
    void netlinkFamilyListsEveryOpAndResult() {
        Exposition e = new Exposition();
        NetlinkMetrics.write(e);
        PromExposition m = PromExposition.parse(e.toString());
        assertEquals(14, m.labels("weft_netlink_requests", "counter", "op").size());
        assertEquals(Set.of("ok", "exists", "not_found", "error"), m.labels("weft_netlink_requests", "counter", "result"));
    }

    @Test
    void udpFamiliesHaveUnitsOneDropFamilyAndEveryOffload() {
        UdpMetrics u = new UdpMetrics();
        u.batch(UdpMetrics.Path.UDP_RX, 3);
        u.udpRxDrop(UdpMetrics.Drop.SPOOFED_SOURCE);
        u.tunRxDrop(UdpMetrics.Drop.NO_ROUTE);
        u.tunRxDrop(UdpMetrics.Drop.NO_ROUTE);
        u.offloads("vnet_hdr tso4 udp_gro");
        PromExposition m = PromExposition.parse(u.prometheusText());
        assertEquals(1.0, m.sum("weft_udp_dropped", "weft_udp_dropped_total", "direction", "rx"));
        assertEquals(2.0, m.sum("weft_udp_dropped", "weft_udp_dropped_total", "direction", "tx"));
        assertTrue(m.families().path("weft_udp_rx_dropped").isMissingNode() && m.families().path("weft_udp_tx_dropped").isMissingNode());
        assertEquals(1.0, m.sum("weft_udp_batch_size_packets", "weft_udp_batch_size_packets_count", "path", "udp_rx"));
        assertEquals(3.0, m.sum("weft_udp_batch_size_packets", "weft_udp_batch_size_packets_sum", "path", "udp_rx"));
        assertEquals(1.0, m.sum("weft_udp_batch_size_packets", "weft_udp_batch_size_packets_bucket", "path", "udp_rx", "le", "4"));
        assertEquals(Set.of("vnet_hdr", "csum", "tso4", "tso6", "uso4", "uso6", "udp_gso", "udp_gro", "tcp_coalesce"),
                m.labels("weft_udp_offload", "gauge", "feature"));
        assertEquals(3.0, m.sum("weft_udp_offload", "weft_udp_offload"));
        assertEquals(0.0, m.sum("weft_udp_offload", "weft_udp_offload", "feature", "udp_gso"));

        UdpMetrics ipip = new UdpMetrics("ipip");
        ipip.offloads("");
        PromExposition i = PromExposition.parse(ipip.prometheusText());
        assertEquals(0.0, i.sum("weft_ipip_offload", "weft_ipip_offload"), "none in use, all listed as 0");
        assertTrue(i.labels("weft_ipip_offload", "gauge", "feature").contains("tcp_coalesce"));
        assertTrue(!i.labels("weft_ipip_offload", "gauge", "feature").contains("udp_gso"), "a raw IPIP socket has no UDP offloads");
    }
}
