/**
 * weftd's /metrics beyond what each part counts for itself: the Prometheus text format written by
 * hand ({@link dev.weft.flannel.metrics.Exposition}), a fixed-bucket
 * {@link dev.weft.flannel.metrics.Histogram}, the process and JVM families under the names the
 * Prometheus Java client uses ({@link dev.weft.flannel.metrics.ProcessMetrics}), and the rtnetlink
 * request counters of {@code dev.weft.netlink.NetlinkRequests}
 * ({@link dev.weft.flannel.metrics.NetlinkMetrics}).
 *
 * <p>Why not the Prometheus Java client (prometheus-metrics-core, -exposition-textformats,
 * -instrumentation-jvm 1.10.0): weftd's families are written in five places over two modules
 * (the node, the lease pipeline, the udp/IPIP data paths, the BGP speaker, here), all as plain
 * text from counters the hot paths already keep without allocation (opaque stores in the udp
 * loops, LongAdders). Moving them to the client's registry would rewrite each of them into its
 * model for no change on the wire; using the client only for the JVM families would add four jars
 * and a second way of writing metrics for about sixty lines of text, and its JVM instrumentation
 * registers more than is asked for (buffer pools, class loading, compilation, per-pool allocation
 * through a GC notification listener) in a daemon whose resident memory has a 150 MB goal. So
 * the exposition stays hand-written, and the JVM/process families keep the client's names so that
 * dashboards built for it work unchanged.
 */
package dev.weft.flannel.metrics;
