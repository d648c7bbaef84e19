package dev.weft.flannel.metrics;

import dev.weft.netlink.NetlinkRequests;
import dev.weft.netlink.NetlinkRequests.Op;
import dev.weft.netlink.NetlinkRequests.Result;

/** weft_netlink_requests_total{op,result}: every operation and result, zeros included, so a rate never starts from a missing series. */
public final class NetlinkMetrics {
    private NetlinkMetrics() {
    }

    public static void write(Exposition e) {
        e.family("weft_netlink_requests_total", "counter",
                "rtnetlink requests the kernel answered, by message type (newroute, delneigh, getlink...) and result (ok, exists, not_found, error).");
        for (Op op : Op.values()) {
            for (Result r : Result.values()) {
                e.sample("weft_netlink_requests_total", NetlinkRequests.count(op, r), "op", op.label(), "result", r.label());
            }
        }
    }
}
